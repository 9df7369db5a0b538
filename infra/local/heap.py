"""The local runtime's garbage-collection policy: the embedded AWS is a heap that only grows.

Everything the local runtime holds for its AWS (every DynamoDB item and stream record, every Step
Functions execution and its history, the Lambdas' modules) is a long-lived Python object, about
800 more per submitted case. CPython's cyclic collector scans the whole oldest generation on each
full collection, with every thread stopped: measured on the load run of `make bench`, a runtime with
1.1 million tracked objects paused for 400-630 ms on each of seven full collections (2.8 s of CPU in
600 submits), and those pauses were the API's p99 latency.

So the runtime freezes what has survived a full collection (`gc.freeze()`: the collector no longer
scans it): once when it has started, and again after each full collection. A full collection then
scans only what was created since the last one (measured: at most 71 ms, 0.5 s of CPU for the same
600 submits). Young objects are collected as before, so a request's garbage still goes at once. The
price: a reference cycle among frozen objects is never collected; those are the emulator's state,
which lives until the runtime stops anyway.

A process-wide setting, so only processes that hold such a heap apply it: `python -m infra.local`, the
benchmark's runtime (which measures the runtime as `make run` serves it), and the test processes
(tests/conftest.py), whose in-process embedded AWS of each module and imports of every library
made full collections a third of a test worker's CPU (22-33 s of 85 s for the unit and
integration tests; 2.5-3.8 s with this policy).
"""

from __future__ import annotations

import gc
from typing import Any

#: The generation CPython's collector names its full collections by.
OLDEST_GENERATION = 2


def _freeze_after_full_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == OLDEST_GENERATION:
        gc.freeze()


def freeze_long_lived_objects() -> None:
    """Freeze what exists now (after a full collection), and again after each later full collection.
    Idempotent."""
    gc.collect()
    gc.freeze()
    if _freeze_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_freeze_after_full_collection)
