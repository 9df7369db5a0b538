"""What the 12345 centre's operators and units look up and record around a call: the knowledge base
(answering a consultation on the call), the reply templates (a unit's answer), and 回访, calling a
hotline caller back for the rating they could not give by SMS.

Everything reads the catalogue the case service already caches, and a callback is one more case
action through it (load, policy, one lifecycle rule, one conditional save, the workflow signal).
"""

from __future__ import annotations

from datetime import datetime

from minyi import policy
from minyi.domain import lifecycle
from minyi.domain.errors import InvalidInput
from minyi.domain.knowledge import KnowledgeHit, search
from minyi.domain.lifecycle import Transition
from minyi.domain.metrics import Metric
from minyi.domain.models import Actor, CallbackOutcome, Case, CaseStatus, RatingScores, ReplyTemplate
from minyi.observability import logger, metrics
from minyi.policy import Action
from minyi.services.cases import CaseService
from minyi.services.results import CaseDetail, CasePage


class HotlineService:
    def __init__(self, cases: CaseService):
        self.cases = cases

    def knowledge(self, actor: Actor, query: str, topic: str | None, limit: int) -> list[KnowledgeHit]:
        policy.require(actor, Action.KNOWLEDGE)
        catalog = self.cases.catalog
        if topic is not None and topic not in catalog.topics:
            raise InvalidInput("topic", "error.unknown_topic")
        return search(catalog.knowledge, query, topic, limit)

    def reply_templates(self, actor: Actor, topic: str | None) -> list[ReplyTemplate]:
        """The templates for the topic and those for any topic (all of them without one)."""
        policy.require(actor, Action.REPLY_TEMPLATES)
        catalog = self.cases.catalog
        if topic is not None and topic not in catalog.topics:
            raise InvalidInput("topic", "error.unknown_topic")
        return [t for t in catalog.reply_templates if topic is None or t.topic in (None, topic)]

    def callbacks(self, actor: Actor, limit: int, cursor: str | None) -> CasePage:
        """Hotline replies waiting for the caller's rating, the oldest reply first."""
        policy.require(actor, Action.CALLBACK)
        cases, next_cursor = self.cases.store.cases.list_callbacks(limit, cursor)
        return CasePage(cases, next_cursor)

    def callback(
        self, actor: Actor, case_id: str, outcome: CallbackOutcome, card: RatingScores | None, comment: str | None
    ) -> CaseDetail:
        """Record a 回访 call. `rated` needs the four scores and counts as the caller's rating."""
        if outcome == CallbackOutcome.RATED and card is None:
            raise InvalidInput("speed", "error.callback_needs_scores")
        if outcome != CallbackOutcome.RATED and card is not None:
            raise InvalidInput("outcome", "error.scores_only_when_rated")
        service = self.cases

        def decide(case: Case, now: datetime) -> Transition:
            rating = None
            if card is not None:
                redo_due = service.deadlines.unit_due(case, service.catalog, now)
                rating = (card.scores(), comment, service.rules.rating_policy, redo_due)
            day = service.deadlines.working_day(now)
            return lifecycle.callback(case, outcome, day, actor, now, rating)

        case = service._act(actor, Action.CALLBACK, case_id, decide)
        metrics.add_metric(name=Metric.CALLBACKS, unit="Count", value=1)
        if outcome == CallbackOutcome.RATED:
            metrics.add_metric(name=Metric.CASES_RATED, unit="Count", value=1)
        if case.status == CaseStatus.CLOSED:
            metrics.add_metric(name=Metric.CASES_CLOSED, unit="Count", value=1)
        logger.info("callback recorded", extra={"case_id": case.id, "outcome": outcome.value})
        return service.detail(case)
