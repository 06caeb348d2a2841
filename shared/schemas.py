"""Request and response schemas (pydantic): XCreate, XUpdate, XPublic."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictFloat,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from shared.ids import UUID_PATTERN
from shared.metering import DEFAULT_MAX_FUTURE_MS
from shared.models import NAME_MAX, TEXT_MAX, USERNAME_MAX

Role = Literal["admin", "client"]
MAX_HOURLY_KWH_LIMIT = 10_000.0

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=USERNAME_MAX, pattern=r"^[A-Za-z0-9_.@-]+$"
    ),
]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX)]
# Ids are stored lower case; an upper-case id in a body is normalised, never stored as sent.
Uuid = Annotated[
    str,
    StringConstraints(pattern=UUID_PATTERN),
    AfterValidator(str.lower),
]
MaxKwh = Annotated[float, Field(gt=0, le=MAX_HOURLY_KWH_LIMIT, allow_inf_nan=False)]


class _Input(BaseModel):
    """Strict input: unknown fields and type coercion are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class _Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class LoginRequest(_Input):
    """Credentials for POST /auth/login."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=USERNAME_MAX)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RefreshRequest(_Input):
    """Body of POST /auth/refresh."""

    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class PasswordChange(_Input):
    """Body of POST /me/password."""

    old_password: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    new_password: Password


class UserPublic(_Output):
    """A user as the API shows it (never the password)."""

    id: str
    username: str
    name: str
    role: Role


class TokenPair(BaseModel):
    """Login and refresh response."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserPublic


class UserCreate(_Input):
    """Body of POST /users."""

    username: Username
    name: DisplayName
    password: Password
    role: Role = "client"


class UserUpdate(_Input):
    """Body of PATCH /users/{id}; absent fields stay as they are."""

    username: Username | None = None
    name: DisplayName | None = None
    password: Password | None = None
    role: Role | None = None


class UserDeleted(BaseModel):
    """Response of DELETE /users/{id}."""

    id: str
    unassigned_device_ids: list[str]


class DevicePublic(_Output):
    """A device as the API shows it."""

    id: str
    description: str
    address: str
    max_hourly_kwh: float
    owner_id: str | None
    visible_from: str | None = Field(
        default=None,
        validation_alias=AliasChoices("visible_from", "visible_from_utc"),
        description="UTC start of the first hour the current owner sees, set when the device "
        "was taken from a previous owner (earlier hours were theirs); null: all of its history",
    )

    @field_validator("visible_from", mode="before")
    @classmethod
    def _utc_iso(cls, value: object) -> object:
        return value.isoformat() + "Z" if isinstance(value, datetime) else value


class DeviceCreated(DevicePublic):
    """A new device with its ingestion key, shown once."""

    device_key: str


class DeviceKey(BaseModel):
    """A freshly rotated device key."""

    device_id: str
    device_key: str


class DeviceCreate(_Input):
    """Body of POST /devices."""

    description: Text
    address: Text
    max_hourly_kwh: MaxKwh
    owner_id: Uuid | None = None


class DeviceUpdate(_Input):
    """Body of PATCH /devices/{id}; owner_id null unassigns."""

    description: Text | None = None
    address: Text | None = None
    max_hourly_kwh: MaxKwh | None = None
    owner_id: Uuid | None = None


class HourValue(BaseModel):
    """One local hour of a day view."""

    start: str
    kwh: float | None
    estimated: bool = Field(
        default=False,
        description="part of the energy was spread over a gap between readings longer than the "
        "estimation gap (interpolated, not measured; never alerted)",
    )
    in_progress: bool = Field(default=False, description="the hour has not ended yet")


class DayConsumption(BaseModel):
    """Hourly consumption of one device over one local day."""

    device_id: str
    date: str
    tz: str
    unit: Literal["kWh"] = "kWh"
    max_hourly_kwh: float
    total_kwh: float | None
    hours: list[HourValue]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: items and the total count."""

    items: list[T]
    total: int
    limit: int
    offset: int


MIN_TIMESTAMP_MS: Final = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_BATCH_ITEMS: Final = 1000
# A whole number of milliseconds: an int, or a float without a fraction (JSON Schema's
# "integer" admits 1.7e12 as well). The later bound, at most DEFAULT_MAX_FUTURE_MS after the
# receiver's clock, depends on the time of arrival: `shared.metering.validate_reading` checks it.
EpochMs = Annotated[
    Annotated[StrictInt, Field(ge=MIN_TIMESTAMP_MS)]
    | Annotated[StrictFloat, Field(ge=MIN_TIMESTAMP_MS, multiple_of=1)],
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": MIN_TIMESTAMP_MS,
            "description": "epoch milliseconds, UTC; from 2000-01-01 to at most "
            f"{DEFAULT_MAX_FUTURE_MS // 60_000} minutes after the receiver's clock",
        }
    ),
]


# The one measurement contract: `shared.ingestion.messages` validates queue bodies and HTTP
# items with this model, and the OpenAPI document shows it (its docstring is the description).
class MeasurementIn(_Input):
    """One meter reading: a queue message body or an item of POST /measurements. Every field
    is required, unknown fields are refused and nothing is coerced ("3" is not a number)."""

    timestamp: EpochMs
    device_id: Uuid
    measurement_value: float = Field(
        ge=0, allow_inf_nan=False, description="cumulative register, kWh"
    )


class MeasurementBatch(
    RootModel[Annotated[list[MeasurementIn], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]]
):
    """Body of POST /measurements: 1 to 1000 readings, each answered on its own."""


class MeasurementResult(BaseModel):
    """What happened to one item."""

    index: int
    status: Literal["stored", "duplicate", "rejected"]
    reason: str | None = None


class MeasurementResults(BaseModel):
    """Response of POST /measurements."""

    results: list[MeasurementResult]
    stored: int
    duplicates: int
    rejected: int


class AlertPublic(BaseModel):
    """An over-maximum hour as the owner sees it."""

    id: str
    device_id: str
    device_description: str | None
    hour_start: str
    energy_kwh: float = Field(description="the hour's current total")
    peak_kwh: float = Field(description="the highest total the hour has had")
    max_hourly_kwh: float
    state: Literal["active", "cleared"] = Field(
        description="active: the hour's total is over the maximum; cleared: late data brought "
        "it to or under the maximum (or showed it estimated)"
    )
    created_at: str
    updated_at: str
    cleared_at: str | None
    acknowledged_at: str | None


class AlertPage(BaseModel):
    """A page of alerts with the count still unacknowledged."""

    items: list[AlertPublic]
    total: int
    limit: int
    offset: int
    unacknowledged: int = Field(description="active alerts not yet acknowledged")


class AckAllResult(BaseModel):
    """Response of POST /me/alerts/ack-all."""

    acknowledged: int


class NegotiateResult(BaseModel):
    """A WebSocket URL bound to the caller's user id."""

    url: str
    expires_in: int
