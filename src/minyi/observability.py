"""Logger, tracer and metrics shared by every function. Phone numbers are masked in every log line."""

from __future__ import annotations

import functools
import itertools
import os
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from minyi.domain.phone import mask_phones_in_text

F = TypeVar("F", bound=Callable[..., Any])


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Masks anything that looks like a phone number in the serialised JSON log record."""

    def serialize(self, log: dict) -> str:  # type: ignore[override]
        return mask_phones_in_text(super().serialize(log))


#: The number of the invocation this thread is serving (None outside one: a service called directly, a CLI,
#: a test). Every handler is wrapped by `tracer.capture_lambda_handler`, the one wrapper they all share,
#: which numbers each invocation; caches that must be fresh at every request but need not be read twice
#: within one (the catalogue's version, minyi.services.catalog) key on it.
_invocation: ContextVar[int | None] = ContextVar("minyi_invocation", default=None)
_invocations = itertools.count(1)


def current_invocation() -> int | None:
    return _invocation.get()


def serving_invocation(handler: Callable[[Any, Any], Any], event: Any, context: Any) -> Any:
    """Run `handler` as a new invocation (a new number for `current_invocation`)."""
    token = _invocation.set(next(_invocations))
    try:
        return handler(event, context)
    finally:
        _invocation.reset(token)


class LazyTracer:
    """Powertools Tracer, created on the first traced invocation instead of at import.

    Importing the X-Ray SDK (and the botocore it patches) costs ~200 ms; a handler module that
    defers it imports in well under the time of a bare `import boto3`. With tracing disabled
    (POWERTOOLS_TRACE_DISABLED, tests, the local runtime) it is never imported.
    """

    def __init__(self) -> None:
        self._tracer: Any = None

    @staticmethod
    def enabled() -> bool:
        return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in {"1", "true"}

    def get(self) -> Any:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer()
        return self._tracer

    def capture_lambda_handler(self, handler: F) -> F:
        traced: list[Callable[..., Any]] = []

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            if not self.enabled():
                return serving_invocation(handler, event, context)
            if not traced:
                traced.append(self.get().capture_lambda_handler(handler))
            return serving_invocation(traced[0], event, context)

        return wrapper  # type: ignore[return-value]


# A request that records no business metric is normal (reads, tracking): not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger(logger_formatter=MaskingFormatter())
tracer = LazyTracer()
metrics = Metrics(namespace="Minyi")
