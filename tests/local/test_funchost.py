"""The local Functions host over real HTTP: routing, binding, threads, errors, CORS, queues."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import threading
import typing
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import azure.functions as func
import pytest
from yarl import URL

from local.funchost import (
    BindingRegistry,
    CorsPolicy,
    FunctionHost,
    QueueFunction,
    QueueInvocationError,
    QueueInvoker,
    create_host,
    parse_host_config,
    start_host,
)
from local.funchost.config import HostConfig

PROBLEM_JSON = "application/problem+json"


@dataclass
class Calls:
    """What the test app's handlers saw, by function name."""

    seen: list[tuple[str, Any]] = field(default_factory=list)
    threads: dict[str, threading.Thread] = field(default_factory=dict)

    def record(self, name: str, value: Any) -> None:
        """Remember one invocation and the thread it ran on."""
        self.seen.append((name, value))
        self.threads[name] = threading.current_thread()

    def names(self) -> list[str]:
        """Function names in call order."""
        return [name for name, _ in self.seen]

    def last(self, name: str) -> Any:
        """The value recorded by the latest call of `name`."""
        return [value for seen, value in self.seen if seen == name][-1]


def echo(req: func.HttpRequest) -> dict[str, Any]:
    """The parts of a request the tests check."""
    return {
        "method": req.method,
        "url": req.url,
        "route": dict(req.route_params),
        "params": dict(req.params),
        "trace": req.headers.get("x-trace"),
        "body": req.get_body().decode(),
    }


def json_response(payload: Any, status: int = 200) -> func.HttpResponse:
    """A JSON HttpResponse."""
    return func.HttpResponse(json.dumps(payload), status_code=status, mimetype="application/json")


def items_blueprint(calls: Calls) -> func.Blueprint:
    """Routes under items/, one sync and one async."""
    bp = func.Blueprint()

    @bp.route(route="items/{id:int}", methods=["GET"])
    def get_item(req: func.HttpRequest) -> func.HttpResponse:
        calls.record("get_item", echo(req))
        return json_response(echo(req))

    @bp.route(route="items/{category:alpha}/{id:int?}", methods=["GET", "POST"])
    async def list_category(req: func.HttpRequest) -> func.HttpResponse:
        calls.record("list_category", echo(req))
        await asyncio.sleep(0)
        return json_response(echo(req))

    return bp


def files_blueprint(calls: Calls) -> func.Blueprint:
    """A catch-all route and a guid route."""
    bp = func.Blueprint()

    @bp.route(route="files/{*path}", methods=["GET"])
    def get_file(req: func.HttpRequest) -> func.HttpResponse:
        calls.record("get_file", dict(req.route_params))
        return json_response(dict(req.route_params))

    @bp.route(route="devices/{device_id:guid}", methods=["PUT"])
    def put_device(req: func.HttpRequest) -> func.HttpResponse:
        calls.record("put_device", req.get_json())
        return json_response({"id": req.route_params["device_id"], **req.get_json()})

    return bp


def add_misc_routes(app: func.FunctionApp, calls: Calls) -> None:
    """Precedence pair, a failing handler, a custom response and a default route."""

    @app.route(route="users/{id}", methods=["GET"])
    def get_user(req: func.HttpRequest) -> str:
        calls.record("get_user", req.route_params["id"])
        return f"user {req.route_params['id']}"

    # Registered after users/{id} on purpose: precedence, not order, must pick it.
    @app.route(route="users/me", methods=["GET"])
    def get_me(req: func.HttpRequest) -> str:
        calls.record("get_me", None)
        return "me"

    @app.route(route="boom")
    def boom(req: func.HttpRequest) -> func.HttpResponse:
        calls.record("boom", None)
        raise RuntimeError("secret-detail-from-the-database")

    @app.route(route="teapot", methods=["POST"])
    def teapot(req: func.HttpRequest) -> func.HttpResponse:
        calls.record("teapot", None)
        headers = {"X-Custom": "yes", "Cache-Control": "no-store"}
        return func.HttpResponse(
            "<tea/>", status_code=418, headers=headers, mimetype="application/xml"
        )

    @app.function_name("Renamed")
    @app.route(methods=["GET"])
    def renamed(req: func.HttpRequest) -> func.HttpResponse:
        calls.record("Renamed", None)
        return func.HttpResponse("<p>hi</p>", mimetype="text/html", charset="latin-1")


