"""The console's pure rules: fleet status, silence episodes, audit redaction, push recipients."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.audit import REDACTED, redact
from shared.console.fleet import Thresholds, classify, from_epoch_ms, to_epoch_ms
from shared.console.push import recipients, silence_message
from shared.console.silence import MeterWatch, SilenceEvent, plan_silence
from shared.settings import Settings

NOW = datetime(2026, 12, 2, 12, 0, 0)
LIMITS = Thresholds.from_minutes(30, 120)


@pytest.mark.parametrize(
    ("age", "status"),
    [
        (None, "never"),
        (timedelta(0), "reporting"),
        (timedelta(minutes=10), "reporting"),
        (timedelta(minutes=29, seconds=59), "reporting"),
        (timedelta(minutes=30), "late"),
        (timedelta(minutes=119), "late"),
        (timedelta(minutes=120), "silent"),
        (timedelta(days=3), "silent"),
        (timedelta(minutes=-5), "reporting"),  # a meter clock slightly ahead is not late
    ],
)
def test_status_by_age_of_last_reading(age: timedelta | None, status: str) -> None:
    last = None if age is None else NOW - age
    assert classify(last, NOW, LIMITS) == status


def test_epoch_round_trip_is_naive_utc() -> None:
    assert to_epoch_ms(datetime(2026, 1, 1)) == 1_767_225_600_000
    assert from_epoch_ms(1_767_225_600_000) == datetime(2026, 1, 1)
    assert from_epoch_ms(None) is None


def _watch(device: str, age_min: int | None, episode: str | None) -> MeterWatch:
    last = None if age_min is None else to_epoch_ms(NOW - timedelta(minutes=age_min))
    return MeterWatch(device, "owner-" + device, last, episode)


def test_one_episode_per_silence_and_closed_when_readings_resume() -> None:
    plan = plan_silence(
        [
            _watch("quiet", 180, None),  # silent, no episode: open one
            _watch("still-quiet", 500, "e1"),  # silent, episode open: nothing new
            _watch("back", 5, "e2"),  # reporting again: close
            _watch("late-again", 45, "e3"),  # late is not silent: close
            _watch("new", None, None),  # never reported: no alert
        ],
        NOW,
        LIMITS,
    )
    assert [w.device_id for w in plan.to_open] == ["quiet"]
    assert [w.device_id for w in plan.to_close] == ["back", "late-again"]


def test_audit_snapshots_never_keep_secrets() -> None:
    clean = redact(
        {
            "username": "ana",
            "password": "hunter2-hunter2",
            "nested": {"device_key": "dk_abc", "JWT_SECRET": "s", "note": "ok"},
            "key_hash": "abc",
            "refresh_token": "t",
        }
    )
    assert clean == {
        "username": "ana",
        "password": REDACTED,
        "nested": {"device_key": REDACTED, "JWT_SECRET": REDACTED, "note": "ok"},
        "key_hash": REDACTED,
        "refresh_token": REDACTED,
    }
    assert redact(None) is None


def _event(owner: str | None) -> SilenceEvent:
    return SilenceEvent("silent", "ep", "dev", "Kitchen", owner, NOW - timedelta(hours=3), NOW)


def test_silence_goes_to_the_owner_and_every_admin_once() -> None:
    assert recipients(_event("o1"), ["a1", "a2", "a1"]) == ["o1", "a1", "a2"]
    assert recipients(_event(None), ["a1"]) == ["a1"]


def test_silence_message_names_the_device_and_times() -> None:
    message = silence_message(_event("o1"))
    assert message["type"] == "meter.silent"
    assert message["episode"]["device_description"] == "Kitchen"
    assert message["episode"]["last_reading_at"] == "2026-12-02T09:00:00+00:00"


def test_silent_threshold_must_exceed_late_threshold() -> None:
    with pytest.raises(ValueError, match="FLEET_SILENT_AFTER_MINUTES"):
        Settings(FLEET_LATE_AFTER_MINUTES=60, FLEET_SILENT_AFTER_MINUTES=60)


@pytest.mark.parametrize(
    ("settings", "environ", "expected"),
    [
        ({}, {}, "none"),
        ({"RABBITMQ_URL": "amqp://x"}, {}, "rabbitmq"),
        ({}, {"SERVICEBUS_CONNECTION__fullyQualifiedNamespace": "ns"}, "servicebus"),
        ({"RABBITMQ_URL": "amqp://x", "MEASUREMENTS_TRANSPORT": "none"}, {}, "none"),
        ({"MEASUREMENTS_TRANSPORT": "none", "DEADLETTER_TRANSPORT": "rabbitmq"}, {}, "rabbitmq"),
    ],
)
def test_dead_letters_follow_ingestion_unless_told_otherwise(
    settings: dict[str, str],
    environ: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.console.deadletter_stores import chosen_transport, dead_letter_queue

    for name in ("RABBITMQ_URL", "MEASUREMENTS_TRANSPORT", "MEASUREMENTS_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("DEADLETTER_TRANSPORT", "DEADLETTER_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    configured = Settings(**settings)  # type: ignore[arg-type]
    assert chosen_transport(configured, environ) == expected
    assert dead_letter_queue(configured) == "measurements"
    assert dead_letter_queue(Settings(MEASUREMENTS_QUEUE="q2")) == "q2"
    assert dead_letter_queue(Settings(MEASUREMENTS_QUEUE="q2", DEADLETTER_QUEUE="q3")) == "q3"
