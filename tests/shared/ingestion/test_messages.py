"""The measurement contract: one pydantic model parses queue bodies and HTTP items alike."""

from __future__ import annotations

import json

import pytest

from shared.ingestion.messages import Measurement, Rejection, parse_body, parse_item
from shared.metering import DEFAULT_MAX_FUTURE_MS
from shared.schemas import MIN_TIMESTAMP_MS, MeasurementIn

NOW_MS = 1_800_000_000_000
DEVICE = "0A1B2C3D-0000-4000-8000-00000000000F"


def body(timestamp: str = "1700000000000", value: str = "1.5", extra: str = "") -> str:
    return (
        f'{{"timestamp": {timestamp}, "device_id": "{DEVICE}", '
        f'"measurement_value": {value}{extra}}}'
    )


def both(text: str) -> list[Measurement | Rejection]:
    """The body parsed from its text, and as a decoded HTTP item."""
    return [parse_body(text, now_ms=NOW_MS), parse_item(json.loads(text), now_ms=NOW_MS)]


@pytest.mark.parametrize("timestamp", ["1700000000000", "1700000000000.0", "1.7e12"])
def test_a_whole_number_of_milliseconds_is_accepted_and_the_id_lower_cased(
    timestamp: str,
) -> None:
    for result in both(body(timestamp)):
        assert isinstance(result, Measurement)
        assert result.device_id == DEVICE.lower()
        assert (result.reading.timestamp_ms, result.reading.value_kwh) == (1_700_000_000_000, 1.5)
        assert type(result.reading.timestamp_ms) is int


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            body("1700000000000.5"),
            "timestamp must be integer epoch milliseconds, got 1700000000000.5",
        ),
        (body("true"), "timestamp must be integer epoch milliseconds, got True"),
        (body('"1700000000000"'), "timestamp must be integer epoch milliseconds"),
        (body("-5"), "timestamp -5 is before 2000-01-01"),
        (body(str(MIN_TIMESTAMP_MS - 1)), "is before 2000-01-01"),
        (body(str(NOW_MS + DEFAULT_MAX_FUTURE_MS + 1)), "ms after now"),
        (body(value="-1"), "measurement value must be >= 0, got -1"),
        (body(value="true"), "measurement value must be a number, got True"),
        (body(value='"3"'), "measurement value must be a number, got '3'"),
        (body(value="NaN"), "measurement value must be finite, got NaN"),
        (body(value="-Infinity"), "measurement value must be finite, got -Infinity"),
        (body(value="1" + "0" * 400), "measurement_value is out of range (too large for a float)"),
        (body(extra=', "x": 1, "b": 2'), "unknown field(s): b, x"),
        ('{"timestamp": 1700000000000}', "missing field(s): device_id, measurement_value"),
        ('{"device_id": 5}', "missing field(s): timestamp, measurement_value"),
        ("[1, 2]", "message must be a JSON object"),
        ("null", "message must be a JSON object"),
    ],
)
def test_every_refusal_names_the_field_and_what_was_wrong(text: str, reason: str) -> None:
    for result in both(text):
        assert isinstance(result, Rejection) and reason in result.reason


def test_a_future_reading_within_the_skew_is_accepted() -> None:
    for result in both(body(str(NOW_MS + DEFAULT_MAX_FUTURE_MS))):
        assert isinstance(result, Measurement)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{oops", "malformed JSON: key must be a string"),
        ("", "malformed JSON"),
        (body() + " x", "malformed JSON: trailing characters"),
        ('{"a": "\ud800"}', "malformed JSON: the text is not valid Unicode"),
        (b"\xff\xfe", "malformed JSON"),
        ("[" * 300 + "]" * 300, "malformed JSON: nested too deeply"),
    ],
)
def test_bodies_that_are_not_json_say_so(text: str | bytes, reason: str) -> None:
    result = parse_body(text, now_ms=NOW_MS)
    assert isinstance(result, Rejection) and result.reason.startswith(reason)


def test_the_documented_schema_is_the_one_that_validates() -> None:
    schema = MeasurementIn.model_json_schema()
    assert schema["required"] == ["timestamp", "device_id", "measurement_value"]
    assert schema["additionalProperties"] is False
    stamp = schema["properties"]["timestamp"]
    assert (stamp["type"], stamp["minimum"]) == ("integer", MIN_TIMESTAMP_MS)
    assert schema["properties"]["measurement_value"]["minimum"] == 0
    assert "pattern" in schema["properties"]["device_id"]
