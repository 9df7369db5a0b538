"""Case actions by units, dispatchers, supervisors and the rating citizen.

Each action: load the case, ask the policy whether the actor may act on it, apply one lifecycle
rule, save it with its events in one conditional transaction (retrying if another writer won), then
complete the workflow's parked task if the transition finished the phase it waits in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from minyi import policy
from minyi.domain import lifecycle
from minyi.domain.accounts import Account
from minyi.domain.deadlines import DeadlineClock, after_working_hours
from minyi.domain.errors import ConcurrentUpdate, InvalidInput, NotFound
from minyi.domain.lifecycle import RatingPolicy, Transition
from minyi.domain.messages import message
from minyi.domain.metrics import Metric
from minyi.domain.models import (
    DISPATCH_QUEUE,
    SUPERVISION_OFFICE_ID,
    TERMINAL_STATUSES,
    Actor,
    Case,
    CaseStatus,
    Catalog,
    EventType,
    Language,
    Role,
    Unit,
)
from minyi.observability import logger, metrics
from minyi.policy import Action
from minyi.ports import (
    AttachmentStore,
    CaseRepository,
    Clock,
    OutboxRepository,
    UploadRepository,
    UserDirectory,
    Workflow,
)
from minyi.services.catalog import CatalogCache
from minyi.services.evidence import media_links, seal_uploads
from minyi.services.results import CaseDetail, CasePage, CaseTimeline, Scorecard


def signal_workflow(workflow: Workflow, before: Case, after: Case) -> None:
    """If the workflow was parked on `before` and `after` ends that wait, complete its task."""
    wait = before.wait
    if wait is None:
        return
    outcome = lifecycle.workflow_outcome(after, wait.phase, wait.round, wait.due_at)
    if outcome is not None:
        workflow.signal(wait.token, {"outcome": outcome})


def units_by_id(catalog: Catalog) -> dict[str, Unit]:
    """The catalogue's units (the timeline texts name them in the reader's language)."""
    return dict(catalog.units)


#: How often a load-decide-save is retried when another writer changed the case in between.
MAX_ATTEMPTS = 4


class CaseStore:
    """Load-decide-save with optimistic locking, and the workflow signal that follows a save."""

    def __init__(self, cases: CaseRepository, catalog: CatalogCache, workflow: Workflow, clock: Clock):
        self.cases = cases
        self.catalog = catalog
        self.workflow = workflow
        self.clock = clock

    def load(self, case_id: str) -> Case:
        case = self.cases.get_case(case_id)
        if case is None:
            raise NotFound("error.no_such_case")
        return case

    def apply(
        self,
        case_id: str,
        decide: Callable[[Case, datetime], Transition],
        claim_uploads: Sequence[str] = (),
        loaded: Case | None = None,
    ) -> Case:
        """Load, decide, save (with the claim on each named upload) and signal; retried on conflicts.

        `loaded`: the case as the caller has just read it, decided on in the first attempt instead of
        reading it again. The save is conditional on the case's version, so a copy that went stale
        meanwhile fails it and the next attempt reads the case anew."""
        for attempt in range(MAX_ATTEMPTS):
            case = loaded if attempt == 0 and loaded is not None and loaded.id == case_id else self.load(case_id)
            transition = decide(case, self.clock())
            try:
                after = self.cases.save(transition, claim_uploads=claim_uploads)
            except ConcurrentUpdate:
                continue
            self.signal_workflow(case, after)
            return after
        raise ConcurrentUpdate("error.concurrent.case_kept_changing")

    def save(self, transition: Transition) -> Case:
        """Save one already-decided transition (no retry) and signal the workflow."""
        after = self.cases.save(transition)
        self.signal_workflow(transition.before, after)
        return after

    def signal_workflow(self, before: Case, after: Case) -> None:
        signal_workflow(self.workflow, before, after)


@dataclass(frozen=True)
class HandlingRules:
    """The deployment's knobs for how cases are handled."""

    rating_policy: RatingPolicy = field(default_factory=RatingPolicy)
    #: Extensions a unit may ask for in one handling round.
    max_extensions_per_round: int = 1
    #: Office hours the dispatch centre has to pick a unit for a queued or returned case.
    dispatch_deadline_hours: float = 2.0


