"""The hand-over bound (shared/ownership.py): when it moves, and which hours it hides."""

from __future__ import annotations

from datetime import datetime

import pytest

from shared.ownership import bound_after_change, handover_bound, owner_may_see

AT = datetime(2026, 5, 4, 10, 30, 15, 250_000)
EARLIER = datetime(2026, 1, 1, 0, 0)


@pytest.mark.parametrize(
    ("moment", "bound"),
    [
        (datetime(2026, 5, 4, 10, 30, 15, 250_000), datetime(2026, 5, 4, 11)),
        (datetime(2026, 5, 4, 10, 0, 0, 1), datetime(2026, 5, 4, 11)),  # 1 µs of the hour
        (datetime(2026, 5, 4, 10), datetime(2026, 5, 4, 10)),  # on the hour: none of it
        (datetime(2026, 12, 31, 23, 59, 59), datetime(2027, 1, 1)),
    ],
)
def test_the_hour_containing_the_hand_over_is_hidden(moment: datetime, bound: datetime) -> None:
    assert handover_bound(moment) == bound


@pytest.mark.parametrize(
    ("old", "new", "bound", "expected"),
    [
        ("a", "b", None, datetime(2026, 5, 4, 11)),  # reassigned directly
        ("a", "b", EARLIER, datetime(2026, 5, 4, 11)),  # a later hand-over hides more
        ("a", None, None, datetime(2026, 5, 4, 11)),  # unassigned
        ("a", "a", None, None),  # the same owner again: nothing changes
        ("a", "a", EARLIER, EARLIER),
        (None, "b", None, None),  # a device that never had an owner: all history
        (None, "b", EARLIER, EARLIER),  # assigning an unassigned device keeps its bound
        (None, None, EARLIER, EARLIER),
    ],
)
def test_only_taking_a_device_away_moves_the_bound(
    old: str | None, new: str | None, bound: datetime | None, expected: datetime | None
) -> None:
    assert bound_after_change(old, new, bound, AT) == expected


def test_hours_from_the_bound_on_are_visible() -> None:
    bound = datetime(2026, 5, 4, 11)
    assert not owner_may_see(datetime(2026, 5, 4, 10), bound)
    assert owner_may_see(datetime(2026, 5, 4, 11), bound)
    assert owner_may_see(datetime(2000, 1, 1), None)