def add_queue_functions(app: func.FunctionApp, calls: Calls) -> None:
    """A RabbitMQ generic trigger and a Service Bus batch trigger."""

    @app.generic_trigger(
        arg_name="msg",
        type="rabbitMQTrigger",
        queue_name="jobs",
        connection_string_setting="RABBIT_CONN",
    )
    def on_job(msg: str) -> None:
        if msg == "poison":
            raise ValueError("bad message")
        calls.record("on_job", msg)

    @app.service_bus_queue_trigger(
        arg_name="msgs", connection="SB_CONN", queue_name="orders", cardinality="many"
    )
    async def on_orders(msgs: typing.List[func.ServiceBusMessage]) -> None:  # noqa: UP006 (the worker refuses list[...])
        calls.record("on_orders", msgs)


def build_app(calls: Calls) -> func.FunctionApp:
    """A fresh app (get_functions() works once per app object)."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    add_misc_routes(app, calls)
    add_queue_functions(app, calls)
    app.register_functions(items_blueprint(calls))
    app.register_functions(files_blueprint(calls))
    return app


@asynccontextmanager
async def serving(host: FunctionHost) -> AsyncIterator[aiohttp.ClientSession]:
    """Serve `host` on a free port and yield a client session bound to it."""
    runner, port = await start_host(host, port=0)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as session:
            yield session
    finally:
        await runner.cleanup()


@pytest.fixture
def calls() -> Calls:
    """A fresh call recorder."""
    return Calls()


@pytest.fixture
async def client(calls: Calls) -> AsyncIterator[aiohttp.ClientSession]:
    """The test app served with default host.json settings."""
    async with serving(FunctionHost(build_app(calls))) as session:
        yield session


async def read_problem(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """Assert a problem+json response and return its body."""
    assert response.headers["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = json.loads(await response.text())
    assert body["status"] == response.status
    return body


async def test_route_query_headers_and_url_reach_the_handler(
    client: aiohttp.ClientSession, calls: Calls
) -> None:
    async with client.get("/api/items/42?q=first&q=last&x=1", headers={"X-Trace": "t1"}) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        seen = await resp.json()
    assert seen["route"] == {"id": "42"}
    assert seen["params"] == {"q": "last", "x": "1"}  # last value wins, like the host
    assert seen["trace"] == "t1"
    assert seen["method"] == "GET"
    assert seen["url"].endswith("/api/items/42?q=first&q=last&x=1")
    assert calls.names() == ["get_item"]


async def test_body_and_optional_route_param_reach_an_async_handler(
    client: aiohttp.ClientSession, calls: Calls
) -> None:
    async with client.post("/api/items/books/7", data=b'{"n": 1}') as resp:
        assert resp.status == 200
        assert (await resp.json())["body"] == '{"n": 1}'
    async with client.get("/API/Items/Books") as resp:
        assert resp.status == 200
        assert (await resp.json())["route"] == {"category": "Books"}
    assert calls.last("list_category")["route"] == {"category": "Books"}
    assert calls.last("list_category")["method"] == "GET"


@pytest.mark.parametrize(
    "path", ["/api/items/abc/notanint", "/api/items/2147483648", "/api/items/b0oks", "/api/nope"]
)
async def test_constraint_miss_is_404_before_any_handler_runs(
    client: aiohttp.ClientSession, calls: Calls, path: str
) -> None:
    async with client.get(path) as resp:
        assert resp.status == 404
        problem = await read_problem(resp)
    assert problem["title"] == "Not Found"
    assert calls.names() == []


async def test_method_mismatch_is_404(client: aiohttp.ClientSession, calls: Calls) -> None:
    async with client.delete("/api/items/5") as resp:
        assert resp.status == 404
        await read_problem(resp)
    async with client.get("/api/teapot") as resp:
        assert resp.status == 404
    assert calls.names() == []


async def test_a_newline_in_the_path_still_gets_the_hosts_problem_answer(
    client: aiohttp.ClientSession, calls: Calls
) -> None:
    async with client.get(URL("/api/no%0Asuch/route", encoded=True)) as resp:
        assert resp.status == 404
        problem = await read_problem(resp)  # problem+json, not the web server's text/plain
        assert "No function accepts" in problem["detail"]
    assert calls.names() == []


async def test_catch_all_route_decodes_the_rest(
    client: aiohttp.ClientSession, calls: Calls
) -> None:
    async with client.get("/api/files/docs/my%20notes/a.txt") as resp:
        assert await resp.json() == {"path": "docs/my notes/a.txt"}
    async with client.get("/api/files") as resp:
        assert resp.status == 200
        assert await resp.json() == {}
    assert calls.names() == ["get_file", "get_file"]


async def test_guid_route_and_json_body(client: aiohttp.ClientSession, calls: Calls) -> None:
    device_id = str(uuid.uuid4())
    async with client.put(f"/api/devices/{device_id}", json={"max_kwh": 2.5}) as resp:
        assert resp.status == 200
        assert await resp.json() == {"id": device_id, "max_kwh": 2.5}
    async with client.put("/api/devices/not-a-guid", json={}) as resp:
        assert resp.status == 404
    assert calls.names() == ["put_device"]


async def test_literal_route_beats_parameter_route(
    client: aiohttp.ClientSession, calls: Calls
) -> None:
    async with client.get("/api/users/me") as resp:
        assert await resp.text() == "me"
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    async with client.get("/api/users/42") as resp:
        assert await resp.text() == "user 42"
    assert calls.names() == ["get_me", "get_user"]


async def test_sync_handlers_run_in_worker_threads_and_async_on_the_loop(
    client: aiohttp.ClientSession, calls: Calls
) -> None:
    async with client.get("/api/items/1") as resp:
        assert resp.status == 200
    async with client.get("/api/items/books") as resp:
        assert resp.status == 200
    loop_thread = threading.current_thread()
    assert calls.threads["get_item"] is not loop_thread
    assert calls.threads["get_item"].name.startswith("funchost-worker")
    assert calls.threads["list_category"] is loop_thread


async def test_handler_exception_is_a_500_problem_without_internals(
    client: aiohttp.ClientSession, calls: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="local.funchost"):
        async with client.get("/api/boom") as resp:
            assert resp.status == 500
            text = await resp.text()
            problem = await read_problem(resp)
    assert problem["title"] == "Internal Server Error"
    for leaked in ("secret-detail", "Traceback", "RuntimeError", "function_app", ".py"):
        assert leaked not in text
    assert calls.names() == ["boom"]
    failure = next(r for r in caplog.records if r.exc_info)
    assert "boom" in failure.getMessage()
    assert failure.exc_info is not None and failure.exc_info[0] is RuntimeError


async def test_custom_status_headers_and_mimetype(client: aiohttp.ClientSession) -> None:
    async with client.post("/api/teapot") as resp:
        assert resp.status == 418
        assert resp.headers["X-Custom"] == "yes"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Content-Type"] == "application/xml"  # charset only for text/*
        assert await resp.text() == "<tea/>"
    async with client.get("/api/renamed") as resp:  # no route: the function name, any case
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/html; charset=latin-1"


@pytest.mark.parametrize(
    ("host_json", "good", "bad"),
    [
        ({"extensions": {"http": {"routePrefix": "v1"}}}, "/v1/items/5", "/api/items/5"),
        ({"extensions": {"http": {"routePrefix": ""}}}, "/items/5", "/api/items/5"),
        ({"version": "2.0"}, "/api/items/5", "/items/5"),
    ],
)
async def test_route_prefix_from_host_json(
    calls: Calls, host_json: dict[str, Any], good: str, bad: str
) -> None:
    host = FunctionHost(build_app(calls), parse_host_config(host_json))
    async with serving(host) as session:
        async with session.get(good) as resp:
            assert resp.status == 200
        async with session.get(bad) as resp:
            assert resp.status == 404
    assert calls.names() == ["get_item"]


async def test_custom_headers_from_host_json(calls: Calls) -> None:
    config = parse_host_config({"extensions": {"http": {"customHeaders": {"X-Frame": "DENY"}}}})
    async with serving(FunctionHost(build_app(calls), config)) as session:
        async with session.get("/api/users/me") as resp:
            assert resp.headers["X-Frame"] == "DENY"
        async with session.get("/api/missing") as resp:
            assert resp.headers["X-Frame"] == "DENY"


async def test_cors_preflight_and_actual_request(calls: Calls) -> None:
    cors = CorsPolicy.from_values(["http://localhost:5173, https://app.example"])
    preflight = {
        "Origin": "http://localhost:5173",
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with serving(FunctionHost(build_app(calls), cors=cors)) as session:
        async with session.options("/api/items/5", headers=preflight) as resp:
            assert resp.status == 204
            assert resp.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
            assert resp.headers["Access-Control-Allow-Methods"] == "PUT"
            assert resp.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
        evil = {**preflight, "Origin": "https://evil.example"}
        async with session.options("/api/items/5", headers=evil) as resp:
            assert "Access-Control-Allow-Origin" not in resp.headers
        async with session.get("/api/items/5", headers={"Origin": "https://app.example"}) as resp:
            assert resp.status == 200
            assert resp.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert calls.names() == ["get_item"]  # preflights never reach functions


async def test_cors_wildcard_and_no_cors(calls: Calls) -> None:
    headers = {"Origin": "http://any.example", "Access-Control-Request-Method": "GET"}
    wildcard = CorsPolicy.from_values(["*"])
    async with (
        serving(FunctionHost(build_app(calls), cors=wildcard)) as session,
        session.options("/api/items/5", headers=headers) as resp,
    ):
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    async with (
        serving(FunctionHost(build_app(Calls()))) as session,
        session.options("/api/items/5", headers=headers) as resp,
    ):
        assert resp.status == 404  # without CORS configured, OPTIONS is routed normally
        assert "Access-Control-Allow-Origin" not in resp.headers


async def test_request_body_limit_gives_413(calls: Calls) -> None:
    host = FunctionHost(build_app(calls), max_body_bytes=1024)
    async with serving(host) as session:
        async with session.post("/api/items/books", data=b"x" * 2048) as resp:
            assert resp.status == 413
            await read_problem(resp)
        async with session.post("/api/items/books", data=b"x" * 1000) as resp:
            assert resp.status == 200
    assert calls.names() == ["list_category"]


def test_get_functions_is_called_once_and_queue_functions_are_listed(calls: Calls) -> None:
    app = build_app(calls)
    original = app.get_functions
    counter: list[int] = []

    def counting() -> list[func.Function]:
        counter.append(1)
        return original()

    app.get_functions = counting  # type: ignore[method-assign]
    host = FunctionHost(app)
    assert len(counter) == 1
    queues = {function.name: function for function in host.catalog.queue}
    assert set(queues) == {"on_job", "on_orders"}
    assert (queues["on_job"].trigger_type, queues["on_job"].queue_name) == (
        "rabbitMQTrigger",
        "jobs",
    )
    assert (queues["on_job"].connection, queues["on_job"].cardinality) == ("RABBIT_CONN", "one")
    assert (queues["on_orders"].queue_name, queues["on_orders"].connection) == ("orders", "SB_CONN")
    assert queues["on_orders"].cardinality == "many"
    listing = "\n".join(host.describe("http://127.0.0.1:7071"))
    assert "get_item: [GET] http://127.0.0.1:7071/api/items/{id:int}" in listing
    assert "on_job: rabbitMQTrigger queue=jobs connection=RABBIT_CONN" in listing
    assert "on_orders: serviceBusTrigger queue=orders connection=SB_CONN" in listing


async def test_queue_functions_are_invoked_with_bodies(calls: Calls) -> None:
    host = FunctionHost(build_app(calls))
    await host.invoke_queue("on_job", [b"first", "second"])
    assert [value for name, value in calls.seen if name == "on_job"] == ["first", "second"]
    await host.invoke_queue("on_orders", [b'{"a": 1}', '{"b": 2}'])
    batch = calls.last("on_orders")
    assert isinstance(batch, list) and len(batch) == 2
    assert all(isinstance(message, func.ServiceBusMessage) for message in batch)
    assert [message.get_body() for message in batch] == [b'{"a": 1}', b'{"b": 2}']
    assert calls.names() == ["on_job", "on_job", "on_orders"]
    await host.stop()


async def test_queue_failures_are_reported_by_position(calls: Calls) -> None:
    host = FunctionHost(build_app(calls))
    with pytest.raises(QueueInvocationError) as raised:
        await host.invoke_queue("on_job", ["ok", "poison", "ok2"])
    assert list(raised.value.failures) == [1]
    assert isinstance(raised.value.failures[1], ValueError)
    assert [value for name, value in calls.seen if name == "on_job"] == ["ok", "ok2"]
    with pytest.raises(KeyError, match="on_job"):
        await host.invoke_queue("no_such_function", ["x"])
    await host.stop()


@dataclass
class FakeBinder:
    """A binder that delivers one message as soon as it starts."""

    invoker: QueueInvoker
    events: list[str]

    async def start(self, function: QueueFunction) -> None:
        """Record the start and deliver a message."""
        self.events.append(f"start {function.name} {function.queue_name}")
        await self.invoker.invoke_queue(function.name, [b"from-binder"])

    async def stop(self) -> None:
        """Record the stop."""
        self.events.append("stop")


async def test_registered_binder_starts_and_stops_with_the_server(calls: Calls) -> None:
    events: list[str] = []
    registry = BindingRegistry()
    registry.add_binder("RABBITMQTRIGGER", lambda invoker: FakeBinder(invoker, events))
    async with serving(FunctionHost(build_app(calls), registry=registry)):
        assert events == ["start on_job jobs"]
        assert calls.last("on_job") == "from-binder"
    assert events == ["start on_job jobs", "stop"]


def write_app_files(folder: Path, module: str) -> Path:
    """An app file importing a sibling module, with host.json and local.settings.json."""
    (folder / f"{module}_helper.py").write_text("def shout(t):\n    return t.upper()\n")
    app_file = folder / f"{module}.py"
    app_file.write_text(
        "import os\nimport azure.functions as func\n"
        f"from {module}_helper import shout\n"
        "app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\n"
        "@app.route(route='shout/{word:alpha}')\n"
        "def shout_word(req: func.HttpRequest) -> str:\n"
        "    return shout(req.route_params['word']) + os.environ['FUNCHOST_TEST_SUFFIX']\n"
    )
    (folder / "host.json").write_text('{"extensions": {"http": {"routePrefix": "x"}}}')
    settings = {"Values": {"FUNCHOST_TEST_SUFFIX": "!"}, "Host": {"CORS": "*"}}
    (folder / "local.settings.json").write_text(json.dumps(settings))
    return app_file


@pytest.fixture
def app_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A throwaway app module; sys.path, sys.modules and the env are restored afterwards."""
    module = f"funchost_app_{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("FUNCHOST_TEST_SUFFIX", "unset")
    monkeypatch.delenv("FUNCHOST_TEST_SUFFIX")
    yield write_app_files(tmp_path, module)
    sys.modules.pop(module, None)
    sys.modules.pop(f"{module}_helper", None)


