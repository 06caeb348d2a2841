"""FunctionHost: serve a FunctionApp's HTTP triggers and invoke its queue triggers locally."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

import azure.functions as func
from aiohttp import web

from local.funchost.bindings import BindingRegistry, TriggerBinder
from local.funchost.catalog import (
    Catalog,
    HostFunction,
    HttpFunction,
    QueueFunction,
    build_catalog,
)
from local.funchost.config import HostConfig
from local.funchost.cors import CorsPolicy, is_preflight
from local.funchost.httpio import problem_response, to_func_request, to_web_response
from local.funchost.invoke import RETURN, InvocationResult, invoke, is_output
from local.funchost.queue_values import Body, QueueInvocationError, trigger_values
from local.funchost.routes import split_path
from local.funchost.timer import TimerRunner, is_timer
from local.funchost.worker_index import validate_app

logger = logging.getLogger(__name__)
# Like the Python worker's PYTHON_THREADPOOL_THREAD_COUNT. Few threads: on a 2-core machine more
# threads only add GIL convoys (measured in bench/day_view: 16 threads p99 180 ms, 4 threads 65 ms).
DEFAULT_MAX_WORKERS = int(os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT", "4"))
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class FunctionHost:
    """Behaves like Core Tools for HTTP triggers; queue triggers are fed by TriggerBinders."""

    def __init__(
        self,
        app: func.FunctionApp,
        config: HostConfig | None = None,
        *,
        cors: CorsPolicy | None = None,
        registry: BindingRegistry | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.config = config or HostConfig()
        # get_functions() works only once per app object, so index here only. Every function
        # is validated as the Python worker does: one refusal fails the app (FunctionLoadError).
        functions = app.get_functions()
        validate_app(functions)
        self.catalog: Catalog = build_catalog(functions, self.config.route_prefix)
        self.cors = cors
        self.registry = registry or BindingRegistry()
        self.max_body_bytes = max_body_bytes
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="funchost-worker")
        self._binders: list[TriggerBinder] = []
        self.timers = TimerRunner(self.catalog.other, self._invoke)  # timerTrigger functions

    def queue_function(self, name: str) -> QueueFunction:
        """The queue function called `name` (case-insensitive); KeyError names the choices."""
        for function in self.catalog.queue:
            if function.name.lower() == name.lower():
                return function
        known = [function.name for function in self.catalog.queue]
        raise KeyError(f"no queue function {name!r}; known: {known}")

    def find_route(self, method: str, raw_path: str) -> tuple[HttpFunction, dict[str, str]] | None:
        """The most specific HTTP function accepting `method` at `raw_path`, with route values."""
        pieces = split_path(raw_path)  # decoded once, not once per template
        for function in self.catalog.http:
            if not function.allows(method):
                continue
            values = function.template.match_pieces(pieces)
            if values is not None:
                return function, values
        return None

    def describe(self, base_url: str) -> list[str]:
        """One line per function, like Core Tools' `Functions:` listing."""
        lines = []
        for http in self.catalog.http:
            methods = ",".join(sorted(http.methods))
            lines.append(f"{http.function.name}: [{methods}] {base_url}/{http.template.template}")
        for queue in self.catalog.queue:
            lines.append(
                f"{queue.name}: {queue.trigger_type} queue={queue.queue_name} "
                f"connection={queue.connection} cardinality={queue.cardinality}"
            )
        for other in self.catalog.other:
            note = f"schedule {other.trigger.get('schedule')}" if is_timer(other) else "not run"
            lines.append(f"{other.name}: {other.trigger_type} ({note})")
        return lines

    def log_functions(self, base_url: str) -> None:
        """Log the function listing at startup."""
        logger.info("Functions:\n\n\t%s\n", "\n\t".join(self.describe(base_url)))

    async def invoke_queue(self, name: str, bodies: Sequence[Body]) -> None:
        """Invoke a queue function with message bodies; QueueInvocationError lists failures."""
        function = self.queue_function(name)
        failures: dict[int, BaseException] = {}
        for index, value in enumerate(trigger_values(function, bodies)):
            try:
                await self._invoke(function.function, value)
            except Exception as exc:
                logger.exception("Function %s failed on queue %s", name, function.queue_name)
                failures[index] = exc
        if failures:
            raise QueueInvocationError(function.name, failures)

    async def start(self) -> None:
        """Start a binder for every queue function whose trigger type has one registered."""
        for function in self.catalog.queue:
            factory = self.registry.binder_for(function.trigger_type)
            if factory is None:
                logger.warning(
                    "No binder for %s (function %s, queue %s); invoke it directly",
                    function.trigger_type,
                    function.name,
                    function.queue_name,
                )
                continue
            binder = factory(self)
            await binder.start(function)
            self._binders.append(binder)
        self.timers.start()

    async def stop(self) -> None:
        """Stop binders, then let running sync invocations finish in their threads."""
        await self.timers.stop()
        while self._binders:
            await self._binders.pop().stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def web_app(self) -> web.Application:
        """An aiohttp app with one catch-all handler; binders start and stop with it."""
        application = web.Application(client_max_size=self.max_body_bytes)
        application.router.add_route("*", r"/{tail:[\s\S]*}", self.handle)  # newlines too
        application.on_startup.append(lambda _: self.start())
        application.on_cleanup.append(lambda _: self.stop())
        return application

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Route one HTTP request to its function, as the host does."""
        if self.cors is not None and is_preflight(request.method, request.headers):
            preflight = self.cors.preflight_headers(request.headers)
            return web.Response(status=HTTPStatus.NO_CONTENT, headers=preflight)
        extra = self._extra_headers(request)
        found = self.find_route(request.method, request.rel_url.raw_path)
        if found is None:
            detail = f"No function accepts {request.method} {request.rel_url.path}."
            return problem_response(HTTPStatus.NOT_FOUND, detail, extra)
        body = await self._read_body(request)
        if body is None:
            detail = f"The request body is larger than {self.max_body_bytes} bytes."
            return problem_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, detail, extra)
        function, route_params = found
        return await self._run_http(function, to_func_request(request, route_params, body), extra)

    async def _run_http(
        self, function: HttpFunction, request: func.HttpRequest, extra: dict[str, str]
    ) -> web.StreamResponse:
        invocation_id = str(uuid.uuid4())
        try:
            result = await self._invoke(function.function, request, invocation_id)
            return to_web_response(http_result(function, result), extra)
        except Exception:
            logger.exception(
                "Function %s failed (invocation %s, %s %s)",
                function.function.name,
                invocation_id,
                request.method,
                request.url,
            )
            detail = f"The function failed; see the host log for invocation {invocation_id}."
            return problem_response(HTTPStatus.INTERNAL_SERVER_ERROR, detail, extra)

    async def _invoke(
        self, function: HostFunction, value: Any, invocation_id: str | None = None
    ) -> InvocationResult:
        return await invoke(
            function,
            value,
            executor=self._executor,
            registry=self.registry,
            invocation_id=invocation_id,
        )

    async def _read_body(self, request: web.Request) -> bytes | None:
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            return None
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            return None

    def _extra_headers(self, request: web.Request) -> dict[str, str]:
        headers = dict(self.config.custom_headers)
        if self.cors is not None:
            headers.update(self.cors.origin_headers(request.headers.get("Origin", "")))
        return headers


def http_result(function: HttpFunction, result: InvocationResult) -> Any:
    """The HTTP response value: `$return`, or the value set on an `http` output parameter."""
    for binding in function.function.bindings:
        name = str(binding["name"])
        if str(binding.get("type", "")).lower() == "http" and is_output(binding) and name != RETURN:
            return result.outputs.get(name)
    return result.value
