"""The benchmark's timer of moto's own work: calls, wall and CPU seconds per "service.Operation" while a
block runs (`make bench`'s load run prints the breakdown, scripts/bench/throughput.py).

It wraps moto's action dispatch for the block only and restores it after, so it is no patch of the
local runtime (those live in infra/local/moto_patches.py and check the moto version): the runtime is
the same with or without it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any


class OperationTimes:
    """Calls, wall seconds and CPU seconds (of the calling thread) spent inside moto, per
    "service.Operation": moto's own work, under the lock. CPU time does not count waiting for the GIL
    or the lock, so it stays meaningful on a busy machine."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, operation: str, seconds: float, cpu_seconds: float) -> None:
        with self._lock:
            self.calls[operation] += 1
            self.seconds[operation] = self.seconds.get(operation, 0.0) + seconds
            self.cpu_seconds[operation] = self.cpu_seconds.get(operation, 0.0) + cpu_seconds

    def snapshot(self) -> tuple[dict[str, int], dict[str, float], dict[str, float]]:
        with self._lock:
            return dict(self.calls), dict(self.seconds), dict(self.cpu_seconds)


@contextlib.contextmanager
def timed_operations() -> Iterator[OperationTimes]:
    """Time every operation moto answers while the block runs (wraps moto's action dispatch)."""
    from moto.core.responses import BaseResponse

    times = OperationTimes()
    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            return original(self)
        finally:
            service = getattr(self, "service_name", None) or type(self).__module__.split(".")[1]
            times.add(
                f"{service}.{self._get_action()}", time.perf_counter() - started, time.thread_time() - cpu_started
            )

    BaseResponse.call_action = call_action  # type: ignore[method-assign]
    try:
        yield times
    finally:
        BaseResponse.call_action = original  # type: ignore[method-assign]
