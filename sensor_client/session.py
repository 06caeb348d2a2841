"""Turn user options (CLI, config file or GUI fields) into ready engines, one per device."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sensor_client.csvsource import CsvSource, read_csv
from sensor_client.engine import Engine, EngineConfig, Observer
from sensor_client.errors import InputError
from sensor_client.message import validate_device_id
from sensor_client.state import DEFAULT_STATE_DIR, state_path
from sensor_client.transports.base import Transport

DEFAULT_QUEUE = "measurements"


@dataclass(frozen=True, slots=True)
class RunOptions:
    """Everything a run needs, validated by `check_options`."""

    device_id: str
    csv: Path
    dest: str
    device_key: str | None = None
    token: str | None = None  # admin bearer token for HTTP: one credential for many devices
    interval_s: float = 600.0
    replay: bool = False
    start: str | None = None
    rate: float = 0.0
    state_dir: Path = DEFAULT_STATE_DIR
    devices: int = 1
    device_ids_file: Path | None = None
    queue: str = DEFAULT_QUEUE
    max_retries: int = 8


def parse_start_ms(text: str | None) -> int | None:
    """The replay start as epoch ms from ISO 8601 with an offset (`Z` allowed)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--start {text!r} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        raise InputError(f"--start {text!r} needs a UTC offset, e.g. 2026-01-01T00:00:00Z")
    return round(moment.timestamp() * 1000)


def check_options(options: RunOptions) -> None:
    """Reject impossible numbers with the option name and value."""
    if options.interval_s <= 0:
        raise InputError(f"--interval must be positive, got {options.interval_s}")
    if options.rate < 0:
        raise InputError(f"--rate must be 0 (as fast as possible) or positive, got {options.rate}")
    if options.devices < 1:
        raise InputError(f"--devices must be at least 1, got {options.devices}")
    if options.max_retries < 0:
        raise InputError(f"--max-retries must be 0 or more, got {options.max_retries}")
    if not options.dest.strip():
        raise InputError("a destination is required (amqp://..., Endpoint=sb://..., http://...)")


def make_transport(options: RunOptions, device_id: str, device_key: str | None = None) -> Transport:
    """Pick the transport from the destination's form."""
    dest = options.dest.strip()
    if dest.startswith(("amqp://", "amqps://")):
        from sensor_client.transports.rabbitmq import RabbitMqTransport

        return RabbitMqTransport(dest, queue=options.queue, connection_name=f"sensor-{device_id}")
    if dest.startswith("Endpoint=sb://"):
        from sensor_client.transports.servicebus import ServiceBusTransport

        return ServiceBusTransport(dest, queue=options.queue)
    if dest.startswith(("http://", "https://")):
        from sensor_client.transports.http import HttpTransport

        key = device_key or options.device_key
        if not key and not options.token:
            raise InputError("an HTTP destination needs --device-key (or an admin --token)")
        return HttpTransport(dest, key, token=options.token)
    raise InputError(
        f"destination {dest[:40]!r} is none of amqp://..., Endpoint=sb://... or http(s)://..."
    )


DeviceEntry = tuple[str, str | None]  # (device id, its HTTP device key when the file gives one)


def read_device_ids(path: Path) -> list[DeviceEntry]:
    """`uuid` or `uuid,device-key` lines; blank lines and `#` comments skipped."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read device id file {path}: {exc.strerror or exc}") from None
    entries: list[DeviceEntry] = []
    problems = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if text and not text.startswith("#"):
            device, _, key = text.partition(",")
            try:
                entries.append((validate_device_id(device), key.strip() or None))
            except InputError as exc:
                problems.append(f"line {number}: {exc}")
    if problems:
        raise InputError(f"{path}: bad device ids:\n  " + "\n  ".join(problems))
    return entries


def device_entries(options: RunOptions) -> list[DeviceEntry]:
    """The devices to simulate: the file's, else the given id plus stable derived ones."""
    first = validate_device_id(options.device_id)
    if options.device_ids_file is not None:
        entries = read_device_ids(options.device_ids_file)
        if len(entries) < options.devices:
            raise InputError(
                f"{options.device_ids_file} holds {len(entries)} ids, "
                f"--devices asks for {options.devices}"
            )
        return entries[: options.devices]
    # derived with uuid5 so a restarted load run finds the same devices and their state
    derived = [str(uuid.uuid5(uuid.UUID(first), f"sim-{i}")) for i in range(1, options.devices)]
    return [(device, None) for device in [first, *derived]]


def build_engines(options: RunOptions, observer: Observer | None = None) -> list[Engine]:
    """Validate everything up front, then one engine per device over the same CSV."""
    check_options(options)
    start_ms = parse_start_ms(options.start)
    entries = device_entries(options)
    source: CsvSource = read_csv(options.csv)
    engines = []
    for device_id, device_key in entries:
        config = EngineConfig(
            device_id=device_id,
            state_path=state_path(options.state_dir, device_id),
            interval_s=options.interval_s,
            replay=options.replay,
            start_ms=start_ms,
            rate=options.rate,
            max_retries=options.max_retries,
        )
        transport = make_transport(options, device_id, device_key)
        engines.append(Engine(config, source, transport, observer))
    return engines
