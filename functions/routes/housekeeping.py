"""Timer trigger: hourly housekeeping of state that only grows (expired login counters)."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.db import transaction
from shared.platform import get_platform
from shared.security.throttle import prune_expired

bp = func.Blueprint()
logger = logging.getLogger(__name__)
# NCRONTAB, seconds first: 17 minutes past every hour (UTC), away from the 5-minute scans.
SCHEDULE = "0 17 * * * *"


@bp.function_name("prune_login_failures")
@bp.timer_trigger(arg_name="timer", schedule=SCHEDULE, run_on_startup=False, use_monitor=True)
def prune_login_failures(timer: func.TimerRequest) -> None:
    """Delete login-failure counters whose window has passed and whose wait is over."""
    platform = get_platform()
    with transaction(platform.sessions) as session:
        pruned = prune_expired(session, platform.throttle)
    logger.info("login-failure counters pruned: %d", pruned)
