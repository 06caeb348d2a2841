"""Exports of a priced period: hourly CSV and Green Button (NAESB REQ.21 ESPI) Atom XML."""

from __future__ import annotations

import csv
import io
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shared.models import Device
from shared.usage.periods import Period, local_midnight_utc
from shared.usage.pricing import format_cost
from shared.usage.view import PricedPeriod

ATOM = "http://www.w3.org/2005/Atom"
ESPI = "http://naesb.org/espi"
HOUR_SECONDS = 3600
# ESPI enumerations (NAESB REQ.21): see docs/consumption.md.
UOM_WATT_HOURS = 72
POWER_OF_TEN = -3  # values are integer milliwatt-hours = micro-kWh
ACCUMULATION_DELTA = 4
COMMODITY_ELECTRICITY = 1
DATA_QUALIFIER_NORMAL = 12
FLOW_FORWARD = 1
KIND_ENERGY = 12
QUALITY_ESTIMATED_INTERPOLATION = 9
ISO_4217_NUMERIC = {
    "AUD": 36, "BGN": 975, "CAD": 124, "CHF": 756, "CZK": 203, "DKK": 208, "EUR": 978,
    "GBP": 826, "HUF": 348, "NOK": 578, "PLN": 985, "RON": 946, "SEK": 752, "USD": 840,
}  # fmt: skip
ET.register_namespace("", ATOM)
ET.register_namespace("espi", ESPI)
CSV_HEADER = ("local_start", "utc_start", "kwh", "estimated", "cost", "currency")


def export_filename(device: Device, period: Period, extension: str) -> str:
    """A download name such as consumption-<device>-2026-01-01_2026-12-31.csv."""
    return f"consumption-{device.id}-{period.first}_{period.last}.{extension}"


