"""Local-calendar periods split into hour/day/week/month buckets (pure).

`from` and `to` are local dates, both inclusive; weeks start on Monday; the first and last
week or month are clipped to the requested range. Boundaries are naive UTC datetimes (how
hourly rows are stored), so a DST day is a 23- or 25-hour bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from shared.consumption import MAX_DATE, MIN_DATE, parse_zone
from shared.errors import FieldError, ValidationFailed

GROUP_BYS = ("hour", "day", "week", "month")
MAX_DAYS = 366
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One half-open UTC interval [start_utc, end_utc) of whole hours."""

    start_utc: datetime
    end_utc: datetime


@dataclass(frozen=True, slots=True)
class Period:
    """A validated request: local dates, zone, grouping and its buckets."""

    first: date
    last: date
    zone: ZoneInfo
    group_by: str
    buckets: tuple[Bucket, ...]

    @property
    def start_utc(self) -> datetime:
        return self.buckets[0].start_utc

    @property
    def end_utc(self) -> datetime:
        return self.buckets[-1].end_utc

    @property
    def key(self) -> tuple[date, date, ZoneInfo, str]:
        """What the period is made of (its buckets follow): a cheap key for per-period caches."""
        return (self.first, self.last, self.zone, self.group_by)

    def local_iso(self, utc: datetime) -> str:
        """ISO-8601 local time with its offset for a naive UTC instant."""
        return utc.replace(tzinfo=UTC).astimezone(self.zone).isoformat()

    def labels(self) -> tuple[tuple[str, str], ...]:
        """Each bucket's local start and end as `local_iso` texts (kept per period but by hour)."""
        if self.group_by == "hour":
            return _labels(self)
        labels = _LABELS.get(self.key)
        if labels is None:
            labels = _labels(self)
            if len(_LABELS) >= _LABELS_MAX:
                _LABELS.clear()
            _LABELS[self.key] = labels
        return labels


_LABELS: dict[tuple[date, date, ZoneInfo, str], tuple[tuple[str, str], ...]] = {}
_LABELS_MAX = 256


def _labels(period: Period) -> tuple[tuple[str, str], ...]:
    # Buckets are contiguous: each end is the next start, converted once.
    local = period.local_iso
    edges = [local(b.start_utc) for b in period.buckets] + [local(period.end_utc)]
    return tuple(pairwise(edges))


def parse_local_date(text: str | None, field: str) -> date:
    """A YYYY-MM-DD date between 2000 and 2100, else ValidationFailed naming `field`."""
    if not text:
        raise ValidationFailed(
            f"The {field} query parameter is required (YYYY-MM-DD).",
            errors=[FieldError(field, "required")],
        )
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(
            f"Invalid {field} {text[:40]!r}; expected YYYY-MM-DD.",
            errors=[FieldError(field, "invalid date")],
        ) from exc
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValidationFailed(
            f"{field} must be between 2000 and 2100.", errors=[FieldError(field, "out of range")]
        )
    return day


def local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    """The naive UTC instant of local midnight starting `day`; whole-hour offsets only."""
    local = datetime(day.year, day.month, day.day, tzinfo=zone)
    offset = local.utcoffset() or timedelta(0)
    if offset % HOUR:
        raise ValidationFailed(
            f"Time zone {zone.key!r} has a UTC offset of {offset} on {day}; only zones with "
            "whole-hour offsets can be grouped (readings are stored per UTC hour).",
            errors=[FieldError("tz", "offset is not a whole hour")],
        )
    return local.astimezone(UTC).replace(tzinfo=None)


def parse_period(
    from_text: str | None, to_text: str | None, tz_name: str | None, group_by: str | None
) -> Period:
    """Validate the range query; 422 for bad dates, zones, groupings or more than 366 days."""
    first = parse_local_date(from_text, "from")
    last = parse_local_date(to_text, "to")
    if last < first:
        raise ValidationFailed(
            "to must not be before from.", errors=[FieldError("to", "before from")]
        )
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise ValidationFailed(
            f"The range covers {days} days; at most {MAX_DAYS} days per request.",
            errors=[FieldError("to", f"more than {MAX_DAYS} days after from")],
        )
    grouping = group_by or "day"
    if grouping not in GROUP_BYS:
        raise ValidationFailed(
            f"group_by must be one of {', '.join(GROUP_BYS)}.",
            errors=[FieldError("group_by", "invalid value")],
        )
    zone = parse_zone(tz_name or "UTC")
    return Period(first, last, zone, grouping, _buckets(first, last, zone, grouping))


def _boundary_dates(first: date, last: date, group_by: str) -> list[date]:
    end = last + DAY
    out = [first]
    day = first + DAY
    while day < end:
        if (
            group_by == "day"
            or (group_by == "week" and day.weekday() == 0)
            or (group_by == "month" and day.day == 1)
        ):
            out.append(day)
        day += DAY
    out.append(end)
    return out


def _buckets(first: date, last: date, zone: ZoneInfo, group_by: str) -> tuple[Bucket, ...]:
    if group_by == "hour":  # up to 8,784 buckets: not worth keeping
        return _uncached_buckets(first, last, zone, group_by)
    return _cached_buckets(first, last, zone, group_by)


@lru_cache(maxsize=256)
def _cached_buckets(first: date, last: date, zone: ZoneInfo, group_by: str) -> tuple[Bucket, ...]:
    return _uncached_buckets(first, last, zone, group_by)


def _uncached_buckets(first: date, last: date, zone: ZoneInfo, group_by: str) -> tuple[Bucket, ...]:
    days = [local_midnight_utc(d, zone) for d in _boundary_dates(first, last, "day")]
    if group_by == "hour":
        start, end = days[0], days[-1]
        hours = int((end - start) / HOUR)
        return tuple(Bucket(start + i * HOUR, start + (i + 1) * HOUR) for i in range(hours))
    if group_by == "day":
        edges = days
    else:
        by_date = dict(zip(_boundary_dates(first, last, "day"), days, strict=True))
        edges = [by_date[d] for d in _boundary_dates(first, last, group_by)]
    return tuple(Bucket(a, b) for a, b in pairwise(edges))
