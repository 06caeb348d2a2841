"""Request and response schemas of the range API, tariffs and exports."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints

from shared.models import NAME_MAX
from shared.schemas import DayConsumption

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PriceText = Annotated[str, StringConstraints(pattern=r"^-?\d{1,6}(\.\d{1,6})?$", max_length=14)]
DateText = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Currency = Literal[
    "EUR",
    "USD",
    "GBP",
    "RON",
    "CAD",
    "AUD",
    "CHF",
    "PLN",
    "HUF",
    "CZK",
    "SEK",
    "NOK",
    "DKK",
    "BGN",
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RangeBucket(BaseModel):
    """One bucket of the range view; kwh null where there is no data at all."""

    start: str
    end: str
    kwh: float | None
    estimated_hours: int
    cost: str | None = Field(description="Exact decimal text in `currency`; null: no tariff")


class RangeConsumption(BaseModel):
    """A device's consumption over local dates [from, to], grouped, with its cost."""

    device_id: str
    tz: str
    group_by: Literal["hour", "day", "week", "month"]
    from_date: str
    to_date: str
    unit: Literal["kWh"] = "kWh"
    buckets: list[RangeBucket]
    total_kwh: float | None
    total_cost: str | None
    currency: str | None


class BandIn(_Input):
    """One time-of-use band: local hours [from_hour, to_hour) on the listed days."""

    days: list[Weekday] = Field(min_length=1, max_length=7)
    from_hour: int = Field(ge=0, le=23)
    to_hour: int = Field(ge=1, le=24)
    price_per_kwh: PriceText


class TariffCreate(_Input):
    """Body of POST /tariffs: flat (price_per_kwh) or time_of_use (bands covering the week)."""

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)
    ]
    kind: Literal["flat", "time_of_use"]
    currency: Currency
    tz: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "UTC"
    valid_from: DateText
    valid_to: DateText | None = None
    price_per_kwh: PriceText | None = None
    bands: list[BandIn] | None = Field(default=None, max_length=168)


class BandPublic(BaseModel):
    """A stored band."""

    days: list[Weekday]
    from_hour: int
    to_hour: int
    price_per_kwh: str


class TariffPublic(BaseModel):
    """A stored tariff."""

    id: str
    name: str
    kind: Literal["flat", "time_of_use"]
    currency: str
    tz: str
    valid_from: str
    valid_to: str | None
    bands: list[BandPublic]


class TariffList(BaseModel):
    """Every tariff, newest first."""

    items: list[TariffPublic]


class AssignmentCreate(_Input):
    """Body of POST /devices/{id}/tariffs: the tariff applies from `effective_from` on.

    `effective_from` is a local date (midnight in the tariff's zone) or an ISO-8601 date-time
    with an offset on a whole hour.
    """

    tariff_id: Annotated[str, StringConstraints(min_length=36, max_length=36)]
    effective_from: Annotated[str, StringConstraints(min_length=10, max_length=40)]


class AssignmentPublic(BaseModel):
    """One entry of a device's tariff history."""

    device_id: str
    tariff_id: str
    tariff_name: str
    currency: str
    effective_from: str


class AssignmentList(BaseModel):
    """A device's tariff history, oldest first."""

    items: list[AssignmentPublic]


class ConsumptionView(RootModel[DayConsumption | RangeConsumption]):
    """GET …/consumption: the day view (?date=) or the range view (?from&to&group_by)."""
