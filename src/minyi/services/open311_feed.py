"""The Open311 open-data feed, projected from the table's stream (the projections function).

A projector, not the GeoReport API (`minyi.services.open311`): it reads a case and its timeline and
writes the public request and its public status changes, files nothing, and needs neither keys nor the
request service. Only what domain/privacy.py lets the city publish is written (see open311/mapping.py).
"""

from __future__ import annotations

from minyi.domain.models import TimelineEvent
from minyi.open311 import mapping
from minyi.ports import CaseRepository, Open311Repository
from minyi.services.catalog import CatalogCache


class Open311Feed:
    def __init__(self, cases: CaseRepository, catalog: CatalogCache, feed: Open311Repository):
        self.cases = cases
        self.catalog = catalog
        self.feed = feed

    def project(self, event: TimelineEvent) -> bool:
        """Bring the case's public request up to date and record the event if it is a public status
        change. Idempotent: a redelivered or late event never brings back an older state."""
        case = self.cases.get_case(event.case_id)
        if case is None:
            return False
        catalog = self.catalog.get()
        request = mapping.public_request(case, catalog, self.cases.timeline(case.id))
        stored = self.feed.put_request(request, case.version)
        update = mapping.public_update(case, event, catalog)
        if update is not None:
            self.feed.put_update(update)
        return stored
