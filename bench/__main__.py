"""Run every benchmark: python -m bench [name ...]."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["day_view", "ingestion", "alerts", "chat", "login_flood", "console"]


def main() -> None:
    """Run the named benchmarks (all by default), each printing its own figures."""
    names = sys.argv[1:] or BENCHMARKS
    for name in names:
        print(f"== bench.{name}")
        sys.argv = [f"bench.{name}"]
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
