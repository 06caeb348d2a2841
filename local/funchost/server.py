"""Load a function app from its file and serve it over HTTP (port 0 gives a free port)."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import azure.functions as func
from aiohttp import web

from local.funchost import rabbitmq
from local.funchost.bindings import BindingRegistry
from local.funchost.catalog import FunctionIndexError
from local.funchost.config import (
    HostConfigError,
    apply_values,
    load_host_config,
    load_local_settings,
)
from local.funchost.cors import CorsPolicy
from local.funchost.host import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WORKERS, FunctionHost
from local.funchost.worker_index import FunctionLoadError

logger = logging.getLogger(__name__)
LOCAL_SETTINGS = "local.settings.json"
# What makes the host refuse an app: the worker's refusal, a function it cannot serve, a
# host.json key the real runtime does not read.
INDEX_ERRORS = (FunctionLoadError, FunctionIndexError, HostConfigError)


def refusal_message(exc: BaseException) -> str:
    """What the host prints when it refuses the app (Azure then reports 0 functions found)."""
    return f"Worker failed to index functions: {exc}\n0 functions found; the host does not start."


class AppLoadError(RuntimeError):
    """The app module cannot be imported or holds no FunctionApp."""


def default_registry() -> BindingRegistry:
    """The registry the CLI uses: the RabbitMQ binder and output sink."""
    return rabbitmq.register(BindingRegistry())


def host_command(app: Path, port: int, *, log_level: str = "INFO") -> list[str]:
    """The command line that starts this host as its own process (tests, benchmarks)."""
    return [
        sys.executable,
        "-m",
        "local.funchost",
        "--app",
        str(app),
        "--port",
        str(port),
        "--log-level",
        log_level,
    ]


def load_function_app(app_path: Path, attribute: str = "app") -> func.FunctionApp:
    """Import `app_path` as a fresh module (its folder first on sys.path) and return its app."""
    path = app_path.resolve()
    folder = str(path.parent)
    if folder in sys.path:
        sys.path.remove(folder)
    sys.path.insert(0, folder)  # so `from blueprints import x` beside the app resolves
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    app = getattr(module, attribute, None)
    if isinstance(app, func.FunctionApp):
        return app
    found = [value for value in vars(module).values() if isinstance(value, func.FunctionApp)]
    if len(found) == 1:
        return found[0]
    raise AppLoadError(f"{path} has no FunctionApp named {attribute!r} (found {len(found)} apps)")


def create_host(
    app_path: Path,
    host_json: Path | None = None,
    *,
    settings_path: Path | None = None,
    cors: Sequence[str] = (),
    cors_credentials: bool = False,
    registry: BindingRegistry | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FunctionHost:
    """Export local.settings.json `Values`, import the app, and index it into a FunctionHost."""
    settings = load_local_settings(settings_path or app_path.parent / LOCAL_SETTINGS)
    apply_values(settings.values)  # before the import: the app may read settings at import time
    origins = tuple(cors) or settings.cors
    policy = CorsPolicy.from_values(origins, cors_credentials or settings.cors_credentials)
    return FunctionHost(
        load_function_app(app_path),
        load_host_config(host_json),
        cors=policy if policy.origins else None,
        registry=registry or default_registry(),
        max_workers=max_workers,
        max_body_bytes=max_body_bytes,
    )


async def start_host(
    host: FunctionHost, *, bind: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start serving `host`; returns the runner (call `cleanup()` to stop) and the real port."""
    # No aiohttp access log: Core Tools logs each invocation ("Executed 'Functions.x'"), not
    # each HTTP request, and formatting one more line per request cost ~0.1 ms of the loop.
    runner = web.AppRunner(host.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, bind, port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    actual_port = int(runner.addresses[0][1])
    host.log_functions(f"http://{bind}:{actual_port}")
    return runner, actual_port


async def serve(host: FunctionHost, *, bind: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, then stop binders and close connections."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner, actual_port = await start_host(host, bind=bind, port=port)
    loop_type = type(loop)
    logger.info(
        "Host started on http://%s:%s; Ctrl+C to stop (event loop: %s.%s)",
        bind,
        actual_port,
        loop_type.__module__,
        loop_type.__name__,
    )
    try:
        await stop.wait()
    finally:
        logger.info("Stopping the host")
        await runner.cleanup()
