"""`python -m sensor_client.generate`: write a household profile CSV."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sensor_client.errors import InputError
from sensor_client.profile import ProfileSpec, generate_readings, write_csv
from sensor_client.session import parse_start_ms

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The generator's options."""
    parser = argparse.ArgumentParser(
        prog="python -m sensor_client.generate", description="Generate a household profile CSV."
    )
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--start", default="2026-01-05T00:00:00Z", help="ISO 8601 with offset")
    parser.add_argument("--interval", type=int, default=600, help="seconds between readings")
    parser.add_argument("--tz", default="Europe/Bucharest", help="IANA zone of the household")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--values-only", action="store_true", help="one value per line")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        start_ms = parse_start_ms(args.start)
        if args.days < 1 or args.interval < 1:
            raise InputError("--days and --interval must be positive")
    except InputError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    assert start_ms is not None
    start = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
    spec = ProfileSpec(start, args.days, args.interval, args.tz, args.seed)
    readings = generate_readings(spec)
    write_csv(readings, args.out, values_only=args.values_only)
    sys.stderr.write(f"wrote {len(readings)} readings ({readings[-1][1]:.1f} kWh) to {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
