"""The push plan: live alerts one by one, backfills and bursts as one summary per owner."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.models import utcnow
from shared.notify import AlertEvent, AlertSummary, notify, plan_pushes

NOW = datetime(2026, 11, 10, 12, 0)


def event(owner: str | None, hour: datetime, *, state: str = "active", n: int = 0) -> AlertEvent:
    return AlertEvent(
        alert_id=f"a{n}-{hour.isoformat()}",
        device_id="d1",
        owner_id=owner,
        hour_start_utc=hour,
        energy_kwh=2.0 + n,
        peak_kwh=2.0 + n,
        max_hourly_kwh=1.0,
        state=state,  # type: ignore[arg-type]
        change="opened" if state == "active" else "cleared",
    )


def test_recent_alerts_are_pushed_one_by_one() -> None:
    events = [event("u1", NOW - timedelta(hours=1)), event("u2", NOW - timedelta(hours=2))]
    plan = plan_pushes(events, now=NOW, backfill_after=timedelta(hours=24), max_per_owner=20)
    assert plan.events == events and plan.summaries == []


def test_alerts_for_old_hours_become_one_summary_per_owner_with_the_newest_as_examples() -> None:
    old = [event("u1", datetime(2026, 11, 3) + timedelta(hours=7 * i), n=i) for i in range(20)]
    old.append(event("u1", datetime(2026, 11, 4), state="cleared"))
    recent = event("u1", NOW - timedelta(hours=1))
    plan = plan_pushes(
        [*old, recent, event(None, datetime(2026, 11, 3))],
        now=NOW,
        backfill_after=timedelta(hours=24),
        max_per_owner=20,
    )
    assert plan.events == [recent]
    [summary] = plan.summaries
    assert (summary.owner_id, summary.active, summary.cleared, summary.backfill) == (
        "u1",
        20,
        1,
        True,
    )
    assert summary.first_hour == datetime(2026, 11, 3)
    assert summary.last_hour == datetime(2026, 11, 3) + timedelta(hours=7 * 19)
    assert [e.hour_start_utc for e in summary.examples] == [
        datetime(2026, 11, 3) + timedelta(hours=7 * i) for i in (19, 18, 17)
    ]


def test_a_burst_of_live_alerts_for_one_owner_is_summarised() -> None:
    burst = [event("u1", NOW - timedelta(hours=1), n=i) for i in range(5)]
    plan = plan_pushes(burst, now=NOW, backfill_after=timedelta(hours=24), max_per_owner=3)
    assert plan.events == []
    assert [(s.active, s.backfill) for s in plan.summaries] == [(5, False)]


class Recorder:
    def __init__(self) -> None:
        self.events: list[AlertEvent] = []
        self.summaries: list[AlertSummary] = []
        self.consumption: dict[str, set[str]] = {}

    def alerts_changed(self, events: list[AlertEvent]) -> None:
        self.events += events

    def alerts_summarised(self, summaries: list[AlertSummary]) -> None:
        self.summaries += summaries

    def consumption_updated(self, owners: dict[str, set[str]]) -> None:
        self.consumption = owners


def test_notify_takes_alerts_and_changed_hours_and_tells_only_owners() -> None:
    recorder = Recorder()
    live = event("u1", utcnow() - timedelta(hours=1))
    owners = {"d1": "u1", "d2": None, "d3": "u1"}
    notify(recorder, [live], {"d1": {1}, "d2": {2}, "d3": {3}}, owners)
    assert recorder.events == [live]
    # d1's alert message already tells u1 its hours changed; d2 has no owner.
    assert recorder.consumption == {"u1": {"d3"}}


def test_a_failing_notifier_never_fails_the_caller(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Recorder):
        def alerts_changed(self, events: list[AlertEvent]) -> None:
            raise RuntimeError("push channel down")

    notify(Broken(), [event("u1", utcnow())], {}, {})
    assert "notification failed" in caplog.text
