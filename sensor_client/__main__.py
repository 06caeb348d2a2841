"""`python -m sensor_client`: the headless simulator."""

from __future__ import annotations

import sys

from sensor_client.cli import main

if __name__ == "__main__":
    sys.exit(main())
