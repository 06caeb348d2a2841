"""Tariffs over HTTP: validation as 422 problems, exact prices, assignment rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functions.conftest import Api

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
FLAT = {"name": "Flat", "kind": "flat", "currency": "EUR", "tz": "Europe/Bucharest",
        "valid_from": "2026-01-01", "price_per_kwh": "0.123457"}  # fmt: skip


def _post(api: Api, body: dict[str, Any]) -> Any:
    return api.post("/tariffs", json=body, token=api.admin_token)


def test_flat_tariff_round_trips_with_exact_price(api: Api) -> None:
    r = _post(api, FLAT)
    assert r.status_code == 201, r.text
    tariff = r.json()
    assert tariff["bands"] == [
        {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from_hour": 0,
         "to_hour": 24, "price_per_kwh": "0.123457"}
    ]  # fmt: skip
    assert api.get(f"/tariffs/{tariff['id']}", token=api.admin_token).json() == tariff
    listed = api.get("/tariffs", token=api.admin_token).json()["items"]
    assert tariff["id"] in [t["id"] for t in listed]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price_per_kwh": "0.1234567"}, "price_per_kwh"),
        ({"price_per_kwh": 0.25}, "price_per_kwh"),  # a JSON float is refused: money is text
        ({"price_per_kwh": None}, "price_per_kwh"),
        ({"currency": "XXX"}, "currency"),
        ({"tz": "Nowhere/City"}, "tz"),
        ({"valid_from": "2026-02-30"}, "valid_from"),
        ({"valid_to": "2025-12-31"}, "valid_to"),
        ({"kind": "time_of_use", "price_per_kwh": None,
          "bands": [{"days": WEEKDAYS, "from_hour": 0, "to_hour": 24, "price_per_kwh": "1"}]},
         "bands"),  # weekend not covered
        ({"kind": "time_of_use", "price_per_kwh": None,
          "bands": [{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from_hour": 0,
                     "to_hour": 24, "price_per_kwh": "1"},
                    {"days": ["sun"], "from_hour": 5, "to_hour": 6, "price_per_kwh": "2"}]},
         "bands"),  # overlap
        ({"kind": "time_of_use", "price_per_kwh": None,
          "bands": [{"days": ["mon"], "from_hour": 9, "to_hour": 9, "price_per_kwh": "1"}]},
         "bands.0.to_hour"),
    ],
)  # fmt: skip
def test_invalid_tariffs_are_422(api: Api, change: dict[str, Any], field: str) -> None:
    r = _post(api, {**FLAT, **change})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"].startswith(field)


def test_assignment_rules(api: Api) -> None:
    device = api.create_device()
    eur = _post(api, FLAT).json()
    usd = _post(api, {**FLAT, "currency": "USD"}).json()
    url = f"/devices/{device['id']}/tariffs"
    r = api.post(
        url, json={"tariff_id": eur["id"], "effective_from": "2026-03-01"}, token=api.admin_token
    )
    assert r.status_code == 201
    assert r.json()["items"][0]["effective_from"] == "2026-02-28T22:00:00+00:00"
    cases = [
        ({"tariff_id": usd["id"], "effective_from": "2026-04-01"}, 409),  # other currency
        ({"tariff_id": eur["id"], "effective_from": "2026-03-01"}, 409),  # same instant
        ({"tariff_id": eur["id"], "effective_from": "2026-04-01T10:30:00+03:00"}, 422),
        ({"tariff_id": eur["id"], "effective_from": "2026-04-01T10:00:00"}, 422),  # no offset
        ({"tariff_id": "00000000-0000-0000-0000-000000000000", "effective_from": "2026-04-01"},
         422),
        ({"tariff_id": eur["id"]}, 422),
    ]  # fmt: skip
    for body, status in cases:
        r = api.post(url, json=body, token=api.admin_token)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = api.post(
        url,
        json={"tariff_id": eur["id"], "effective_from": "2026-04-01T10:00:00+03:00"},
        token=api.admin_token,
    )
    history = api.get(url, token=api.admin_token).json()["items"]
    assert [h["effective_from"] for h in history] == [
        "2026-02-28T22:00:00+00:00",
        "2026-04-01T07:00:00+00:00",
    ]
