"""Run the twin: `python -m local.webpubsub --connection-string "Endpoint=...;Port=...;..."`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal

from local.webpubsub.connstr import ConnectionStringError
from local.webpubsub.server import start_twin

ENV_CONNECTION_STRING = "WEBPUBSUB_CONNECTION_STRING"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options; the connection string may come from the environment."""
    parser = argparse.ArgumentParser(
        prog="python -m local.webpubsub", description="Local Azure Web PubSub twin."
    )
    parser.add_argument(
        "--connection-string",
        default=os.environ.get(ENV_CONNECTION_STRING),
        help=f"Web PubSub connection string (default: ${ENV_CONNECTION_STRING})",
    )
    parser.add_argument(
        "--bind", default=None, help="address to listen on (default: the endpoint's host)"
    )
    parser.add_argument("--log-level", default="INFO", help="logging level (default: INFO)")
    args = parser.parse_args(argv)
    if not args.connection_string:
        parser.error(f"give --connection-string or set {ENV_CONNECTION_STRING}")
    return args


async def _serve(connection_string: str, bind_host: str | None) -> None:
    """Run until SIGINT or SIGTERM, then close every client and stop."""
    runner, _ = await start_twin(connection_string, bind_host=bind_host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        asyncio.run(_serve(args.connection_string, args.bind))
    except ConnectionStringError as exc:
        logging.getLogger(__name__).error("Invalid connection string: %s", exc)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
