"""python -m local.grpcweb --port 8080 --upstream 127.0.0.1:50051."""

from __future__ import annotations

import argparse
import importlib
import logging

from aiohttp import web

from local.grpcweb.bridge import LISTEN_BACKLOG, create_app, unary_methods
from shared.aioloop import event_loop
from shared.gctune import settle_after_start


async def _settle(_: web.Application) -> None:
    settle_after_start()


def main() -> None:
    """Serve the bridge until interrupted."""
    parser = argparse.ArgumentParser(description="gRPC-Web to gRPC bridge (Envoy's wire protocol)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--upstream", default="127.0.0.1:50051", help="gRPC server host:port")
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        help="web app origin allowed to call from a browser, e.g. http://127.0.0.1:4280 "
        "(repeatable; none by default)",
    )
    parser.add_argument(
        "--proto-module",
        action="append",
        default=[],
        help="generated *_pb2 module whose unary methods are relayed as unary calls (faster), "
        "e.g. chat_container.gen.energy.chat.v1.chat_pb2 (repeatable; any method works without)",
    )
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    unary = unary_methods(*(importlib.import_module(m).DESCRIPTOR for m in args.proto_module))
    app = create_app(args.upstream, allow_origins=args.allow_origin, unary=unary)
    app.on_startup.append(_settle)
    # No access log line per call (as Envoy by default); errors are still logged.
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        backlog=LISTEN_BACKLOG,
        handler_cancellation=True,
        print=None,
        access_log=None,
        loop=event_loop(),
    )


if __name__ == "__main__":
    main()
