"""Silent meters: one episode per silence, opened by the periodic scan and closed on resumption.

`plan_silence` is the pure rule; `scan_silence` applies it to the database in the caller's
transaction and returns the events to push once that transaction has committed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from shared.console.fleet import Thresholds, classify, from_epoch_ms, status_condition
from shared.console.models import SilenceEpisode
from shared.models import Device, MeterState, new_id

Change = Literal["silent", "resumed"]


@dataclass(frozen=True, slots=True)
class MeterWatch:
    """What the scan knows about one device: its last reading and its open episode, if any."""

    device_id: str
    owner_id: str | None
    last_reading_ms: int | None
    open_episode_id: str | None


@dataclass(frozen=True, slots=True)
class SilencePlan:
    """Devices whose silence starts now, and open episodes that end now."""

    to_open: tuple[MeterWatch, ...]
    to_close: tuple[MeterWatch, ...]


@dataclass(frozen=True, slots=True)
class SilenceEvent:
    """A silence that started or ended, for the owner's and the admins' browsers."""

    change: Change
    episode_id: str
    device_id: str
    device_description: str
    owner_id: str | None
    last_reading_at: datetime | None
    at: datetime


def plan_silence(watches: Iterable[MeterWatch], now: datetime, limits: Thresholds) -> SilencePlan:
    """Open an episode for each silent meter without one; close those no longer silent."""
    to_open, to_close = [], []
    for watch in watches:
        silent = classify(from_epoch_ms(watch.last_reading_ms), now, limits) == "silent"
        if silent and watch.open_episode_id is None:
            to_open.append(watch)
        elif not silent and watch.open_episode_id is not None:
            to_close.append(watch)
    return SilencePlan(tuple(to_open), tuple(to_close))


def _watches(session: Session, now: datetime, limits: Thresholds) -> list[MeterWatch]:
    open_episode = and_(SilenceEpisode.device_id == Device.id, SilenceEpisode.resumed_at.is_(None))
    query = (
        select(Device.id, Device.owner_id, MeterState.last_timestamp_ms, SilenceEpisode.id)
        .outerjoin(MeterState, MeterState.device_id == Device.id)
        .outerjoin(SilenceEpisode, open_episode)
        .where(status_condition("silent", now, limits) | SilenceEpisode.id.is_not(None))
    )
    return [MeterWatch(*row) for row in session.execute(query).all()]


def scan_silence(session: Session, *, now: datetime, limits: Thresholds) -> list[SilenceEvent]:
    """Apply plan_silence at `now`; returns what changed (push it after commit)."""
    plan = plan_silence(_watches(session, now, limits), now, limits)
    ids = {w.device_id for w in (*plan.to_open, *plan.to_close)}
    names: dict[str, str] = {}
    if ids:
        query = select(Device.id, Device.description).where(Device.id.in_(ids))
        names = {device_id: description for device_id, description in session.execute(query)}
    opened = [
        SilenceEpisode(
            id=new_id(),
            device_id=w.device_id,
            owner_id=w.owner_id,
            last_reading_ms=w.last_reading_ms,
            detected_at=now,
        )
        for w in plan.to_open
    ]
    session.add_all(opened)
    closing = [w.open_episode_id for w in plan.to_close if w.open_episode_id is not None]
    if closing:
        session.execute(
            update(SilenceEpisode).where(SilenceEpisode.id.in_(closing)).values(resumed_at=now)
        )
    session.flush()
    events = [
        _event("silent", e.id, w, names, now) for e, w in zip(opened, plan.to_open, strict=True)
    ]
    events += [_event("resumed", str(w.open_episode_id), w, names, now) for w in plan.to_close]
    return events


def _event(
    change: Change, episode_id: str, watch: MeterWatch, names: dict[str, str], now: datetime
) -> SilenceEvent:
    return SilenceEvent(
        change=change,
        episode_id=episode_id,
        device_id=watch.device_id,
        device_description=names.get(watch.device_id, ""),
        owner_id=watch.owner_id,
        last_reading_at=from_epoch_ms(watch.last_reading_ms),
        at=now,
    )


def open_episodes(session: Session, *, limit: int) -> list[SilenceEpisode]:
    """Episodes still open, the longest-silent meters first."""
    query = (
        select(SilenceEpisode)
        .where(SilenceEpisode.resumed_at.is_(None))
        .order_by(SilenceEpisode.last_reading_ms.asc(), SilenceEpisode.detected_at.asc())
        .limit(limit)
    )
    return list(session.scalars(query))
