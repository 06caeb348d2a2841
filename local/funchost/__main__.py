"""CLI: `python -m local.funchost --app functions/function_app.py --port 7071`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from local.funchost.config import load_local_settings
from local.funchost.host import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WORKERS
from local.funchost.server import INDEX_ERRORS, LOCAL_SETTINGS, create_host, refusal_message, serve
from shared.aioloop import event_loop

DEFAULT_PORT = 7071


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse command-line options (Core Tools' `func start` equivalents)."""
    parser = argparse.ArgumentParser(prog="python -m local.funchost", description=__doc__)
    parser.add_argument("--app", type=Path, default=Path("functions/function_app.py"))
    parser.add_argument("--host-json", type=Path, default=None, help="default: beside --app")
    parser.add_argument("--settings", type=Path, default=None, help="local.settings.json path")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind")
    parser.add_argument("--port", type=int, default=None, help="default: LocalHttpPort or 7071")
    parser.add_argument("--cors", nargs="*", default=[], metavar="ORIGIN", help="or '*'")
    parser.add_argument("--cors-credentials", action="store_true")
    parser.add_argument("--workers", type=int, default=DEFAULT_MAX_WORKERS)
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Build the host from files and serve until SIGINT/SIGTERM."""
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    host_json = args.host_json or args.app.parent / "host.json"
    settings_path = args.settings or args.app.parent / LOCAL_SETTINGS
    port = args.port if args.port is not None else load_local_settings(settings_path).port
    port = DEFAULT_PORT if port is None else port
    try:
        host = create_host(
            args.app,
            host_json if host_json.exists() else None,
            settings_path=settings_path,
            cors=args.cors,
            cors_credentials=args.cors_credentials,
            max_workers=args.workers,
            max_body_bytes=args.max_body_bytes,
        )
    except INDEX_ERRORS as exc:
        raise SystemExit(refusal_message(exc)) from None
    with asyncio.Runner(loop_factory=event_loop) as runner:
        runner.run(serve(host, bind=args.host, port=port))


if __name__ == "__main__":
    main()
