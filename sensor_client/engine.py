"""The publishing engine shared by the CLI and the GUI: pacing, retries, pause and resume."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from sensor_client.csvsource import CsvSource
from sensor_client.errors import PermanentTransportError, RetriesExhaustedError, TransportError
from sensor_client.message import Measurement
from sensor_client.stamps import check_state, stamp_batch
from sensor_client.state import DeviceState, device_lock, load_state, save_state
from sensor_client.transports.base import Transport

log = logging.getLogger(__name__)

ConnectionState = Literal["idle", "connecting", "connected", "retrying", "closed"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How one device publishes its readings."""

    device_id: str
    state_path: Path
    interval_s: float = 600.0
    replay: bool = False
    start_ms: int | None = None  # replay: the virtual clock's first stamp (default: now)
    rate: float = 0.0  # replay: readings per second; 0 = as fast as possible
    batch_size: int = 100
    max_retries: int = 8
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot for observers: counts, last reading and connection health."""

    device_id: str
    sent: int
    total: int
    last_value_kwh: float | None = None
    last_timestamp_ms: int | None = None
    connection: ConnectionState = "idle"
    retries: int = 0
    rejected: int = 0
    paused: bool = False
    done: bool = False
    error: str | None = None


Observer = Callable[[Progress], None]


class Engine:
    """Publishes one device's CSV at least once, in order, resuming from its state file."""

    def __init__(
        self,
        config: EngineConfig,
        source: CsvSource,
        transport: Transport,
        observer: Observer | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._source = source
        self._transport = transport
        self._observer = observer
        self._clock = clock
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._connected = False
        total = len(source.readings)
        self.progress = Progress(config.device_id, 0, total)

    def pause(self) -> None:
        """Hold before the next batch (the batch in flight completes)."""
        self._running.clear()
        self._update(paused=True)

    def resume(self) -> None:
        """Continue after pause()."""
        self._running.set()
        self._update(paused=False)

    def stop(self) -> None:
        """Ask run() to return after the batch in flight; state stays resumable."""
        self._stop.set()
        self._running.set()

    @property
    def stopped(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    def run(self) -> Progress:
        """Publish until done or stopped; raise SensorClientError on a fatal problem."""
        try:
            with device_lock(self.config.state_path):
                state = self._load_state()
                self._update(sent=state.next_index, connection="connecting")
                self._loop(state)
        except Exception as exc:
            self._update(error=str(exc))
            raise
        finally:
            self._transport.close()
            self._connected = False
            self._update(connection="closed")
        return self.progress

    def _load_state(self) -> DeviceState:
        cfg, source = self.config, self._source
        state = load_state(cfg.state_path)
        if state is None:
            start_ms = cfg.start_ms if cfg.start_ms is not None else int(self._clock() * 1000)
            state = DeviceState(
                device_id=cfg.device_id,
                source_sha256=source.sha256,
                total=len(source.readings),
                start_ms=start_ms if cfg.replay else None,
                interval_ms=round(cfg.interval_s * 1000) if cfg.replay else None,
            )
            save_state(cfg.state_path, state)
        check_state(state, cfg.device_id, source, cfg.state_path, replay=cfg.replay)
        if state.next_index == state.total:
            log.warning(
                "device %s: all %s readings were already confirmed; delete %s to send them again",
                cfg.device_id,
                state.total,
                cfg.state_path,
            )
        elif state.next_index:
            log.info(
                "device %s resumes at reading %s/%s", cfg.device_id, state.next_index, state.total
            )
        return state

    def _loop(self, state: DeviceState) -> None:
        readings = self._source.readings
        next_due = self._clock()
        while state.next_index < len(readings):
            if not self._wait_until(next_due):
                return
            while not self._running.wait(0.5):  # paused: hold, keeping the connection alive
                self._keepalive()
            if self._stop.is_set():
                return
            batch = self._take_batch(state)
            if not self._send(batch):
                return
            state.next_index += len(batch)
            state.pending.clear()
            state.last_ms = batch[-1].timestamp_ms
            save_state(self.config.state_path, state)
            last = batch[-1]
            self._update(
                sent=state.next_index,
                last_value_kwh=last.value_kwh,
                last_timestamp_ms=last.timestamp_ms,
                rejected=int(getattr(self._transport, "rejected", 0)),
            )
            next_due = self._next_due(next_due)
        self._update(done=True)

    def _take_batch(self, state: DeviceState) -> list[Measurement]:
        cfg = self.config
        size = cfg.batch_size if cfg.replay and cfg.rate <= 0 else 1
        stop = min(state.next_index + size, len(self._source.readings))
        batch = stamp_batch(state, self._source.readings, stop, self._clock)
        if state.pending:  # live stamps must survive a crash before the confirm
            save_state(cfg.state_path, state)
        return batch

    def _next_due(self, previous_due: float) -> float:
        cfg = self.config
        if cfg.replay:
            return self._clock() + (1.0 / cfg.rate if cfg.rate > 0 else 0.0)
        return max(previous_due + cfg.interval_s, self._clock())

    def _wait_until(self, due: float) -> bool:
        """Sleep until `due` unless stopped; False when stopped."""
        while (delay := due - self._clock()) > 0:
            if self._stop.wait(min(delay, 0.5)):
                return False
            self._keepalive()
        return not self._stop.is_set()

    def _keepalive(self) -> None:
        """Let the transport serve heartbeats while idle; a dead link reconnects on next send."""
        keepalive = getattr(self._transport, "keepalive", None)
        if not self._connected or keepalive is None:
            return
        try:
            keepalive()
        except TransportError as exc:
            log.info("device %s: connection lost while idle: %s", self.config.device_id, exc)
            self._transport.close()
            self._connected = False
            self._update(connection="retrying")

    def _send(self, batch: Sequence[Measurement]) -> bool:
        """Publish with reconnects and backoff; False when stopped meanwhile."""
        attempt = 0
        while not self._stop.is_set():
            try:
                self._publish(batch)
                return True
            except PermanentTransportError:
                raise
            except TransportError as exc:
                attempt += 1
                self._transport.close()
                self._connected = False
                self._update(connection="retrying", retries=self.progress.retries + 1)
                if attempt > self.config.max_retries:
                    raise RetriesExhaustedError(
                        f"gave up after {self.config.max_retries} retries: {exc}"
                    ) from None
                delay = min(
                    self.config.backoff_initial_s * 2 ** (attempt - 1), self.config.backoff_max_s
                )
                log.warning(
                    "device %s: %s; retry %s in %.1fs", self.config.device_id, exc, attempt, delay
                )
                self._stop.wait(delay)
        return False

    def _publish(self, batch: Sequence[Measurement]) -> None:
        if not self._connected:
            self._update(connection="connecting")
            self._transport.connect()
            self._connected = True
            self._update(connection="connected")
        self._transport.publish(batch)

    def _update(self, **changes: object) -> None:
        self.progress = replace(self.progress, **changes)  # type: ignore[arg-type]
        if self._observer is not None:
            self._observer(self.progress)
