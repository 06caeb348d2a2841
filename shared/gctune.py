"""Garbage-collector settings for long-running asyncio servers (the chat and its bridge).

Each request allocates many short-lived container objects (tasks, futures, calls, protobuf
wrappers); with the default threshold (700) the collector runs thousands of times a second
and, every tenth and hundredth time, walks older generations that hold the whole loaded
program. After start-up the program's own objects are moved out of the collector's sight
(gc.freeze) and young collections happen less often. Cycles are still collected.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def collect_young_less_often() -> None:
    """Raise the first generation's threshold (the older ones keep theirs)."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def settle_after_start() -> None:
    """Freeze what start-up created and collect young objects less often."""
    gc.collect()
    gc.freeze()
    collect_young_less_often()
