"""Timer triggers: the NCRONTAB parser, the local host running them, and the app's timer."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import time
import typing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.timer import TimerRequestConverter

from local.funchost import FunctionHost
from local.funchost.catalog import FunctionIndexError, build_catalog
from local.funchost.ncrontab import NcrontabError, parse
from local.funchost.server import load_function_app
from local.funchost.timer import TimerRunner, timer_request

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
T0 = datetime(2026, 12, 2, 6, 52, 13)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("0 */5 * * * *", T0, datetime(2026, 12, 2, 6, 55, 0)),
        ("*/15 * * * * *", T0, datetime(2026, 12, 2, 6, 52, 15)),
        ("0 30 9 * * 1-5", datetime(2026, 12, 5, 10, 0), datetime(2026, 12, 7, 9, 30)),  # Sat
        ("0 30 9 * * Mon-Fri", datetime(2026, 12, 4, 9, 30), datetime(2026, 12, 7, 9, 30)),
        ("0 0 0 29 Feb *", T0, datetime(2028, 2, 29)),
        ("0 0 12 1 Jan,Jul *", T0, datetime(2027, 1, 1, 12)),
        ("5,10 0 0 * * 0", T0, datetime(2026, 12, 6, 0, 0, 5)),  # Sunday is 0 ...
        ("5,10 0 0 * * 7", T0, datetime(2026, 12, 6, 0, 0, 5)),  # ... and 7
        ("0 0 */6 * * *", datetime(2026, 12, 31, 23, 0), datetime(2027, 1, 1)),
        ("0 5/20 * * * *", T0, datetime(2026, 12, 2, 7, 5)),
        # NCrontab requires day-of-month AND day-of-week: the 13th that is a Friday
        ("0 0 0 13 * 5", T0, datetime(2027, 8, 13)),
    ],
)
def test_next_occurrence(expression: str, after: datetime, expected: datetime) -> None:
    assert parse(expression).next_after(after) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("*/5 * * * *", "6 fields"),
        ("60 * * * * *", "second field '60'"),
        ("0 0 24 * * *", "hour field"),
        ("0 0 0 0 * *", "day field"),
        ("0 0 0 * 13 *", "month field"),
        ("0 0 0 * * 8", "day-of-week field"),
        ("*/0 * * * * *", "step must be at least 1"),
        ("0 5-1 * * * *", "minute field"),
        ("0 x * * * *", "'x' is not a number"),
        ("00:05:00", "6 fields"),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(NcrontabError, match=message):
        parse(expression)


def test_past_due_when_started_later_than_scheduled() -> None:
    on_time = timer_request(T0, T0 + timedelta(milliseconds=300), T0 + timedelta(minutes=5), None)
    late = timer_request(T0, T0 + timedelta(seconds=40), T0 + timedelta(minutes=5), T0)
    assert isinstance(on_time, func.TimerRequest) and not on_time.past_due
    assert late.past_due
    assert late.schedule_status["Next"] == "2026-12-02T06:57:13"


def _timer_app(schedule: str, calls: list[tuple[float, func.TimerRequest]], **kw: Any) -> Any:
    app = func.FunctionApp()

    @app.function_name("tick")
    @app.timer_trigger(arg_name="timer", schedule=schedule, **kw)
    def tick(timer: func.TimerRequest) -> None:
        calls.append((time.monotonic(), timer))

    return app


async def _run_for(host: FunctionHost, seconds: float) -> None:
    await host.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await host.stop()


def test_host_runs_a_timer_on_its_schedule_and_on_startup() -> None:
    calls: list[tuple[float, func.TimerRequest]] = []
    host = FunctionHost(_timer_app("* * * * * *", calls, run_on_startup=True))
    started = time.monotonic()
    asyncio.run(_run_for(host, 2.6))
    assert 3 <= len(calls) <= 4, calls  # start-up + one per second
    assert calls[0][0] - started < 0.5  # runOnStartup: immediately
    assert all(isinstance(value, func.TimerRequest) for _, value in calls)
    assert not any(value.past_due for _, value in calls)
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(calls[1:])]
    assert all(0.7 < gap < 1.3 for gap in gaps), gaps


def test_timer_without_run_on_startup_waits_for_its_schedule() -> None:
    calls: list[tuple[float, func.TimerRequest]] = []
    host = FunctionHost(_timer_app("0 0 0 1 1 *", calls))  # midnight on New Year's Day
    asyncio.run(_run_for(host, 0.5))
    assert calls == []


def test_disabled_setting_turns_a_timer_off() -> None:
    calls: list[tuple[float, func.TimerRequest]] = []
    app = _timer_app("* * * * * *", calls, run_on_startup=True)
    catalog = build_catalog(app.get_functions(), "api")

    async def invoker(function: Any, value: Any) -> None:
        calls.append((0.0, value))

    runner = TimerRunner(catalog.other, invoker, environ={"AzureWebJobs.tick.Disabled": "true"})
    assert runner.timers == []
    enabled = TimerRunner(catalog.other, invoker, environ={"SCHEDULE": "0 * * * * *"})
    assert [t.function.name for t in enabled.timers] == ["tick"]


def test_schedule_from_an_app_setting() -> None:
    app = _timer_app("%SCAN_SCHEDULE%", [])
    catalog = build_catalog(app.get_functions(), "api")

    async def invoker(function: Any, value: Any) -> None:
        return None

    runner = TimerRunner(catalog.other, invoker, environ={"SCAN_SCHEDULE": "0 */2 * * * *"})
    assert runner.timers[0].schedule.minutes == frozenset(range(0, 60, 2))
    with pytest.raises(FunctionIndexError, match="SCAN_SCHEDULE is not set"):
        TimerRunner(
            build_catalog(_timer_app("%SCAN_SCHEDULE%", []).get_functions(), "api").other,
            invoker,
            environ={},
        )


def test_a_bad_schedule_stops_the_host_from_starting() -> None:
    with pytest.raises(FunctionIndexError, match=r"'tick'.*6 fields"):
        FunctionHost(_timer_app("*/5 * * * *", []))


def test_the_silent_meter_scan_is_a_timer_the_python_worker_indexes() -> None:
    app = load_function_app(FUNCTIONS_DIR / "function_app.py")
    timers = [f for f in app.get_functions() if f.get_trigger().type == "timerTrigger"]
    names = [f.get_function_name() for f in timers]
    assert names == ["scan_silent_meters", "prune_login_failures"]
    assert parse(timers[1].get_trigger().get_dict_repr()["schedule"]).minutes == {17}
    trigger = timers[0].get_trigger().get_dict_repr()
    assert parse(trigger["schedule"]).minutes == frozenset(range(0, 60, 5))
    assert trigger["name"] == "timer"
    # the worker refuses a trigger parameter whose annotation its converter does not accept
    user_function = timers[0].get_user_function()
    hints = typing.get_type_hints(user_function)
    assert TimerRequestConverter.check_input_type_annotation(hints["timer"])
    assert list(inspect.signature(user_function).parameters) == ["timer"]
