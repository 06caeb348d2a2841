"""One-command local platform: migrations, the Functions host, the web app (and, later, twins)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
from pathlib import Path
from typing import Any

from aiohttp import web
from yarl import URL

from local.funchost.rabbitmq.topology import (
    connection_parameters,
    dead_letter_queue,
    declare_topology,
    redact,
)
from local.funchost.server import INDEX_ERRORS, create_host, refusal_message, start_host
from local.webapp import build_webapp
from shared.aioloop import event_loop

logger = logging.getLogger("local.run")
REPO_ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = REPO_ROOT / "functions"
DIST_DIR = REPO_ROOT / "static_site" / "dist"
# How long a stop waits for open requests: a browser's gRPC-Web stream or proxied socket never
# ends on its own, and aiohttp's default (60 s) would hold Ctrl+C that long.
SHUTDOWN_GRACE_S = 2.0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "7071")))
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", "4280")))
    parser.add_argument("--bind", default=os.environ.get("BIND_ADDRESS", "127.0.0.1"))
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "var")
    parser.add_argument(
        "--pubsub-port", type=int, default=int(os.environ.get("WEBPUBSUB_PORT", "7072"))
    )
    parser.add_argument(
        "--chat-port",
        type=int,
        default=int(os.environ.get("CHAT_PORT", "50051")),
        help="gRPC chat service port",
    )
    parser.add_argument(
        "--grpcweb-port",
        type=int,
        default=int(os.environ.get("GRPCWEB_PORT", "7073")),
        help="gRPC-Web bridge port (what Envoy serves in containers and Azure)",
    )
    return parser.parse_args()


def prepare_database(data_dir: Path) -> str:
    """Default DATABASE_URL to a SQLite file under data_dir, migrate it, bootstrap the admin."""
    from shared import migrate
    from shared.platform import get_platform, reset_platform

    if "DATABASE_URL" not in os.environ:
        data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{(data_dir / 'energy.db').resolve()}"
    reset_platform()
    url = os.environ["DATABASE_URL"]
    migrate.upgrade(url)
    get_platform()
    return url


async def start_pubsub_twin(bind: str, port: int) -> tuple[web.AppRunner | None, str]:
    """Start the Web PubSub twin unless a real connection string is configured."""
    configured = os.environ.get("WEBPUBSUB_CONNECTION_STRING")
    if configured:
        return None, configured
    from local.webpubsub import start_twin
    from local.webpubsub.connstr import format_connection_string

    key = secrets.token_urlsafe(32)
    runner, actual = await start_twin(format_connection_string(bind, port, key), port)
    connection_string = format_connection_string(bind, actual, key)
    os.environ["WEBPUBSUB_CONNECTION_STRING"] = connection_string
    return runner, connection_string


async def start_chat(bind: str, chat_port: int, bridge_port: int) -> tuple[Any, web.AppRunner, int]:
    """Start the gRPC chat service and the gRPC-Web bridge in front of it."""
    from chat_container.gen.energy.chat.v1 import chat_pb2
    from chat_container.server import ChatConfig, start_server
    from local.grpcweb.bridge import LISTEN_BACKLOG, create_app, unary_methods
    from shared.platform import get_platform

    platform = get_platform()
    chat = await start_server(
        ChatConfig(host=bind, port=chat_port),
        platform=platform,
        rabbitmq_url=platform.settings.RABBITMQ_URL,
    )
    runner = web.AppRunner(
        create_app(f"{bind}:{chat.port}", unary=unary_methods(chat_pb2.DESCRIPTOR)),
        shutdown_timeout=SHUTDOWN_GRACE_S,
    )
    await runner.setup()
    await web.TCPSite(runner, bind, bridge_port, backlog=LISTEN_BACKLOG).start()
    return chat, runner, int(runner.addresses[0][1])


def _pubsub_ws_origin(connection_string: str) -> str:
    """The WebSocket origin browsers connect to for a Web PubSub connection string (for CSP)."""
    fields = dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)
    fields = {k.strip().lower(): v.strip() for k, v in fields.items()}
    endpoint = URL(fields.get("endpoint", ""))
    scheme = "wss" if endpoint.scheme == "https" else "ws"
    port = int(fields["port"]) if fields.get("port", "").isdigit() else endpoint.port
    return str(endpoint.with_scheme(scheme).with_port(port).origin())


def allow_web_origin(bridge_runner: web.AppRunner, bind: str, web_port: int) -> None:
    """Let the web app (and only it) call the gRPC-Web bridge from the browser."""
    from local.grpcweb.bridge import ALLOWED_ORIGINS

    allowed = bridge_runner.app[ALLOWED_ORIGINS]
    allowed.add(f"http://{bind}:{web_port}")
    if bind in ("127.0.0.1", "::1"):
        allowed.add(f"http://localhost:{web_port}")


async def _start_web(
    bind: str, port: int, api_url: str, runtime_config: dict[str, str], pubsub: str
) -> tuple[web.AppRunner, int]:
    app = build_webapp(
        DIST_DIR, api_url, runtime_config, connect_sources=[_pubsub_ws_origin(pubsub)]
    )
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_GRACE_S)
    await runner.setup()
    await web.TCPSite(runner, bind, port).start()
    return runner, int(runner.addresses[0][1])


def _announce(api_url: str, web_url: str, database_url: str, pubsub: str) -> None:
    from shared.platform import get_platform

    settings = get_platform().settings
    safe_db = database_url.split("@")[-1] if "@" in database_url else database_url
    logger.info("")
    logger.info("  Energy platform is running")
    logger.info("  Web app     %s", web_url)
    logger.info("  API         %s  (docs: %s/docs)", api_url, api_url)
    logger.info("  Database    %s", safe_db)
    logger.info("  Web PubSub  %s", pubsub.split(";")[0] + ";" + pubsub.split(";")[1])
    rabbit = os.environ.get("RABBITMQ_URL")
    logger.info(
        "  Readings    %s",
        f"RabbitMQ queue '{os.environ.get('MEASUREMENTS_QUEUE', 'measurements')}' "
        f"({rabbit.split('@')[-1]}) and POST /api/measurements"
        if rabbit
        else "POST /api/measurements (set RABBITMQ_URL to consume the measurements queue)",
    )
    if settings.uses_default_admin:
        logger.warning(
            "  Admin login %s / %s  (LOCAL DEFAULTS - never use outside a laptop)",
            settings.ADMIN_USERNAME,
            settings.ADMIN_PASSWORD,
        )
    else:
        logger.info(
            "  Admin login %s / (ADMIN_PASSWORD from the environment)", settings.ADMIN_USERNAME
        )
    logger.info("  Demo data   make seed   |   Stop with Ctrl+C")


def declare_queues() -> None:
    """Declare the measurements queue and its dead-letter queue when RabbitMQ is configured.

    A deployment step, not the host's: the RabbitMQ trigger never declares its queue (nor does
    the Azure extension), so without this ingestion would wait for the first sensor to run.
    """
    url = os.environ.get("RABBITMQ_URL")
    if not url:
        return
    import pika

    queue = os.environ.get("MEASUREMENTS_QUEUE", "measurements")
    connection = pika.BlockingConnection(connection_parameters(url, "local.run"))
    try:
        declare_topology(connection.channel(), queue)
    finally:
        connection.close()
    logger.info(
        "  RabbitMQ    declared %s and %s on %s", queue, dead_letter_queue(queue), redact(url)
    )


async def main_async(args: argparse.Namespace) -> None:
    """Start every local component and run until interrupted."""
    pubsub_runner, pubsub = await start_pubsub_twin(args.bind, args.pubsub_port)
    database_url = prepare_database(args.data_dir)
    declare_queues()
    try:
        host = create_host(FUNCTIONS_DIR / "function_app.py", FUNCTIONS_DIR / "host.json")
    except INDEX_ERRORS as exc:
        raise SystemExit(refusal_message(exc)) from None
    api_runner, api_port = await start_host(host, bind=args.bind, port=args.api_port)
    api_url = f"http://{args.bind}:{api_port}/api"
    chat, bridge_runner, bridge_port = await start_chat(
        args.bind, args.chat_port, args.grpcweb_port
    )
    chat_url = f"http://{args.bind}:{bridge_port}"
    web_runner, web_port = await _start_web(
        args.bind,
        args.web_port,
        f"http://{args.bind}:{api_port}",
        {"chatBaseUrl": chat_url},
        pubsub,
    )
    allow_web_origin(bridge_runner, args.bind, web_port)
    _announce(api_url, f"http://{args.bind}:{web_port}/", database_url, pubsub)
    logger.info("  Chat        gRPC %s:%d, gRPC-Web %s", args.bind, chat.port, chat_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        logger.info("stopping")
        await web_runner.cleanup()
        await bridge_runner.cleanup()
        await chat.stop()
        if pubsub_runner is not None:
            await pubsub_runner.cleanup()
        await api_runner.cleanup()


def main() -> None:
    """CLI entry point: python -m local.run."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("APP_PROFILE", "local")
    with asyncio.Runner(loop_factory=event_loop) as runner:  # uvloop where installed
        runner.run(main_async(_parse_args()))


if __name__ == "__main__":
    main()
