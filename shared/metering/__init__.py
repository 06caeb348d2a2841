"""Pure metering core: readings, the noise/reset rule, UTC-hour split, increments, alerts."""

from shared.metering.alerts import AlertChange, AlertTransition, detect_alert_transitions
from shared.metering.incremental import Append, Insertion, append_reading, insert_reading
from shared.metering.readings import (
    DEFAULT_MAX_FUTURE_MS,
    DUPLICATE_TOLERANCE_KWH,
    InvalidReading,
    MeterPoint,
    Reading,
    ReadingStatus,
    classify_reading,
    validate_reading,
)
from shared.metering.rule import (
    NOISE_FRACTION,
    Step,
    StepKind,
    hourly_totals,
    is_noise_drop,
    is_reset,
    meter_points,
    replay,
    step_register,
)
from shared.metering.split import (
    HOUR_MS,
    add_contributions,
    hour_start_ms,
    hours_overlapped,
    split_interval,
)

__all__ = [
    "DEFAULT_MAX_FUTURE_MS",
    "DUPLICATE_TOLERANCE_KWH",
    "HOUR_MS",
    "NOISE_FRACTION",
    "AlertChange",
    "AlertTransition",
    "Append",
    "Insertion",
    "InvalidReading",
    "MeterPoint",
    "Reading",
    "ReadingStatus",
    "Step",
    "StepKind",
    "add_contributions",
    "append_reading",
    "classify_reading",
    "detect_alert_transitions",
    "hour_start_ms",
    "hourly_totals",
    "hours_overlapped",
    "insert_reading",
    "is_noise_drop",
    "is_reset",
    "meter_points",
    "replay",
    "split_interval",
    "step_register",
    "validate_reading",
]
