"""Timer triggers on the local host: run each `timerTrigger` function on its NCRONTAB schedule.

Like the Functions host: one invocation at a time per function (never overlapping), an optional
run at start-up (`runOnStartup`), `func.TimerRequest` with `past_due` set when an invocation
starts later than its scheduled time (the previous one overran), and
`AzureWebJobs.<name>.Disabled=true` in the environment turns a function off.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.functions.timer import TimerRequest as WorkerTimerRequest

from local.funchost.catalog import FunctionIndexError, HostFunction
from local.funchost.ncrontab import Ncrontab, NcrontabError, parse

logger = logging.getLogger(__name__)
TIMER_TRIGGER = "timertrigger"
PAST_DUE_AFTER_S = 1.0  # later than this past the scheduled second counts as past due
Invoker = Callable[[HostFunction, Any], Awaitable[Any]]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Naive UTC now (the schedules are in UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class TimerFunction:
    """A timer-triggered function with its parsed schedule."""

    function: HostFunction
    schedule: Ncrontab
    run_on_startup: bool


def is_timer(function: HostFunction) -> bool:
    """True for a `timerTrigger` function."""
    return function.trigger_type.lower() == TIMER_TRIGGER


def resolve_setting(value: str, environ: Mapping[str, str]) -> str:
    """`%NAME%` reads the app setting NAME, as the host does for schedules."""
    if len(value) > 2 and value.startswith("%") and value.endswith("%"):
        name = value[1:-1]
        if name not in environ:
            raise FunctionIndexError(f"schedule {value!r}: the app setting {name} is not set")
        return environ[name]
    return value


def to_timer_function(function: HostFunction, environ: Mapping[str, str]) -> TimerFunction:
    """Parse the trigger's schedule; FunctionIndexError names the function when it is wrong."""
    text = resolve_setting(str(function.trigger.get("schedule", "")), environ)
    try:
        schedule = parse(text)
    except NcrontabError as exc:
        raise FunctionIndexError(f"function {function.name!r}: {exc}") from exc
    return TimerFunction(function, schedule, bool(function.trigger.get("runOnStartup", False)))


def is_disabled(name: str, environ: Mapping[str, str]) -> bool:
    """The host's `AzureWebJobs.<name>.Disabled` switch."""
    value = environ.get(f"AzureWebJobs.{name}.Disabled", "")
    return value.strip().lower() in ("1", "true")


def timer_request(
    scheduled: datetime, started: datetime, following: datetime, last: datetime | None
) -> func.TimerRequest:
    """The value the Python worker passes (its own concrete TimerRequest)."""
    status = {
        "Last": (last or scheduled).isoformat(),
        "Next": following.isoformat(),
        "LastUpdated": started.isoformat(),
    }
    past_due = (started - scheduled).total_seconds() > PAST_DUE_AFTER_S
    return WorkerTimerRequest(
        past_due=past_due, schedule_status=status, schedule={"AdjustForDST": True}
    )


class TimerRunner:
    """Runs every timer function of a catalog until stopped."""

    def __init__(
        self,
        functions: Iterable[HostFunction],
        invoker: Invoker,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
    ) -> None:
        env = dict(os.environ if environ is None else environ)
        self.timers = [
            to_timer_function(f, env)
            for f in functions
            if is_timer(f) and not is_disabled(f.name, env)
        ]
        self._invoker = invoker
        self._clock = clock
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start one loop per timer function on the running event loop."""
        for timer in self.timers:
            logger.info(
                "Timer %s: schedule %r, next %s UTC",
                timer.function.name,
                timer.schedule.expression,
                timer.schedule.next_after(self._clock()).isoformat(),
            )
            self._tasks.append(asyncio.create_task(self._loop(timer)))

    async def stop(self) -> None:
        """Cancel the loops (an invocation in a worker thread finishes on its own)."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _loop(self, timer: TimerFunction) -> None:
        last: datetime | None = None
        if timer.run_on_startup:
            now = self._clock()
            await self._fire(timer, now, now, last)
            last = now
        scheduled = timer.schedule.next_after(self._clock())
        while True:
            delay = (scheduled - self._clock()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._fire(timer, scheduled, self._clock(), last)
            last = scheduled
            # Occurrences missed while the invocation ran are skipped, as the host does.
            scheduled = timer.schedule.next_after(max(scheduled, self._clock()))

    async def _fire(
        self, timer: TimerFunction, scheduled: datetime, started: datetime, last: datetime | None
    ) -> None:
        following = timer.schedule.next_after(started)
        request = timer_request(scheduled, started, following, last)
        try:
            await self._invoker(timer.function, request)
        except Exception:
            logger.exception("Timer function %s failed", timer.function.name)
