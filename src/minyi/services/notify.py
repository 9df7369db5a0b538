"""SMS notices from timeline events, exactly once per (case, event, recipient).

For each notice: claim it in the outbox (conditional put); if it was already SENT, do nothing (a
redelivered stream record); otherwise send and mark SENT with the provider's message id. A failed
send marks FAILED and raises, so the stream record is reported as a batch item failure and retried;
the retry finds the claim and sends again. The only window for a duplicate is a crash between the
provider accepting a message and the SENT write.

The domain (`minyi.domain.notices`) decides who hears of an event and which message (a catalogue key
and its facts); the words are rendered here, at the edge, from the message catalogue (`minyi.text`):
`plan_notices` is the two together. Babel loads only when a deadline is formatted.

A batch that holds several events of one case reads the case once (minyi.services.per_invocation).
"""

from __future__ import annotations

from minyi.domain.errors import NotFound
from minyi.domain.messages import Message
from minyi.domain.metrics import Metric
from minyi.domain.models import (
    DISPATCH_QUEUE,
    SUPERVISION_OFFICE_ID,
    Case,
    EventType,
    Language,
    OutboxStatus,
    TimelineEvent,
)
from minyi.domain.notices import Notice, NoticeContext, compose, plan_messages
from minyi.domain.phone import mask_phone
from minyi.domain.rating_links import RatingLinks
from minyi.observability import logger, metrics
from minyi.ports import CaseRepository, Clock, OutboxRepository, SmsError, SmsSender, TemplateSmsSender
from minyi.services.catalog import CatalogCache
from minyi.services.per_invocation import PerInvocation
from minyi.text import render_fields, unit_names


def plan_notices(event: TimelineEvent, ctx: NoticeContext) -> list[Notice]:
    """The notices `event` causes, worded from the message catalogue in each recipient's language (unit
    names from the context's units)."""
    units = {unit.id: unit for unit in (ctx.unit, ctx.previous_unit, *ctx.assist_units) if unit is not None}
    names = unit_names(units)

    def render(message: Message, language: Language) -> tuple[str, dict[str, str]]:
        return render_fields(message, language, names)

    return [compose(planned, render) for planned in plan_messages(event, ctx)]


class NoticeFailed(Exception):
    """At least one notice of the event could not be sent (the record will be retried)."""


class NotifyService:
    def __init__(
        self,
        cases: CaseRepository,
        outbox: OutboxRepository,
        catalog: CatalogCache,
        sender: SmsSender,
        clock: Clock,
        links: RatingLinks,
    ):
        self.cases = cases
        self.outbox = outbox
        self.catalog = catalog
        self.sender = sender
        self.clock = clock
        self.links = links
        # one read of a case per batch, however many of its events the batch holds (per_invocation)
        self._case = PerInvocation(self._read_case)

    def _read_case(self, case_id: str) -> Case | None:
        return self.cases.get_case(case_id, consistent=False)

    def notices_for(self, event: TimelineEvent) -> list[Notice]:
        case = self._case(event.case_id)
        if case is None:
            raise NotFound("error.streamed_case_missing", case_id=event.case_id)
        catalog = self.catalog.get()
        supervisors = catalog.units.get(SUPERVISION_OFFICE_ID)
        dispatchers = catalog.units.get(DISPATCH_QUEUE)
        from_unit = event.facts.get("from_unit")
        assisting = event.facts.get("assist_units") if event.type == EventType.ASSIST_REQUESTED else None
        assist_units = [catalog.units[u] for u in str(assisting or "").split(",") if u in catalog.units]
        ctx = NoticeContext(
            case=case,
            unit=catalog.units.get(event.unit_id) if event.unit_id else None,
            previous_unit=catalog.units.get(from_unit) if isinstance(from_unit, str) else None,
            supervisors_phone=supervisors.duty_phone if supervisors else None,
            dispatchers_phone=dispatchers.duty_phone if dispatchers else None,
            rating_address=self.links.address,
            rating_code=self.links.code(case.tracking_no, event.round),
            assist_units=assist_units,
            reporter_codes={
                r.citizen_id: self.links.code(case.tracking_no, event.round, r.citizen_id) for r in case.reporters
            },
        )
        return plan_notices(event, ctx)

    def _send(self, notice: Notice) -> str:
        """Template-based providers get the registered template and its parameters, others the text."""
        if notice.template is not None and isinstance(self.sender, TemplateSmsSender):
            return self.sender.send_template(notice.to, notice.template)
        return self.sender.send(notice.to, notice.body)

    def handle(self, event: TimelineEvent) -> int:
        """Send every notice the event causes that was not sent before. Returns how many were sent."""
        sent = 0
        failures: list[str] = []
        for notice in self.notices_for(event):
            if self.outbox.claim(notice, self.clock()) == OutboxStatus.SENT:
                metrics.add_metric(name=Metric.SMS_DUPLICATES_SUPPRESSED, unit="Count", value=1)
                continue
            try:
                message_id = self._send(notice)
            except SmsError as exc:
                self.outbox.finish(notice, OutboxStatus.FAILED, self.clock(), None, str(exc))
                failures.append(f"{notice.kind}: {exc}")
                metrics.add_metric(name=Metric.SMS_FAILURES, unit="Count", value=1)
                continue
            self.outbox.finish(notice, OutboxStatus.SENT, self.clock(), message_id, None)
            sent += 1
            metrics.add_metric(name=Metric.SMS_SENT, unit="Count", value=1)
            metrics.add_metric(name=Metric.SMS_SEGMENTS, unit="Count", value=notice.segments)
            logger.info(
                "sms sent",
                extra={
                    "case_id": notice.case_id,
                    "kind": notice.kind,
                    "to": mask_phone(notice.to),
                    "event": notice.event_type,
                },
            )
        if failures:
            raise NoticeFailed("; ".join(failures))
        return sent
