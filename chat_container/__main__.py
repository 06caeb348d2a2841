"""python -m chat_container: run one chat replica (port from CHAT_PORT, default 50051)."""

from __future__ import annotations

import asyncio
import logging

from chat_container.server import serve
from shared.aioloop import event_loop


def main() -> None:
    """Configure logging and serve until SIGTERM/SIGINT."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with asyncio.Runner(loop_factory=event_loop) as runner:
        runner.run(serve())


if __name__ == "__main__":
    main()