class CaseService:
    def __init__(
        self,
        store: CaseStore,
        outbox: OutboxRepository,
        attachments: AttachmentStore,
        uploads: UploadRepository,
        deadlines: DeadlineClock,
        rules: HandlingRules,
        download_ttl: int,
        directory: UserDirectory | None = None,
    ):
        #: The staff pool: who a unit may give a case to (read only when a case is assigned).
        self.directory = directory
        self.store = store
        self.outbox = outbox
        self.attachments = attachments
        self.uploads = uploads
        self.deadlines = deadlines
        self.rules = rules
        self.download_ttl = download_ttl

    @property
    def catalog(self) -> Catalog:
        return self.store.catalog.get()

    def detail(self, case: Case, with_outbox: bool = False, citizen_phone: str | None = None) -> CaseDetail:
        """What an action or a read answers. Action answers never carry the full phone number."""
        unit = self.catalog.units.get(case.unit_id) if case.unit_id else None
        outbox = self.outbox.entries(case.id) if with_outbox else []
        return CaseDetail(case=case, unit=unit, outbox=outbox, citizen_phone=citizen_phone)

    def _act(
        self,
        actor: Actor,
        action: Action,
        case_id: str,
        decide: Callable[[Case, datetime], Transition],
        claim_uploads: Sequence[str] = (),
    ) -> Case:
        policy.require(actor, action)

        def authorised(case: Case, now: datetime) -> Transition:
            policy.require_case(actor, action, case)
            return decide(case, now)

        try:
            return self.store.apply(case_id, authorised, claim_uploads)
        except NotFound:
            # a case that does not exist gets the policy's answer for it, word for word the answer for
            # a case the actor may not know (another citizen's): ids cannot be probed by the message
            policy.require_case(actor, action, None)
            raise

    # --- reading -------------------------------------------------------------------------------

    def staff_case(self, actor: Actor, case_id: str, reveal_phone: bool = False) -> CaseDetail:
        """The case as staff see it, with links to the citizen's media (each such read is recorded in
        the staff timeline). The full phone number only for the unit holding the open case, or for a
        supervisor who asks for it (`reveal_phone`, recorded too)."""
        policy.require(actor, Action.READ_CASE)
        if reveal_phone:
            policy.require(actor, Action.REVEAL_PHONE)
            case = self._act(actor, Action.READ_CASE, case_id, lambda c, now: lifecycle.reveal_phone(c, actor, now))
            phone: str | None = case.phone
        else:
            case = policy.require_case(actor, Action.READ_CASE, self.store.cases.get_case(case_id))
            phone = case.phone if policy.sees_full_phone(actor, case) else None
        urls: dict[str, str] = {}
        if case.attachments:
            case = self._act(actor, Action.READ_CASE, case.id, lambda c, now: lifecycle.media_viewed(c, actor, now))
            urls = media_links(self.attachments, case, self.download_ttl)
        unit = self.catalog.units.get(case.unit_id) if case.unit_id else None
        outbox = self.outbox.entries(case.id)
        return CaseDetail(case=case, unit=unit, download_urls=urls, outbox=outbox, citizen_phone=phone)

    def staff_timeline(self, actor: Actor, case_id: str) -> CaseTimeline:
        """Every event with its internal note (return reasons, extension reasons, decisions, reveals)."""
        case = policy.require_case(actor, Action.READ_CASE, self.store.cases.get_case(case_id))
        catalog = self.catalog
        return CaseTimeline(
            case=case,
            events=self.store.cases.timeline(case.id),
            units=units_by_id(catalog),
            outbox=self.outbox.entries(case.id),
            districts=dict(catalog.districts),
        )

    def add_note(self, actor: Actor, case_id: str, text: str) -> CaseTimeline:
        """An internal note on the staff timeline (never in the citizen's or the public view)."""
        self._act(actor, Action.ADD_NOTE, case_id, lambda c, now: lifecycle.add_note(c, text, actor, now))
        return self.staff_timeline(actor, case_id)

    def inbox(
        self,
        actor: Actor,
        unit_id: str,
        status: CaseStatus | None,
        limit: int,
        cursor: str | None,
        mine: bool = False,
        assisting: bool = False,
    ) -> CasePage:
        """A unit's open cases (urgent first, then by deadline); `mine`: only those given to the caller;
        `assisting`: the open cases other units asked it to help on (协办)."""
        policy.require_unit(actor, Action.LIST_UNIT, unit_id)
        if unit_id != DISPATCH_QUEUE and unit_id not in self.catalog.units:
            raise NotFound("error.no_such_unit")
        if assisting:
            if status is not None or mine:
                raise InvalidInput("assist", "error.assist_list_filters")
            cases, next_cursor = self.store.cases.list_assisting(unit_id, limit, cursor)
        elif status in TERMINAL_STATUSES:
            if mine:
                raise InvalidInput("assignee", "error.assignee_only_open")
            cases, next_cursor = self.store.cases.list_unit_history(unit_id, status, limit, cursor)
        else:
            assignee = actor.id if mine else None
            cases, next_cursor = self.store.cases.list_unit_cases(unit_id, status, limit, cursor, assignee=assignee)
        return CasePage(cases, next_cursor)

    def unit_staff(self, actor: Actor, unit_id: str) -> list[Account]:
        """The unit's enabled staff accounts: whom a case may be given to (the assignee picker)."""
        policy.require_unit(actor, Action.LIST_UNIT, unit_id)
        if unit_id not in self.catalog.units:
            raise NotFound("error.no_such_unit")
        if self.directory is None:
            return []
        return [a for a in self.directory.accounts([Role.STAFF]) if a.unit_id == unit_id and a.enabled]

    def assign(self, actor: Actor, case_id: str, username: str) -> CaseDetail:
        """Give the case to one of the holding unit's people: `username` must be an enabled staff account
        of that unit in the staff pool (one directory read, only when assigning)."""
        policy.require(actor, Action.ASSIGN)
        account = self.directory.get(username) if self.directory is not None else None

        def decide(case: Case, now: datetime) -> Transition:
            if (
                account is None
                or not account.enabled
                or account.role != Role.STAFF
                or account.unit_id is None
                or account.unit_id != case.unit_id
            ):
                raise InvalidInput("username", "error.not_staff_of_unit")
            return lifecycle.assign(case, account.username, actor, now, account.name)

        return self.detail(self._act(actor, Action.ASSIGN, case_id, decide))

    def request_assist(self, actor: Actor, case_id: str, unit_ids: Sequence[str], note: str) -> CaseDetail:
        """协办: ask other units to help (the dispatch centre, or the unit holding the case)."""
        policy.require(actor, Action.ASSIST)
        units = self.catalog.units
        for unit_id in unit_ids:
            if unit_id not in units or unit_id in {DISPATCH_QUEUE, SUPERVISION_OFFICE_ID}:
                raise InvalidInput("units", "error.unknown_unit_named", unit_id=unit_id)
        case = self._act(
            actor,
            Action.ASSIST,
            case_id,
            lambda c, now: lifecycle.request_assist(c, unit_ids, note, actor, now),
        )
        return self.detail(case)

    def units(self, actor: Actor, district: str | None, topic: str | None) -> list[Unit]:
        """The unit directory dispatchers and supervisors pick from (the queues themselves excluded)."""
        policy.require(actor, Action.UNIT_DIRECTORY)
        return [
            u
            for u in self.catalog.units.values()
            if u.id not in {DISPATCH_QUEUE, SUPERVISION_OFFICE_ID}
            and (district is None or u.district == district)
            and (topic is None or topic in u.topics)
        ]

    def supervision(self, actor: Actor, limit: int, cursor: str | None) -> CasePage:
        policy.require(actor, Action.SUPERVISION)
        cases, next_cursor = self.store.cases.list_supervision(limit, cursor)
        return CasePage(cases, next_cursor)

    # --- unit actions --------------------------------------------------------------------------

    def accept(self, actor: Actor, case_id: str) -> CaseDetail:
        case = self._act(actor, Action.ACCEPT, case_id, lambda c, now: lifecycle.accept(c, actor, now))
        return self.detail(case)

    def reply(self, actor: Actor, case_id: str, message: str, upload_ids: Sequence[str] = ()) -> CaseDetail:
        """Answer the citizen, with files the unit uploaded (sealed and checked like the citizen's)."""
        policy.require(actor, Action.REPLY)
        if len(set(upload_ids)) != len(upload_ids):
            raise InvalidInput("attachments", "error.upload_named_twice")
        files = seal_uploads(self.uploads, self.attachments, actor, upload_ids)
        case = self._act(
            actor,
            Action.REPLY,
            case_id,
            lambda c, now: lifecycle.reply(c, message, actor, now, files),
            claim_uploads=upload_ids,
        )
        metrics.add_metric(name=Metric.CASES_REPLIED, unit="Count", value=1)
        return self.detail(case)

    def return_case(self, actor: Actor, case_id: str, reason: str) -> CaseDetail:
        case = self._act(
            actor,
            Action.RETURN,
            case_id,
            lambda c, now: lifecycle.return_to_dispatch(c, reason, actor, now, self.dispatch_due(now)),
        )
        metrics.add_metric(name=Metric.CASES_RETURNED, unit="Count", value=1)
        return self.detail(case)

    def dispatch_due(self, now: datetime) -> datetime:
        return after_working_hours(self.deadlines, now, self.rules.dispatch_deadline_hours)

    def dispatch(
        self, actor: Actor, case_id: str, unit_id: str, reason: str | None = None, urgent: bool = False
    ) -> CaseDetail:
        """Send a queued or returned case to a unit; or transfer (改派) one a unit holds, with a reason
        and a fresh deadline (both units are told). `urgent` (紧急): the deadline is the catalogue's
        `urgent_hours` working hours, and the unit's duty phone is texted that it is urgent."""
        policy.require(actor, Action.DISPATCH)
        catalog = self.catalog
        unit = catalog.units.get(unit_id)
        if unit is None or unit_id in {DISPATCH_QUEUE, SUPERVISION_OFFICE_ID}:
            raise InvalidInput("unit_id", "error.unknown_unit")

        def decide(case: Case, now: datetime) -> Transition:
            due = self.deadlines.unit_due(case, catalog, now, urgent)
            if case.status in {CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS}:
                if not reason:
                    raise InvalidInput("reason", "error.transfer_needs_reason")
                return lifecycle.transfer(case, unit_id, due, reason, actor, now, urgent=urgent)
            note = reason or message("note.dispatched", unit=unit_id)
            return lifecycle.dispatch(case, unit_id, due, actor, now, note, urgent=urgent)

        return self.detail(self._act(actor, Action.DISPATCH, case_id, decide))

    def correct_classification(
        self, actor: Actor, case_id: str, topic: str | None, district: str | None, reason: str
    ) -> CaseDetail:
        """Correct an open case's topic and/or district (codes from the catalogue), with a reason. The
        case stays where it is (lifecycle.correct_classification says why): a queued case is then
        dispatched with the new suggestions, a held one transferred with `dispatch` if need be."""
        policy.require(actor, Action.RECLASSIFY)
        catalog = self.catalog
        if topic is None and district is None:
            raise InvalidInput("topic", "error.correction_needs_topic_or_district")
        if topic is not None and topic not in catalog.topics:
            raise InvalidInput("topic", "error.unknown_topic")
        if district is not None and district not in catalog.districts:
            raise InvalidInput("district", "error.unknown_district")

        def decide(case: Case, now: datetime) -> Transition:
            new_topic, new_district = topic or case.topic, district or case.district
            labels: dict[Language, str] = {
                language: " · ".join(
                    names.get(code, {}).get(language, code)
                    for names, code in ((catalog.topics, new_topic), (catalog.districts, new_district))
                )
                for language in ("zh", "en")
            }
            return lifecycle.correct_classification(case, new_topic, new_district, labels, reason, actor, now)

        return self.detail(self._act(actor, Action.RECLASSIFY, case_id, decide))

    def request_extension(self, actor: Actor, case_id: str, days: int, reason: str) -> CaseDetail:
        case = self._act(
            actor,
            Action.REQUEST_EXTENSION,
            case_id,
            lambda c, now: lifecycle.request_extension(
                c, days, reason, actor, now, self.rules.max_extensions_per_round
            ),
        )
        return self.detail(case)

    def decide_extension(self, actor: Actor, case_id: str, approve: bool, note: str | None) -> CaseDetail:
        def decide(case: Case, now: datetime) -> Transition:
            new_due = None
            if approve and case.extension is not None and case.due_at is not None:
                new_due = self.deadlines.due_at(max(now, case.due_at), case.extension.days)
            return lifecycle.decide_extension(case, approve, new_due, actor, now, note)

        return self.detail(self._act(actor, Action.DECIDE_EXTENSION, case_id, decide))

    def instruct(self, actor: Actor, case_id: str, instructions: str, due_in_days: int) -> CaseDetail:
        """A supervisor's instructions and deadline to the unit (the unit is told by SMS)."""

        def decide(case: Case, now: datetime) -> Transition:
            return lifecycle.instruct(case, instructions, self.deadlines.due_at(now, due_in_days), actor, now)

        return self.detail(self._act(actor, Action.INSTRUCT, case_id, decide))

    # --- 并单 ------------------------------------------------------------------------------------

    def merge(self, actor: Actor, case_id: str, into: str, reason: str) -> CaseDetail:
        """并单: the case reports the same problem as the open case numbered `into`, which is handled once;
        the case's reporter follows that one from now on. Both cases and their events in one transaction."""
        policy.require(actor, Action.MERGE)
        cases = self.store.cases
        for _ in range(MAX_ATTEMPTS):
            case = policy.require_case(actor, Action.MERGE, cases.get_case(case_id))
            entry = cases.tracking(into.upper())
            kept = cases.get_case(entry.case_id) if entry is not None else None
            if kept is None:
                raise InvalidInput("into", "error.merge_into_unknown")
            merged, keeping = lifecycle.merge(case, kept, reason, actor, self.store.clock())
            try:
                after, _ = cases.save_all([merged, keeping])
            except ConcurrentUpdate:
                continue
            self.store.signal_workflow(case, after)
            metrics.add_metric(name=Metric.CASES_MERGED, unit="Count", value=1)
            return self.detail(after)
        raise ConcurrentUpdate("error.concurrent.case_kept_changing")

    def unmerge(self, actor: Actor, case_id: str, reason: str) -> CaseDetail:
        """A supervisor undoes a merge: the case is routed again by a new workflow execution (started here;
        the sweep starts it if this start fails), and its reporters stop following the kept case."""
        policy.require(actor, Action.UNMERGE)
        cases = self.store.cases
        for _ in range(MAX_ATTEMPTS):
            case = policy.require_case(actor, Action.UNMERGE, cases.get_case(case_id))
            kept = cases.get_case(case.merged_into_case) if case.merged_into_case else None
            undone, leaving = lifecycle.unmerge(case, kept, reason, actor, self.store.clock())
            try:
                after = cases.save_all([undone, *([leaving] if leaving is not None else [])])[0]
            except ConcurrentUpdate:
                continue
            try:
                self.store.workflow.start(after.id, after.execution_name)
            except Exception:
                logger.exception("workflow start failed; the sweep will start it", extra={"case_id": after.id})
                metrics.add_metric(name=Metric.WORKFLOW_START_FAILURES, unit="Count", value=1)
            return self.detail(after)
        raise ConcurrentUpdate("error.concurrent.case_kept_changing")

    # --- citizen rating ------------------------------------------------------------------------

    def rate(self, actor: Actor, case_id: str, card: Scorecard) -> CaseDetail:
        """Rate a reply as the case's citizen or one of its other reporters. A merged case's citizen rates
        the kept case's answer through their own case (并单: theirs was merged into it)."""
        policy.require(actor, Action.RATE)
        own = self.store.cases.get_case(case_id)
        if own is not None and own.status == CaseStatus.MERGED and own.merged_into_case:
            policy.require_case(actor, Action.RATE, own)
            self.rate_proven(actor, own.merged_into_case, card)
            return self.detail(self.store.load(case_id))  # their own case: never the kept case's citizen's
        policy.require_case(actor, Action.RATE, own)
        return self.rate_proven(actor, case_id, card)

    def rate_proven(self, rater: Actor, case_id: str, card: Scorecard) -> CaseDetail:
        """A rating by someone whose right to rate was proven before: the case's owner (the policy), a
        merged case's owner, or whoever holds the SMS code of the case or of one of its reporters. The
        lifecycle takes it from the case's citizen or one of its reporters only (else 404)."""
        actor = rater
        decided: list[Transition] = []

        def decide(case: Case, now: datetime) -> Transition:
            redo_due = self.deadlines.unit_due(case, self.catalog, now)
            decided[:] = [
                lifecycle.rate(case, card.scores(), card.comment, actor, now, self.rules.rating_policy, redo_due)
            ]
            return decided[0]

        case = self.store.apply(case_id, decide)
        latest = case.ratings[-1]
        happened = {e.type for e in decided[0].events}
        metrics.add_metric(name=Metric.CASES_RATED, unit="Count", value=1)
        if EventType.CLOSED in happened:
            metrics.add_metric(name=Metric.CASES_CLOSED, unit="Count", value=1)
        if EventType.REOPENED in happened:
            metrics.add_metric(name=Metric.ROLLBACKS, unit="Count", value=1)
        elif EventType.SUPERVISED in happened:
            metrics.add_metric(name=Metric.SUPERVISIONS, unit="Count", value=1)
        logger.info(
            "case rated", extra={"case_id": case.id, "satisfied": latest.satisfied, "status": case.status.value}
        )
        return self.detail(case)
