"""Timer trigger: every five minutes, open or close silent-meter episodes and push them."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.console.silence_job import run_silence_scan
from shared.platform import get_platform

bp = func.Blueprint()
logger = logging.getLogger(__name__)
# NCRONTAB, seconds first: second 0 of every fifth minute (UTC).
SCHEDULE = "0 */5 * * * *"


@bp.function_name("scan_silent_meters")
@bp.timer_trigger(arg_name="timer", schedule=SCHEDULE, run_on_startup=False, use_monitor=True)
def scan_silent_meters(timer: func.TimerRequest) -> None:
    """Raise one `meter.silent` per silence episode; `meter.resumed` when readings return."""
    if timer.past_due:
        logger.warning("silent-meter scan is running late (past due)")
    events = run_silence_scan(get_platform())
    logger.info("silent-meter scan: %d change(s)", len(events))
