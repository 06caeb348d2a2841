"""The day rows' value lists (shared/usage/store.py `_integers`) are read exactly as JSON reads
them: numpy's parser for plain lists of digits, the JSON decoder for anything else."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.usage.store import _integers

PLAIN = re.compile(r"[0-9]+(,[0-9]+)*")


def _as_json(text: str) -> list[int] | None:
    """The integers the JSON decoder reads (None: it refuses the text)."""
    try:
        values = json.loads(f"[{text}]", parse_float=_no, parse_constant=_no)
    except ValueError:
        return None
    return values if all(type(v) is int for v in values) else None


def _no(text: str) -> None:
    raise ValueError(text)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 3_000_000),
            st.integers(-(2**64), 2**64),
            st.integers(2**63 - 3, 2**63 + 3),
            st.integers(0, 10**40),
        ),
        max_size=60,
    )
)
def test_lists_of_integers_read_exactly(values: list[int]) -> None:
    """Small, negative, around int64's maximum (numpy saturates there) and far past it."""
    assert _integers(",".join(map(str, values))) == values


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="0123456789,-+ .eE\nxN", max_size=30))
@example("1,2,")
@example("-")
@example("1,-")
@example("+5")
@example(" 1, 2 ")
@example("1e3")
@example("1.0")
@example("9223372036854775807")
@example("18446744073709551616")
@example("١٢")
def test_any_text_reads_as_json_reads_it_or_raises_value_error(text: str) -> None:
    """The same integers as JSON, or a ValueError where JSON raises one; the one exception is
    a value with leading zeros ('007'), which numpy reads as `int` does (the server never
    writes one)."""
    expected = _as_json(text)
    if expected is None and PLAIN.fullmatch(text):
        expected = [int(v) for v in text.split(",")]  # leading zeros
    if expected is None:
        with pytest.raises(ValueError):
            _integers(text)
    else:
        result = _integers(text)
        assert result == expected
        assert all(type(v) is int for v in result)


def test_empty_text_is_no_value() -> None:
    assert _integers("") == []
