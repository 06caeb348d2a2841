"""Name rules the service enforces for hubs and groups."""

from __future__ import annotations

import re

_HUB_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}")
MAX_GROUP_LENGTH = 1024


def is_valid_hub(name: str) -> bool:
    """Hub names start with a letter and hold at most 128 of ``A-Za-z0-9_`,.[]``."""
    return _HUB_PATTERN.fullmatch(name) is not None


def is_valid_group(name: str) -> bool:
    """Group names are 1-1024 characters and not only whitespace."""
    return 0 < len(name) <= MAX_GROUP_LENGTH and not name.isspace()