async def test_create_host_loads_the_app_file_with_sibling_imports(app_file: Path) -> None:
    host = create_host(app_file, app_file.parent / "host.json")
    assert host.config == HostConfig("x", {}, {"http": {"routePrefix": "x"}})
    assert host.cors == CorsPolicy(("*",))
    async with serving(host) as session, session.get("/x/shout/hey") as resp:
        assert await resp.text() == "HEY!"


async def wait_for_line(stream: asyncio.StreamReader, marker: str) -> str:
    """Read lines until one contains `marker`."""
    while line := (await stream.readline()).decode():
        if marker in line:
            return line
    raise AssertionError(f"stream ended before {marker!r}")


async def test_cli_serves_and_stops_gracefully_on_sigterm(app_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "local.funchost", "--app", str(app_file), "--port", "0",
        stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stderr is not None
    try:
        line = await asyncio.wait_for(wait_for_line(process.stderr, "Host started"), 20)
        port = int(line.split("127.0.0.1:")[1].split(";")[0])
        # the HTTP front (the C# host's part in Azure) runs on uvloop where it is installed
        expected = "event loop: asyncio" if sys.platform == "win32" else "event loop: uvloop"
        assert expected in line
        url = f"http://127.0.0.1:{port}/x/shout/ok"
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            assert await resp.text() == "OK!"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0
        assert "Stopping the host" in (await process.stderr.read()).decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def build_binding_app() -> func.FunctionApp:
    """Functions using context, an http output parameter, an input and an output binding."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="who", binding_arg_name="res")
    def who(req: func.HttpRequest, res: func.Out[func.HttpResponse], context: func.Context) -> None:
        res.set(func.HttpResponse(f"{context.function_name} {context.invocation_id}"))

    @app.route(route="negotiate")
    @app.generic_input_binding(arg_name="connection", type="webPubSubConnection", hub="chat")
    def negotiate(req: func.HttpRequest, connection: str) -> str:
        return connection

    @app.generic_trigger(arg_name="msg", type="rabbitMQTrigger", queue_name="in", connection="C")
    @app.generic_output_binding(arg_name="out", type="rabbitMQ", queue_name="out", connection="C")
    def relay(msg: bytes, out: func.Out[str]) -> None:
        out.set(msg.decode().upper())

    return app


async def test_context_output_parameters_and_binding_registry() -> None:
    sent: list[tuple[str, Any]] = []

    async def provide(binding: Mapping[str, Any], request: Any) -> str:
        return f"wss://twin/{binding['hub']}?path={request.url.split('/api/')[1]}"

    async def sink(binding: Mapping[str, Any], value: Any) -> None:
        sent.append((binding["queueName"], value))

    registry = BindingRegistry()
    registry.add_input("webpubsubconnection", provide)
    registry.add_output("rabbitMQ", sink)
    host = FunctionHost(build_binding_app(), registry=registry)
    async with serving(host) as session:
        async with session.get("/api/who") as resp:
            name, invocation_id = (await resp.text()).split()
        assert name == "who" and uuid.UUID(invocation_id)
        async with session.get("/api/negotiate") as resp:
            assert await resp.text() == "wss://twin/chat?path=negotiate"
        await host.invoke_queue("relay", [b"hello"])
    assert sent == [("out", "HELLO")]


async def test_missing_input_provider_is_a_500_naming_the_binding_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = FunctionHost(build_binding_app())
    async with serving(host) as session, session.get("/api/negotiate") as resp:
        assert resp.status == 500
        assert "webPubSubConnection" not in await resp.text()
    failure = next(record for record in caplog.records if record.exc_info)
    assert failure.exc_info is not None
    assert "no local provider for input binding 'connection'" in str(failure.exc_info[1])
