"""Rating from the SMS link, without signing in: the link's token stands for the citizen's account."""

from __future__ import annotations

from minyi.domain.errors import NotFound
from minyi.domain.models import Actor, Case, Role
from minyi.domain.rating_links import RatingLinks
from minyi.ports import CaseRepository
from minyi.services.cases import CaseService
from minyi.services.results import CaseDetail, Scorecard


class LinkRating:
    def __init__(self, cases: CaseRepository, case_service: CaseService, links: RatingLinks):
        self.cases = cases
        self.case_service = case_service
        self.links = links

    def state(self, tracking_no: str, token: str) -> Case:
        """What the link's page shows before the form: the case its token names, if the token is for
        its current round (else the same 404 as rating with it)."""
        return self._case(tracking_no, token)

    def rate(self, tracking_no: str, token: str, card: Scorecard) -> CaseDetail:
        """Rate the case's current round as its owner. A token for another case or round answers like
        an unknown number; a second use finds the round already rated (409)."""
        case = self._case(tracking_no, token)
        owner = Actor(role=Role.CITIZEN, id=case.citizen_id)
        return self.case_service.rate(owner, case.id, card)

    def _case(self, tracking_no: str, token: str) -> Case:
        number = tracking_no.upper()
        entry = self.cases.tracking(number)
        case = self.cases.get_case(entry.case_id) if entry is not None else None
        if case is None or not self.links.verify(number, case.round, token):
            raise NotFound("no such rating link; use the link from your latest SMS")
        return case
