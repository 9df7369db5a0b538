"""What an invocation reads once, however often it needs it: the catalogue's version
(minyi.services.catalog), and the case a stream consumer reads for each of a batch's records.

The table's stream delivers a case's timeline events in order, and one batch often holds several of the
same case (a submission and its routing, a reply and its rating). A consumer that only reads the case
(notices, the open-data feed) sees the same case for each of them, so it reads it once: any change made
after that read writes a timeline event of its own, which a later batch delivers and projects again.
Never for code that changes the case itself, and never across invocations (a retried record is read
anew); outside an invocation (a service called directly) every lookup loads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from minyi.observability import current_invocation

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class PerInvocation(Generic[K, V]):
    """Values loaded at most once per key within one invocation (`minyi.observability.current_invocation`)."""

    def __init__(self, load: Callable[[K], V]):
        self._load = load
        self._invocation: int | None = None
        self._values: dict[K, V] = {}

    def __call__(self, key: K) -> V:
        invocation = current_invocation()
        if invocation is None:
            return self._load(key)
        if invocation != self._invocation:
            self._invocation, self._values = invocation, {}
        if key not in self._values:
            self._values[key] = self._load(key)  # nothing is kept when the load raises
        return self._values[key]
