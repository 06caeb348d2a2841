"""Choosing transports from destinations, derived device ids, the terminal progress line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sensor_fakes import DEVICE

from sensor_client.engine import Progress
from sensor_client.errors import InputError
from sensor_client.progressbar import TerminalProgress, render
from sensor_client.session import RunOptions, device_entries, make_transport
from sensor_client.transports.http import HttpTransport
from sensor_client.transports.rabbitmq import RabbitMqTransport
from sensor_client.transports.servicebus import ServiceBusTransport


def options(dest: str, **changes: object) -> RunOptions:
    return RunOptions(DEVICE, Path("x.csv"), dest, **changes)  # type: ignore[arg-type]


def test_destination_picks_the_transport() -> None:
    rabbit = make_transport(options("amqp://guest:guest@h:5672/", queue="q"), DEVICE)
    assert isinstance(rabbit, RabbitMqTransport) and rabbit.queue == "q"
    bus = make_transport(
        options("Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=k"), DEVICE
    )
    assert isinstance(bus, ServiceBusTransport) and bus.queue == "measurements"
    http = make_transport(options("http://127.0.0.1:7071", device_key="k"), DEVICE)
    assert isinstance(http, HttpTransport)


def test_derived_device_ids_are_stable_and_distinct(tmp_path: Path) -> None:
    entries = device_entries(options("http://h", devices=4))
    assert entries[0] == (DEVICE, None) and len(set(entries)) == 4
    assert entries == device_entries(options("http://h", devices=4))
    bad = tmp_path / "ids.txt"
    bad.write_text(f"{DEVICE}\nnot-a-uuid\n")
    with pytest.raises(InputError, match="line 2"):
        device_entries(options("http://h", devices=2, device_ids_file=bad))


def test_render_and_non_tty_output() -> None:
    line = render([Progress(DEVICE, 50, 200, 12.5, 1767225600000, "connected", 2)])
    assert line.startswith("[#######") and "50/200 25%" in line
    assert (
        "12.500 kWh at 2026-01-01T00:00:00Z" in line and "connected" in line and "retries 2" in line
    )
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    for sent in range(0, 101):
        bar(Progress(DEVICE, sent, 100))
    bar.finish()
    assert stream.getvalue().count("\n") == 12  # 0 %, 10 % ... 100 %, and the final line
