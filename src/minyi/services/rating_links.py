"""Rating without signing in: the tracking number and the 6-digit code from the "please rate" SMS stand
for the citizen's account (`minyi.domain.rating_links` says why a code and not a link). The token of an
old SMS's link (`?t=`) still works for the round it was sent for.

A code is one in a million, so guesses are charged before they are checked, on the machinery public
tracking uses (`TrackingLockouts`): to the client (`TRACKING_CLIENT_BUDGET`: 5 wrong guesses lock that
device out of tracking and rating for 15 minutes) and, for codes, to the number
(`RATING_CODE_BUDGET`: 5 wrong codes from anyone lock the number's code for an hour). A right guess is
refunded. At 5 guesses an hour, a three-day rating window gives a guesser 360 tries: 0.04 %.
"""

from __future__ import annotations

from datetime import datetime

from minyi.domain.errors import NotFound, TooManyAttempts
from minyi.domain.models import Actor, Case, Role
from minyi.domain.rating_links import RatingLinks, is_code
from minyi.observability import logger
from minyi.ports import CaseRepository, Clock, GuessCharge, GuessScope, TrackingLockouts
from minyi.services.cases import CaseService
from minyi.services.guess_budgets import RATING_CODE_BUDGET, RATING_CODE_LOCKED, TRACKING_CLIENT_BUDGET
from minyi.services.results import CaseDetail, Scorecard

UNKNOWN = "error.no_such_rating"


def retry_after(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds()))


def code_locked(until: datetime, now: datetime) -> TooManyAttempts:
    return TooManyAttempts(RATING_CODE_LOCKED, retry_after(until, now))


class LinkRating:
    def __init__(
        self,
        cases: CaseRepository,
        case_service: CaseService,
        links: RatingLinks,
        lockouts: TrackingLockouts,
        clock: Clock,
    ):
        self.cases = cases
        self.case_service = case_service
        self.links = links
        self.lockouts = lockouts
        self.clock = clock

    def state(self, tracking_no: str, proof: str, client: str) -> Case:
        """What the rating page shows before the form: the case the number and code name, if the code is
        for its current round (else the same 404 as rating with it)."""
        return self._case(tracking_no, proof, client)

    def rate(self, tracking_no: str, proof: str, card: Scorecard, client: str) -> CaseDetail:
        """Rate the case's current round as the one the code was sent to: its owner, or one of its other
        reporters (并单: each has a code of their own). A code for another case or round answers like an
        unknown number; a second use finds the round already rated (409)."""
        case, rater = self._proven(tracking_no, proof, client)
        return self.case_service.rate_proven(Actor(role=Role.CITIZEN, id=rater), case.id, card)

    def _case(self, tracking_no: str, proof: str, client: str) -> Case:
        return self._proven(tracking_no, proof, client)[0]

    def _rater(self, number: str, case: Case, proof: str) -> str | None:
        """Whose code `proof` is: the owner's for the case's round (or an old link's token), or a
        reporter's for the round or the last reply's (a round another reporter's rating rolled back)."""
        if self.links.verify_proof(number, case.round, proof):
            return case.citizen_id
        if not is_code(proof):
            return None
        rounds = {case.round, *(r.round for r in case.replies[-1:])}
        for reporter in case.reporters:
            if any(self.links.verify_code(number, r, proof, reporter.citizen_id) for r in rounds):
                return reporter.citizen_id
        return None

    def _proven(self, tracking_no: str, proof: str, client: str) -> tuple[Case, str]:
        number = tracking_no.upper()
        now = self.clock()
        by_client = self.lockouts.charge(GuessScope.CLIENT, client, now, TRACKING_CLIENT_BUDGET)
        if not by_client.allowed:
            raise TooManyAttempts("error.device_locked", retry_after(by_client.until, now))
        by_number: GuessCharge | None = None
        if is_code(proof):
            by_number = self.lockouts.charge(GuessScope.RATING_CODE, number, now, RATING_CODE_BUDGET)
            if not by_number.allowed:
                self.lockouts.refund(GuessScope.CLIENT, client, now)  # never checked: no guess of this client's
                raise code_locked(by_number.until, now)
        entry = self.cases.tracking(number)
        case = self.cases.get_case(entry.case_id) if entry is not None else None
        rater = self._rater(number, case, proof) if case is not None else None
        if case is not None and rater is not None:
            self.lockouts.refund(GuessScope.CLIENT, client, now)
            if by_number is not None:
                self.lockouts.refund(GuessScope.RATING_CODE, number, now)
            return case, rater
        if by_number is not None and by_number.last:
            logger.warning("rating code locked for a tracking number", extra={"tracking_no": number})
            raise code_locked(by_number.until, now)
        if by_client.last:
            raise TooManyAttempts("error.device_locked", retry_after(by_client.until, now))
        raise NotFound(UNKNOWN)