def _utc_hours(period: Period) -> list[datetime]:
    start, end = period.start_utc, period.end_utc
    return [start + timedelta(hours=i) for i in range(int((end - start).total_seconds()) // 3600)]


def _kwh_text(micro: int) -> str:
    return str(Decimal(micro).scaleb(-6))


def to_csv(priced: PricedPeriod) -> str:
    """One row per hour of the period (empty kwh where there is no data)."""
    series = priced.series
    at = {offset: i for i, offset in enumerate(series.offsets)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    currency = priced.currency or ""
    for offset, hour in enumerate(_utc_hours(priced.period)):
        i = at.get(offset)
        utc_text = hour.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
        local_text = priced.period.local_iso(hour)
        if i is None:
            writer.writerow((local_text, utc_text, "", "", "", ""))
            continue
        units = priced.costs.at(i)
        cost = "" if units is None else format_cost(units)
        writer.writerow(
            (local_text, utc_text, _kwh_text(series.micros[i]), "true" if series.estimated[i]
             else "false", cost, currency if cost else "")
        )  # fmt: skip
    return out.getvalue()


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _espi(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    return _sub(parent, f"{{{ESPI}}}{name}", text)


def _entry(
    feed: ET.Element, *, key: str, self_href: str, up_href: str, related: list[str], title: str,
    updated: str,
) -> ET.Element:  # fmt: skip
    entry = _sub(feed, f"{{{ATOM}}}entry")
    _sub(entry, f"{{{ATOM}}}id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}")
    for rel, href in [("self", self_href), ("up", up_href), *(("related", r) for r in related)]:
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": rel, "href": href})
    _sub(entry, f"{{{ATOM}}}title", title)
    content = _sub(entry, f"{{{ATOM}}}content")
    _sub(entry, f"{{{ATOM}}}published", updated)
    _sub(entry, f"{{{ATOM}}}updated", updated)
    return content


def _interval(parent: ET.Element, name: str, start_epoch: int, seconds: int) -> None:
    interval = _espi(parent, name)
    _espi(interval, "duration", str(seconds))
    _espi(interval, "start", str(start_epoch))


def _reading(block: ET.Element, priced: PricedPeriod, i: int, start_epoch: int) -> None:
    series = priced.series
    reading = _espi(block, "IntervalReading")
    units = priced.costs.at(i)
    if units is not None:
        _espi(reading, "cost", str(units))
    if series.estimated[i]:
        quality = _espi(reading, "ReadingQuality")
        _espi(quality, "quality", str(QUALITY_ESTIMATED_INTERPOLATION))
    _interval(reading, "timePeriod", start_epoch, HOUR_SECONDS)
    _espi(reading, "value", str(series.micros[i]))


def _reading_type(content: ET.Element, currency: str | None) -> None:
    rt = _espi(content, "ReadingType")
    _espi(rt, "accumulationBehaviour", str(ACCUMULATION_DELTA))
    _espi(rt, "commodity", str(COMMODITY_ELECTRICITY))
    if currency in ISO_4217_NUMERIC:
        _espi(rt, "currency", str(ISO_4217_NUMERIC[currency]))
    _espi(rt, "dataQualifier", str(DATA_QUALIFIER_NORMAL))
    _espi(rt, "flowDirection", str(FLOW_FORWARD))
    _espi(rt, "intervalLength", str(HOUR_SECONDS))
    _espi(rt, "kind", str(KIND_ENERGY))
    _espi(rt, "powerOfTenMultiplier", str(POWER_OF_TEN))
    _espi(rt, "uom", str(UOM_WATT_HOURS))


def to_espi(priced: PricedPeriod, *, device: Device, now: datetime | None = None) -> bytes:
    """A Green Button Atom feed: UsagePoint, MeterReading, ReadingType, one IntervalBlock a day."""
    period = priced.period
    updated = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat()
    updated = updated.replace("+00:00", "Z")
    base = f"/espi/1_1/resource/RetailCustomer/{device.owner_id or 'none'}"
    up_list = f"{base}/UsagePoint"
    up_self = f"{up_list}/{device.id}"
    mr_list = f"{up_self}/MeterReading"
    mr_self = f"{mr_list}/1"
    ib_list = f"{mr_self}/IntervalBlock"
    rt_self = f"/espi/1_1/resource/ReadingType/{device.id}-hourly-kwh"
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, f"{{{ATOM}}}id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, up_self + 'feed')}")
    _sub(feed, f"{{{ATOM}}}title", f"Green Button usage feed, {period.first} to {period.last}")
    _sub(feed, f"{{{ATOM}}}updated", updated)
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": f"{up_self}/feed"})

    content = _entry(
        feed, key=up_self, self_href=up_self, up_href=up_list, related=[mr_list],
        title=device.description, updated=updated,
    )  # fmt: skip
    usage_point = _espi(content, "UsagePoint")
    _espi(_espi(usage_point, "ServiceCategory"), "kind", "0")  # electricity
    mr_content = _entry(
        feed, key=mr_self, self_href=mr_self, up_href=mr_list, related=[rt_self, ib_list],
        title="Hourly energy", updated=updated,
    )  # fmt: skip
    _espi(mr_content, "MeterReading")
    rt_content = _entry(
        feed, key=rt_self, self_href=rt_self, up_href="/espi/1_1/resource/ReadingType",
        related=[], title="Energy delivered, Wh x 10^-3, 1 hour", updated=updated,
    )  # fmt: skip
    _reading_type(rt_content, priced.currency)
    _blocks(feed, priced, ib_list, updated)
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data


def _blocks(feed: ET.Element, priced: PricedPeriod, ib_list: str, updated: str) -> None:
    """One IntervalBlock per local day; hours are walked as integer offsets and epochs."""
    period = priced.period
    offsets = priced.series.offsets
    origin = int(period.start_utc.replace(tzinfo=UTC).timestamp())
    index = 0
    day = period.first
    number = 0
    while day <= period.last:
        start = local_midnight_utc(day, period.zone)
        end = local_midnight_utc(day + timedelta(days=1), period.zone)
        first = int((start - period.start_utc).total_seconds()) // HOUR_SECONDS
        stop = int((end - period.start_utc).total_seconds()) // HOUR_SECONDS
        number += 1
        self_href = f"{ib_list}/{number}"
        content = _entry(
            feed, key=self_href + str(day), self_href=self_href, up_href=ib_list, related=[],
            title=f"{day}", updated=updated,
        )  # fmt: skip
        block = _espi(content, "IntervalBlock")
        _interval(block, "interval", origin + first * HOUR_SECONDS, (stop - first) * HOUR_SECONDS)
        while index < len(offsets) and offsets[index] < stop:
            if offsets[index] >= first:
                _reading(block, priced, index, origin + offsets[index] * HOUR_SECONDS)
            index += 1
        day += timedelta(days=1)
