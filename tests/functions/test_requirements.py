"""functions/requirements.txt (what Azure installs) pins the same versions as requirements.lock."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def test_azure_requirements_match_the_lock_file() -> None:
    azure = _pins(ROOT / "functions" / "requirements.txt")
    lock = _pins(ROOT / "requirements.lock")
    assert azure, "functions/requirements.txt pins nothing"
    mismatched = {name: (v, lock.get(name)) for name, v in azure.items() if lock.get(name) != v}
    assert mismatched == {}
