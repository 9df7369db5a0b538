"""The catalogue as the services see it: cached in the warm container for a few minutes, since it
changes rarely and every submission, dispatch and view needs it."""

from __future__ import annotations

import time
from collections.abc import Callable

from minyi.domain.models import Catalog, RoutingRule
from minyi.ports import CatalogRepository

DEFAULT_TTL_SECONDS = 300.0


class CatalogCache:
    def __init__(
        self,
        repo: CatalogRepository,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.repo = repo
        self.ttl = ttl_seconds
        self._monotonic = monotonic
        self._value: Catalog | None = None
        self._loaded = 0.0

    def get(self) -> Catalog:
        """An empty catalogue (a fresh stack) is never kept: the first import applies at once."""
        if self._value is None or not self._value.topics or self._monotonic() - self._loaded > self.ttl:
            self._value = self.repo.load()
            self._loaded = self._monotonic()
        return self._value

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None:
        """Read through: a rule changed by an admin applies to the next case at once."""
        return self.repo.routing_rule(topic, district)
