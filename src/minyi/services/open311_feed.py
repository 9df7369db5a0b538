"""The Open311 open-data feed, projected from the table's stream (the projections function).

A projector, not the GeoReport API (`minyi.services.open311`): it reads a case and its timeline and
writes the public request and its public status changes, files nothing, and needs neither keys nor the
request service. Only what domain/privacy.py lets the city publish is written (see open311/mapping.py).
Within one batch a case is read, and its public request written, once for all of its events
(minyi.services.per_invocation).
"""

from __future__ import annotations

from dataclasses import dataclass

from minyi.domain.models import Case, TimelineEvent
from minyi.open311 import mapping
from minyi.ports import CaseRepository, Open311Repository
from minyi.services.catalog import CatalogCache
from minyi.services.per_invocation import PerInvocation


@dataclass(frozen=True)
class _Projected:
    case: Case
    stored: bool  # whether the public request was written (not older than the stored one)


class Open311Feed:
    def __init__(self, cases: CaseRepository, catalog: CatalogCache, feed: Open311Repository):
        self.cases = cases
        self.catalog = catalog
        self.feed = feed
        # one read of the case and its timeline, and one write of its public request, per batch
        # (minyi.services.per_invocation)
        self._projected = PerInvocation(self._project_request)

    def project(self, event: TimelineEvent) -> bool:
        """Bring the case's public request up to date and record the event if it is a public status
        change. Idempotent: a redelivered or late event never brings back an older state."""
        projected = self._projected(event.case_id)
        if projected is None:
            return False
        update = mapping.public_update(projected.case, event, self.catalog.get())
        if update is not None:
            self.feed.put_update(update)
        return projected.stored

    def _project_request(self, case_id: str) -> _Projected | None:
        case = self.cases.get_case(case_id)
        if case is None:
            return None
        request = mapping.public_request(case, self.catalog.get(), self.cases.timeline(case.id))
        return _Projected(case, self.feed.put_request(request, case.version))
