"""The local host refuses what the Azure Functions Python worker refuses, with its reason."""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from local.funchost import FunctionHost
from local.funchost.worker_index import FunctionLoadError, is_generic_type, validate_app

ROOT = Path(__file__).resolve().parents[2]
SETTING = "WORKER_INDEX_TEST_URL"


def rabbit_app(function: Callable[..., Any], *, output: bool = False) -> func.FunctionApp:
    """`function` behind a RabbitMQ trigger (`message`), optionally with an output (`out`)."""
    app = func.FunctionApp()
    decorated = app.generic_trigger(
        arg_name="message",
        type="rabbitMQTrigger",
        queue_name="q",
        connection_string_setting=SETTING,
    )(function)
    if output:
        decorated = app.generic_output_binding(
            arg_name="out", type="rabbitMQ", queue_name="q.out", connection_string_setting=SETTING
        )(decorated)
    app.function_name("f")(decorated)
    return app


def servicebus_app(function: Callable[..., Any]) -> func.FunctionApp:
    """`function` behind a Service Bus batch trigger (`messages`) with an output (`out`)."""
    app = func.FunctionApp()
    app.function_name("f")(
        app.service_bus_queue_output(arg_name="out", connection="SB", queue_name="q-invalid")(
            app.service_bus_queue_trigger(
                arg_name="messages", connection="SB", queue_name="q", cardinality="many"
            )(function)
        )
    )
    return app


def refusal(app: func.FunctionApp) -> str:
    with pytest.raises(FunctionLoadError) as caught:
        validate_app(app.get_functions())
    message = str(caught.value)
    assert message.startswith("cannot load the f function: ")
    return message


def test_a_pep585_list_parameter_is_refused() -> None:
    def f(message: list[str]) -> None: ...

    assert "binding message has invalid non-type annotation list[str]" in refusal(rabbit_app(f))


def test_a_pep585_service_bus_batch_is_refused_and_typing_list_accepted() -> None:
    def pep585(messages: list[func.ServiceBusMessage], out: func.Out[str]) -> None: ...

    assert "invalid non-type annotation" in refusal(servicebus_app(pep585))

    def typed(messages: typing.List[func.ServiceBusMessage], out: func.Out[str]) -> None:  # noqa: UP006
        ...

    validate_app(servicebus_app(typed).get_functions())


def test_an_output_of_a_pep585_list_is_refused() -> None:
    def f(message: str, out: func.Out[list[str]]) -> None: ...

    assert "binding out has invalid non-type annotation" in refusal(rabbit_app(f, output=True))


def test_an_output_list_is_refused_by_the_generic_converter() -> None:
    def f(message: str, out: func.Out[typing.List[str]]) -> None: ...  # noqa: UP006

    assert "issubclass() arg 1 must be a class" in refusal(rabbit_app(f, output=True))


def test_a_service_bus_output_takes_str_not_a_list() -> None:
    def f(
        messages: typing.List[func.ServiceBusMessage],  # noqa: UP006
        out: func.Out[typing.List[str]],  # noqa: UP006
    ) -> None: ...

    assert "binding out" in refusal(servicebus_app(f))


def test_parameters_must_match_the_bindings() -> None:
    def extra(message: str, flag: bool = False) -> None: ...

    assert "declared in Python but not in function.json: {'flag'}" in refusal(rabbit_app(extra))

    def missing(message: str) -> None: ...

    assert "declared in function.json but not in Python: {'out'}" in refusal(
        rabbit_app(missing, output=True)
    )


def test_out_annotations_must_match_the_direction() -> None:
    def out_on_input(message: func.Out[str]) -> None: ...

    assert 'declared to have the "in" direction' in refusal(rabbit_app(out_on_input))

    def plain_output(message: str, out: str) -> None: ...

    assert 'declared to have the "out" direction' in refusal(rabbit_app(plain_output, output=True))


def test_a_context_parameter_must_be_a_context() -> None:
    def f(message: str, context: str) -> None: ...

    assert 'the "context" parameter is expected to be of type' in refusal(rabbit_app(f))

    def g(message: str, context: func.Context) -> None: ...

    validate_app(rabbit_app(g).get_functions())


def test_a_trigger_annotation_the_converter_refuses() -> None:
    def f(message: int) -> None: ...

    assert 'do not match the corresponding function parameter\'s Python type annotation "int"' in (
        refusal(rabbit_app(f))
    )


def test_an_http_return_annotation_is_checked() -> None:
    app = func.FunctionApp()

    @app.function_name("f")
    @app.route(route="x")
    def f(req: func.HttpRequest) -> int:
        return 1

    assert 'Python return annotation "int" does not match binding type "http"' in refusal(app)


def test_generic_types_as_the_worker_sees_them() -> None:
    assert is_generic_type(typing.List[str])  # noqa: UP006
    assert is_generic_type(func.Out[str])
    assert not is_generic_type(list[str])
    assert not is_generic_type(typing.Union[str, bytes])  # noqa: UP007
    assert not is_generic_type(str)


def test_the_host_refuses_an_app_the_worker_refuses() -> None:
    def f(message: list[str]) -> None: ...

    with pytest.raises(FunctionLoadError, match="invalid non-type annotation"):
        FunctionHost(rabbit_app(f))


@pytest.mark.parametrize("transport", ["rabbitmq", "servicebus", "none"])
def test_the_function_app_indexes_completely_for_every_transport(transport: str) -> None:
    script = (
        "import sys; sys.path[:0] = ['functions', '.']\n"
        "import function_app\n"
        "from local.funchost.worker_index import validate_function\n"
        "fns = function_app.app.get_functions()\n"
        "[validate_function(f) for f in fns]\n"
        "print(len(fns), sum(1 for f in fns if f.get_function_name() == 'ingest_measurements'))\n"
    )
    env = {**os.environ, "MEASUREMENTS_TRANSPORT": transport}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    total, ingest = map(int, result.stdout.split())
    assert ingest == (0 if transport == "none" else 1)
    assert total > 20


def test_the_cli_prints_the_worker_reason_and_exits(tmp_path: Path) -> None:
    app_file = tmp_path / "function_app.py"
    app_file.write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp()\n"
        "@app.function_name('bad')\n"
        "@app.generic_trigger(arg_name='message', type='rabbitMQTrigger', queue_name='q',"
        " connection_string_setting='X')\n"
        "def bad(message: list[str]) -> None: ...\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "local.funchost", "--app", str(app_file), "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "cannot load the bad function: binding message has invalid non-type annotation" in (
        result.stderr
    )
    assert "0 functions found" in result.stderr
