"""Errors the sensor client reports to its user as readable messages."""

from __future__ import annotations


class SensorClientError(Exception):
    """Base class: the message is meant for the user, no traceback needed."""

    exit_code = 2


class InputError(SensorClientError):
    """Bad user input: CSV file, device id, option or config value."""


class StateError(SensorClientError):
    """The per-device state file cannot be read or does not match the run."""


class TransportError(SensorClientError):
    """A publish or connect failed in a way that is worth retrying."""

    exit_code = 3


class PermanentTransportError(TransportError):
    """A failure that retrying will not fix (credentials, missing queue, bad request)."""

    exit_code = 4


class RetriesExhaustedError(TransportError):
    """The destination stayed unreachable after every retry."""

    exit_code = 3
