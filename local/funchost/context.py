"""Concrete `func.Context` and `func.Out` for local invocations (the worker's are private)."""

from __future__ import annotations

import threading
from typing import Any

import azure.functions as func
from azure.functions._abc import RetryContext, RpcException, TraceContext


class LocalOut(func.Out[Any]):
    """Holds the value a function sets on an output binding."""

    def __init__(self) -> None:
        self._value: Any = None
        self.is_set = False

    def set(self, val: Any) -> None:
        """Store the output value."""
        self._value = val
        self.is_set = True

    def get(self) -> Any:
        """Return the stored output value (None when never set)."""
        return self._value


class LocalTraceContext(TraceContext):
    """An empty W3C trace context: the local host does not propagate traces."""

    @property
    def trace_state(self) -> str:
        """No trace state locally."""
        return ""

    @property
    def trace_parent(self) -> str:
        """No trace parent locally."""
        return ""

    @property
    def attributes(self) -> dict[str, str]:
        """No attributes locally."""
        return {}


class LocalRetryContext(RetryContext):
    """First attempt, no retry policy applied locally."""

    @property
    def retry_count(self) -> int:
        """Always the first attempt."""
        return 0

    @property
    def max_retry_count(self) -> int:
        """No retries locally."""
        return 0

    @property
    def exception(self) -> RpcException:
        """There is no previous failure on a first attempt."""
        raise LookupError("no previous exception on the first attempt")


class LocalContext(func.Context):
    """The `context` argument passed to functions that declare one."""

    _storage = threading.local()

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory

    @property
    def invocation_id(self) -> str:
        """This invocation's id (a UUID string)."""
        return self._invocation_id

    @property
    # The package annotates type[local], but the real worker returns an instance, as we do.
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        """Thread-local storage shared by invocations on the same thread."""
        return self._storage

    @property
    def function_name(self) -> str:
        """The function's name."""
        return self._function_name

    @property
    def function_directory(self) -> str:
        """The folder of the function's source file."""
        return self._function_directory

    @property
    def trace_context(self) -> TraceContext:
        """An empty trace context."""
        return LocalTraceContext()

    @property
    def retry_context(self) -> RetryContext:
        """A first-attempt retry context."""
        return LocalRetryContext()
