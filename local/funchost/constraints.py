"""ASP.NET Core inline route constraints (`int`, `alpha`, `range(a,b)`, ...) as predicates."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

Predicate = Callable[[str], bool]

INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)
DECIMAL_MAX = 79_228_162_514_264_337_593_543_950_335

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_DECIMAL = re.compile(r"^\s*[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)\s*$")
_FLOAT = re.compile(
    r"^\s*[+-]?(?:(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|nan|infinity|∞)\s*$", re.IGNORECASE
)
_ALPHA = re.compile(r"^[a-z]*$", re.IGNORECASE)
_HEX = "[0-9a-f]"
_GUID_D = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
_GUID = re.compile(
    rf"^\s*(?:{_GUID_D}|{_HEX}{{32}}|\{{{_GUID_D}\}}|\({_GUID_D}\))\s*$", re.IGNORECASE
)
_DATE_FORMATS = ("%m/%d/%Y", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y/%m/%d", "%d %B %Y")


class ConstraintError(ValueError):
    """A route constraint is unknown or has bad arguments."""


@dataclass(frozen=True, slots=True)
class Constraint:
    """One inline constraint: its source text and the predicate it compiles to."""

    text: str
    check: Predicate


def parse_integer(value: str, bounds: tuple[int, int] = INT64_RANGE) -> int | None:
    """Parse like .NET `Int64.TryParse` (invariant culture); None when out of range or invalid."""
    if not _INTEGER.match(value):
        return None
    number = int(value.strip())
    return number if bounds[0] <= number <= bounds[1] else None


def _is_decimal(value: str) -> bool:
    if not _DECIMAL.match(value):
        return False
    whole = value.strip().lstrip("+-").split(".")[0].replace(",", "")
    return int(whole or "0") <= DECIMAL_MAX


def _is_datetime(value: str) -> bool:
    text = value.strip()
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            datetime.strptime(text, fmt)
            return True
        except ValueError:
            continue
    return False


def _one_int(name: str, args: list[str]) -> int:
    if len(args) != 1:
        raise ConstraintError(f"constraint {name!r} takes one argument, got {args!r}")
    return _int_arg(name, args[0])


def _two_ints(name: str, args: list[str]) -> tuple[int, int]:
    if len(args) != 2:
        raise ConstraintError(f"constraint {name!r} takes two arguments, got {args!r}")
    return _int_arg(name, args[0]), _int_arg(name, args[1])


def _int_arg(name: str, arg: str) -> int:
    number = parse_integer(arg)
    if number is None:
        raise ConstraintError(f"constraint {name!r} needs integer arguments, got {arg!r}")
    return number


def _in_range(low: int, high: int) -> Predicate:
    def check(value: str) -> bool:
        number = parse_integer(value)
        return number is not None and low <= number <= high

    return check


def _length(name: str, args: list[str]) -> Predicate:
    if len(args) == 1:
        exact = _int_arg(name, args[0])
        return lambda value: len(value) == exact
    low, high = _two_ints(name, args)
    return lambda value: low <= len(value) <= high


def _regex(expression: str) -> Predicate:
    try:
        pattern = re.compile(expression, re.IGNORECASE)
    except re.error as exc:
        raise ConstraintError(f"constraint 'regex' has an invalid pattern {expression!r}") from exc
    # ASP.NET does not anchor regex constraints: a match anywhere in the value passes.
    return lambda value: pattern.search(value) is not None


_SIMPLE: dict[str, Predicate] = {
    "int": lambda v: parse_integer(v, INT32_RANGE) is not None,
    "long": lambda v: parse_integer(v) is not None,
    "bool": lambda v: v.strip().lower() in ("true", "false"),
    "guid": lambda v: _GUID.match(v) is not None,
    "alpha": lambda v: _ALPHA.match(v) is not None,
    "datetime": _is_datetime,
    "decimal": _is_decimal,
    "double": lambda v: _FLOAT.match(v) is not None,
    "float": lambda v: _FLOAT.match(v) is not None,
}


def _build(name: str, args: list[str]) -> Predicate:
    if name == "minlength":
        low = _one_int(name, args)
        return lambda value: len(value) >= low
    if name == "maxlength":
        high = _one_int(name, args)
        return lambda value: len(value) <= high
    if name == "length":
        return _length(name, args)
    if name == "min":
        return _in_range(_one_int(name, args), INT64_RANGE[1])
    if name == "max":
        return _in_range(INT64_RANGE[0], _one_int(name, args))
    if name == "range":
        return _in_range(*_two_ints(name, args))
    raise ConstraintError(f"unknown route constraint {name!r}")


def parse_constraint(name: str, argument: str | None) -> Constraint:
    """Compile constraint `name` with its raw parenthesised `argument` (None when absent)."""
    key = name.strip().lower()
    text = name if argument is None else f"{name}({argument})"
    if key in _SIMPLE:
        if argument is not None:
            raise ConstraintError(f"constraint {name!r} takes no arguments, got {argument!r}")
        return Constraint(text, _SIMPLE[key])
    if argument is None:
        raise ConstraintError(f"constraint {name!r} needs arguments in parentheses")
    if key == "regex":  # the pattern may itself contain commas
        return Constraint(text, _regex(argument))
    return Constraint(text, _build(key, [part.strip() for part in argument.split(",")]))
