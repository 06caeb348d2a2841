"""Headless command line: `python -m sensor_client --device-id ... --csv ... --dest ...`."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sensor_client.config import load_config
from sensor_client.engine import Engine
from sensor_client.errors import InputError, SensorClientError
from sensor_client.progressbar import TerminalProgress
from sensor_client.session import DEFAULT_QUEUE, RunOptions, build_engines
from sensor_client.signals import signal_controls
from sensor_client.state import DEFAULT_STATE_DIR

log = logging.getLogger("sensor_client")

EXIT_INTERRUPTED = 130
DEFAULTS: dict[str, Any] = {
    "interval": 600.0,
    "replay": False,
    "rate": 0.0,
    "state_dir": str(DEFAULT_STATE_DIR),
    "devices": 1,
    "queue": DEFAULT_QUEUE,
    "max_retries": 8,
}


def build_parser() -> argparse.ArgumentParser:
    """Options; defaults are applied after the config file so the command line wins."""
    parser = argparse.ArgumentParser(
        prog="python -m sensor_client", description="Smart-meter simulator (headless)."
    )
    add = parser.add_argument
    add("--config", type=Path, help="TOML or JSON file with any of the long options")
    add("--device-id", help="device UUID")
    add("--csv", help="CSV of cumulative kWh readings (values, or timestamp,value rows)")
    add("--dest", help="amqp://user:pass@host:5672/ | Endpoint=sb://... | http://host:port")
    add("--device-key", help="device key for an HTTP destination")
    add("--token", help="admin bearer token for HTTP (many devices, one credential)")
    add("--interval", type=float, help="seconds between readings (default 600)")
    add("--replay", action="store_true", default=None, help="virtual clock: start + interval × i")
    add("--start", help="replay start, ISO 8601 with offset (default: now)")
    add("--rate", type=float, help="replay readings per second per device (0 = fast)")
    add("--state-dir", help=f"resume state directory (default {DEFAULT_STATE_DIR})")
    add("--devices", type=int, help="simulate N devices from this process")
    add("--device-ids-file", help="`uuid` or `uuid,device-key` lines for --devices")
    add("--queue", help="queue name (default measurements)")
    add("--max-retries", type=int, help="retries before giving up (default 8)")
    add("-v", "--verbose", action="store_true", help="log every retry and reconnect")
    return parser


def resolve_options(args: argparse.Namespace) -> RunOptions:
    """Merge defaults < config file < command line into RunOptions."""
    merged = dict(DEFAULTS)
    if args.config is not None:
        merged.update(load_config(args.config))
    merged.update({k: v for k, v in vars(args).items() if v is not None})
    missing = [name for name in ("device_id", "csv", "dest") if not merged.get(name)]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        raise InputError(f"missing {flags} (on the command line or in --config)")
    ids_file = merged.get("device_ids_file")
    return RunOptions(
        device_id=str(merged["device_id"]),
        csv=Path(merged["csv"]),
        dest=str(merged["dest"]),
        device_key=merged.get("device_key"),
        token=merged.get("token"),
        interval_s=float(merged["interval"]),
        replay=bool(merged["replay"]),
        start=merged.get("start"),
        rate=float(merged["rate"]),
        state_dir=Path(merged["state_dir"]).expanduser(),
        devices=int(merged["devices"]),
        device_ids_file=Path(ids_file) if ids_file else None,
        queue=str(merged["queue"]),
        max_retries=int(merged["max_retries"]),
    )


def run_all(engines: Sequence[Engine]) -> list[BaseException]:
    """Run every engine in its own thread and wait for all of them."""
    errors: list[BaseException] = []

    def work(engine: Engine) -> None:
        try:
            engine.run()
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(e,), daemon=True) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.2)
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    level = logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    progress = TerminalProgress(sys.stderr)
    try:
        engines = build_engines(resolve_options(args), progress)
        with signal_controls(engines) as interrupt:
            errors = run_all(engines)
    except SensorClientError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted; unconfirmed readings are resent on the next run\n")
        return EXIT_INTERRUPTED
    progress.finish()
    if interrupt.requested:
        sys.stderr.write("stopped; the next run continues where this one stopped\n")
        return EXIT_INTERRUPTED
    for message, count in Counter(str(error) for error in errors).items():
        sys.stderr.write(f"error: {message}" + (f" ({count} devices)\n" if count > 1 else "\n"))
    codes = [getattr(e, "exit_code", 1) for e in errors]
    return max(codes, default=0)
