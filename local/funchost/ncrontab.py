"""NCRONTAB, as the Functions host's timer trigger reads it: six fields, seconds first.

    {second} {minute} {hour} {day} {month} {day-of-week}      e.g. "0 */5 * * * *"

Each field is `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n`, or a comma list of
those; months and days of the week also take English names (`Jan`, `Mon`). Day-of-week 0 (or 7)
is Sunday. As in NCrontab (which the host uses), a time matches when *every* field matches,
day-of-month and day-of-week included. Times are UTC (the host's default without
WEBSITE_TIME_ZONE).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, low, high, names): the six fields in order.
FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("second", 0, 59, ()),
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 0, 7, DAYS),
)
SEARCH_YEARS = 5


class NcrontabError(ValueError):
    """The expression is not valid NCRONTAB; the message names the field and the text."""


@dataclass(frozen=True, slots=True)
class Ncrontab:
    """A parsed schedule: the allowed values of each field."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday

    def matches(self, moment: datetime) -> bool:
        """True when `moment` (to the second) is an occurrence."""
        return (
            moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day_matches(moment)
        )

    def _day_matches(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7  # Python: Monday 0; NCRONTAB: Sunday 0
        return moment.day in self.days and moment.month in self.months and weekday in self.weekdays

    def next_after(self, moment: datetime) -> datetime:
        """The first occurrence strictly after `moment` (microseconds are dropped)."""
        start = moment.replace(microsecond=0) + timedelta(seconds=1)
        for candidate in self._candidates(start):
            if candidate >= start:
                return candidate
        raise NcrontabError(f"{self.expression!r} has no occurrence in {SEARCH_YEARS} years")

    def _candidates(self, start: datetime) -> Iterator[datetime]:
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(366 * SEARCH_YEARS):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        for second in sorted(self.seconds):
                            yield day.replace(hour=hour, minute=minute, second=second)
            day += timedelta(days=1)


def parse(expression: str) -> Ncrontab:
    """Parse a six-field NCRONTAB expression; NcrontabError says what is wrong."""
    parts = expression.split()
    if len(parts) != len(FIELDS):
        raise NcrontabError(
            f"{expression!r}: NCRONTAB needs 6 fields "
            "({second} {minute} {hour} {day} {month} {day-of-week}), got {len(parts)}"
        )
    values = [_field(text, *spec) for text, spec in zip(parts, FIELDS, strict=True)]
    seconds, minutes, hours, days, months, weekdays = values
    return Ncrontab(
        expression, seconds, minutes, hours, days, months, frozenset(d % 7 for d in weekdays)
    )


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    allowed: set[int] = set()
    for item in text.split(","):
        allowed |= _item(item, name, low, high, names)
    return frozenset(allowed)


def _item(item: str, name: str, low: int, high: int, names: tuple[str, ...]) -> set[int]:
    base, _, step_text = item.partition("/")
    step = _number(step_text, name, item, names=()) if step_text else 1
    if step < 1:
        raise NcrontabError(f"{name} field {item!r}: the step must be at least 1")
    if base == "*":
        first, last = low, high
    elif "-" in base:
        left, right = base.split("-", 1)
        first, last = _number(left, name, item, names), _number(right, name, item, names)
    else:
        first = _number(base, name, item, names)
        last = high if step_text else first
    if not low <= first <= high or not low <= last <= high or first > last:
        raise NcrontabError(
            f"{name} field {item!r}: values must be within {low}-{high}"
            + (f" (or {names[0].title()}-{names[-1].title()})" if names else "")
        )
    return set(range(first, last + 1, step))


def _number(text: str, name: str, item: str, names: tuple[str, ...]) -> int:
    lowered = text.strip().lower()
    if lowered in names:
        return names.index(lowered) + (1 if names is MONTHS else 0)
    if not lowered.isdigit():
        raise NcrontabError(f"{name} field {item!r}: {text!r} is not a number")
    return int(lowered)
