"""Read local/docker-compose.yml the way Compose does: .env interpolation, then the model."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "local" / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "local" / ".env.example"

# $$ (literal $), $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\})"
)


class MissingVariable(ValueError):
    """A ${VAR:?message} had no value: Compose stops with the message."""


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of a .env file (comments and blanks skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Substitute variables as Compose does (the subset this project uses)."""

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("plain") or match.group("name")
        op, arg = match.group("op"), match.group("arg") or ""
        value = env.get(name)
        unset_or_empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and unset_or_empty:
            return arg
        if op in (":?", "?") and unset_or_empty:
            raise MissingVariable(f"{name}: {arg}")
        return value or ""

    return _VARIABLE.sub(replace, text)


def variables(text: str) -> dict[str, set[str]]:
    """Variable name -> the operators it is used with ('' for none)."""
    found: dict[str, set[str]] = {}
    for match in _VARIABLE.finditer(text):
        name = match.group("plain") or match.group("name")
        if name:
            found.setdefault(name, set()).add(match.group("op") or "")
    return found


def raw_model() -> dict[str, Any]:
    """The compose file as YAML, before interpolation."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


def model(env: dict[str, str]) -> dict[str, Any]:
    """The compose model after interpolation with env (YAML merge keys resolved)."""
    # Interpolate line by line of the YAML text, the values only matter here.
    return yaml.safe_load(interpolate(COMPOSE_FILE.read_text(), env))
