"""The catalogue as the services see it: kept in the warm container while its version stays the one in
force. Every submission, dispatch and view needs it, and it changes rarely, but a document an admin
accepts must apply to the very next request: a timer let a new topic be offered (a cold container) while
its routing rule's unit was still unknown to a warm router, so cases filed in that gap went to the
dispatch queue. Each request therefore reads the version pointer (one strongly consistent GetItem of a
small item) and loads the whole catalogue (one query) only when it moved. The version item is written
last when a document is accepted, so a container that loaded while one was being written loads again
at its next request.

Within one invocation the version is read once (`minyi.services.per_invocation`): a request that
asks for the catalogue several times (a stream batch, a notice per recipient, a submission checking its
topic and then routing) reads one catalogue, and eight version reads a submission made across its
functions became one per invocation. Outside an invocation (a service called directly) every `get` reads
the version, as before."""

from __future__ import annotations

from minyi.domain.models import Catalog, RoutingRule
from minyi.ports import CatalogRepository
from minyi.services.per_invocation import PerInvocation


class CatalogCache:
    def __init__(self, repo: CatalogRepository):
        self.repo = repo
        self._value: Catalog | None = None
        self._version = 0
        # the version pointer, read once per invocation (every time outside one)
        self._version_now: PerInvocation[None, int] = PerInvocation(lambda _: self.repo.version())

    def get(self) -> Catalog:
        """An empty catalogue (a fresh stack) is never kept: the first import applies at once."""
        version = self._version_now(None)
        if self._value is None or not self._value.topics or version != self._version:
            self._value = self.repo.load()
            # keyed by the version read before loading: a load that overlapped an import is replaced
            # once the import has moved the version on
            self._version = version
        return self._value

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None:
        """Read through: a rule changed by an admin applies to the next case at once."""
        return self.repo.routing_rule(topic, district)
