"""Read run options from a TOML or JSON file; keys are the long option names."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from sensor_client.errors import InputError

KEY_TYPES: dict[str, tuple[type, ...]] = {
    "device_id": (str,),
    "csv": (str,),
    "dest": (str,),
    "device_key": (str,),
    "token": (str,),
    "interval": (int, float),
    "replay": (bool,),
    "start": (str,),
    "rate": (int, float),
    "state_dir": (str,),
    "devices": (int,),
    "device_ids_file": (str,),
    "queue": (str,),
    "max_retries": (int,),
}


def _parse(path: Path, text: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"config file {path} is not valid {path.suffix[1:] or 'JSON'}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"config file {path} must hold a table/object of options")
    return data


def _check(path: Path, key: str, value: Any) -> None:
    expected = KEY_TYPES.get(key)
    if expected is None:
        raise InputError(f"config file {path}: unknown key {key!r} (known: {', '.join(KEY_TYPES)})")
    # bool is an int subclass: `devices = true` must not pass as 1
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        names = " or ".join(t.__name__ for t in expected)
        raise InputError(f"config file {path}: key {key!r} must be {names}, got {value!r}")


def load_config(path: Path) -> dict[str, Any]:
    """Options from the file, keys normalised to snake_case and type-checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    options = {}
    for raw_key, value in _parse(path, text).items():
        key = str(raw_key).replace("-", "_")
        _check(path, key, value)
        options[key] = value
    return options
