"""The team kit beside the checkout: its data files, or a visible skip (a failure in CI).

The kit is the sibling folder `../shared` of the repository (its `data/sensor.csv` is the
meter data the product was designed around; it is read from there, not copied). Set
ENERGY_KIT_DIR to use a kit elsewhere. Without it, the tests that need it skip with the path
they looked at; under CI=true they fail, like the MariaDB and RabbitMQ tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.utils.services import unavailable

REPO_ROOT = Path(__file__).resolve().parents[2]
KIT_ENV = "ENERGY_KIT_DIR"


def kit_dir() -> Path:
    """The kit's folder: ENERGY_KIT_DIR, else ../shared beside the repository."""
    configured = os.environ.get(KIT_ENV)
    return Path(configured) if configured else REPO_ROOT.parent / "shared"


def kit_file(relative: str) -> Path:
    """A file of the kit; skips (fails under CI=true) when it is not there."""
    path = kit_dir() / relative
    if not path.is_file():
        unavailable("team kit", f"{path} not found (set {KIT_ENV} to the kit's folder)")
    return path


def sensor_csv() -> Path:
    """The kit's sensor.csv: 3,999 cumulative kWh readings, one per line."""
    return kit_file("data/sensor.csv")
