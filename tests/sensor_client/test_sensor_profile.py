"""The household profile generator: monotonic register, plausible days, shipped sample."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

from sensor_fakes import REPO_ROOT

from sensor_client.csvsource import read_csv
from sensor_client.generate import main
from sensor_client.profile import ProfileSpec, daily_shape_kw, generate_readings

JANUARY = datetime(2026, 1, 5, tzinfo=UTC)
JULY = datetime(2026, 7, 6, tzinfo=UTC)


def daily_totals(readings: list[tuple[datetime, float]]) -> list[float]:
    per_day = 144
    return [
        readings[min(i + per_day, len(readings) - 1)][1] - readings[i][1]
        for i in range(0, len(readings) - per_day, per_day)
    ]


def test_register_climbs_with_10_minute_spacing() -> None:
    readings = generate_readings(ProfileSpec(JANUARY, days=7))
    assert len(readings) == 7 * 144
    assert all(b[1] > a[1] for a, b in itertools.pairwise(readings))
    assert all((b[0] - a[0]).total_seconds() == 600 for a, b in itertools.pairwise(readings))


def test_daily_totals_are_plausible_and_seasonal() -> None:
    winter = daily_totals(generate_readings(ProfileSpec(JANUARY, days=28)))
    summer = daily_totals(generate_readings(ProfileSpec(JULY, days=28)))
    assert all(5 < day < 30 for day in winter + summer)
    assert sum(summer) < 0.75 * sum(winter)


def test_daily_shape_has_peaks() -> None:
    night, morning, evening = (daily_shape_kw(h, weekend=False) for h in (3.0, 7.0, 19.5))
    assert morning > 3 * night and evening > morning
    assert daily_shape_kw(7.0, weekend=True) < morning  # weekends start later


def test_same_seed_same_profile() -> None:
    spec = ProfileSpec(JANUARY, days=2, seed=7)
    assert generate_readings(spec) == generate_readings(spec)


def test_cli_writes_a_csv_the_client_reads(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    assert main(["--days", "3", "--out", str(out)]) == 0
    source = read_csv(out)
    assert len(source.readings) == 3 * 144 and source.readings[0].timestamp_ms is not None
    assert main(["--days", "1", "--out", str(out), "--values-only"]) == 0
    assert read_csv(out).readings[0].timestamp_ms is None
    assert main(["--days", "1", "--out", str(out), "--start", "2026-01-01"]) == 2


def test_shipped_sample_is_valid() -> None:
    source = read_csv(REPO_ROOT / "sensor_client" / "samples" / "household.csv")
    assert 3900 < len(source.readings) < 4100
