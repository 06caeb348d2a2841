"""Read cumulative kWh readings from CSV: one value per line, or `timestamp,value` rows."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sensor_client.errors import InputError

MIN_TIMESTAMP_MS = 946_684_800_000  # 2000-01-01T00:00:00Z: the platform rejects older readings
MAX_ERRORS_SHOWN = 20
_HEADER = re.compile(r"^[A-Za-z_][A-Za-z0-9_ ()]*$")


@dataclass(frozen=True, slots=True)
class Reading:
    """One cumulative register reading; `timestamp_ms` is set only for `timestamp,value` rows."""

    value_kwh: float
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class CsvSource:
    """The readings of one CSV file and a fingerprint of its content."""

    path: Path
    readings: tuple[Reading, ...]
    sha256: str


class CsvFormatError(InputError):
    """Every bad line of a CSV file, with line numbers, in one message."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        shown = problems[:MAX_ERRORS_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"{path}: {len(problems)} bad line(s):", *(f"  {p}" for p in shown)]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))
        self.problems = problems


def parse_value(text: str) -> float:
    """Parse a kWh register value; raise ValueError with a reason when it is unusable."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"value {text!r} is not a number") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"value {text!r} is not a finite number")
    if value < 0:
        raise ValueError(f"value {text!r} is negative")
    return value


def parse_timestamp_ms(text: str) -> int:
    """Parse epoch milliseconds or ISO 8601 with a UTC offset into epoch milliseconds."""
    if text.isdigit():
        stamp = int(text)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"timestamp {text!r} is neither epoch ms nor ISO 8601") from None
        if moment.tzinfo is None:
            raise ValueError(f"timestamp {text!r} has no UTC offset (add Z or +hh:mm)")
        stamp = round(moment.timestamp() * 1000)
    if stamp < MIN_TIMESTAMP_MS:
        raise ValueError(f"timestamp {text!r} is before 2000 (epoch seconds instead of ms?)")
    return stamp


def _parse_row(fields: list[str], width: int) -> Reading:
    if len(fields) != width:
        raise ValueError(f"expected {width} field(s), found {len(fields)}")
    if width == 1:
        return Reading(parse_value(fields[0]))
    return Reading(parse_value(fields[1]), parse_timestamp_ms(fields[0]))


def _is_header_field(field: str) -> bool:
    """A column name: letters, not a number spelled in letters like `nan` or `inf`."""
    try:
        float(field)
    except ValueError:
        return bool(_HEADER.match(field))
    return False


def _content_lines(text: str) -> Iterable[tuple[int, list[str]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, [field.strip() for field in stripped.split(",")]


def parse_text(text: str, path: Path) -> tuple[Reading, ...]:
    """Parse CSV text; raise CsvFormatError listing every bad line."""
    rows = list(_content_lines(text))
    if rows and all(_is_header_field(field) for field in rows[0][1]):
        rows = rows[1:]  # a header line such as `timestamp,value`
    if not rows:
        raise CsvFormatError(path, ["the file holds no readings"])
    width = len(rows[0][1])
    if width not in (1, 2):
        raise CsvFormatError(path, [f"line {rows[0][0]}: expected 1 or 2 fields, found {width}"])
    readings: list[Reading] = []
    problems: list[str] = []
    previous: tuple[int, int] | None = None  # (line, timestamp) of the last good timestamped row
    for number, fields in rows:
        try:
            reading = _parse_row(fields, width)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if reading.timestamp_ms is not None:
            if previous is not None and reading.timestamp_ms <= previous[1]:
                problems.append(
                    f"line {number}: timestamp {fields[0]!r} is not after line {previous[0]}'s"
                )
            previous = (number, reading.timestamp_ms)
        readings.append(reading)
    if problems:
        raise CsvFormatError(path, problems)
    return tuple(readings)


def read_csv(path: Path | str) -> CsvSource:
    """Read and validate a CSV file of cumulative kWh readings."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read CSV file {source}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFormatError(
            source, [f"not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    readings = parse_text(text, source)
    return CsvSource(source, readings, hashlib.sha256(raw).hexdigest())
