"""Identifiers: every id the platform issues is a UUID, stored in lower case."""

from __future__ import annotations

import re
from typing import Final

UUID_PATTERN: Final = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
UUID_RE: Final = re.compile(UUID_PATTERN)


def is_uuid(value: object) -> bool:
    """True for a string in the 8-4-4-4-12 hex form (either case)."""
    return isinstance(value, str) and UUID_RE.match(value) is not None
