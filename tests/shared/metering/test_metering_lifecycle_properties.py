"""Properties of estimated hours, baselines and the alert lifecycle under any delivery order.

Whatever the order and duplication of a reading stream, once it has settled: the totals and
estimated flags equal one full recompute, and the active alerts are exactly the measured hours
whose final total is over the maximum (each at its final total).
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from metering_helpers import MeterStore
from test_metering_properties import Delivery, deliveries, first_seen

from shared.metering import HOUR_MS, MeteringPolicy, Reading, hourly_energy

# Small bounds so the generated 36-hour histories exercise both: gaps over 1 h are estimated,
# gaps over 6 h start a new baseline.
POLICY = MeteringPolicy(estimate_gap_ms=HOUR_MS, max_spread_ms=6 * HOUR_MS)


def settle(arrivals: list[Reading], max_kwh: float, policy: MeteringPolicy = POLICY) -> MeterStore:
    store = MeterStore(policy=policy, max_kwh=max_kwh)
    for reading in arrivals:
        store.ingest(reading)
    return store


def expected_active(history: list[Reading], max_kwh: float) -> dict[int, float]:
    totals, estimated = hourly_energy(history, POLICY)
    return {h: kwh for h, kwh in totals.items() if kwh > max_kwh and h not in estimated}


@settings(max_examples=300, deadline=None)
@given(deliveries(conflicts=False), st.floats(0.5, 60.0))
def test_any_order_and_redelivery_settle_on_exactly_the_true_alerts(
    delivery: Delivery, max_kwh: float
) -> None:
    shuffled = settle(delivery.arrivals, max_kwh)
    in_order = settle(delivery.history, max_kwh)
    expected = expected_active(first_seen(delivery.arrivals), max_kwh)
    for store in (shuffled, in_order):
        active = store.active_alerts()
        assert active.keys() == expected.keys()
        for hour, kwh in expected.items():
            assert math.isclose(active[hour], kwh, rel_tol=1e-9, abs_tol=1e-6)
    # Every alert ever raised that is not active now was withdrawn, never left behind.
    for hour, alert in shuffled.alerts.items():
        if hour not in expected:
            assert alert.state == "cleared"
            assert alert.peak_kwh > max_kwh


@settings(max_examples=300, deadline=None)
@given(deliveries(conflicts=False))
def test_estimated_flags_and_baselines_match_the_full_recompute(delivery: Delivery) -> None:
    store = MeterStore(policy=POLICY)
    seen: list[Reading] = []
    for reading in delivery.arrivals:
        store.ingest(reading)
        seen.append(reading)
        totals, estimated = hourly_energy(first_seen(seen), POLICY)
        assert store.totals.keys() == totals.keys()
        assert store.estimated == estimated
        for hour, kwh in totals.items():
            assert math.isclose(store.totals[hour], kwh, rel_tol=1e-9, abs_tol=1e-6)
