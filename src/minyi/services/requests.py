"""Citizen-facing use cases: submit, follow and attach. Orchestrates domain rules and ports."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from minyi import policy
from minyi.domain import lifecycle
from minyi.domain.errors import CatalogEmpty, ConcurrentUpdate, InvalidInput, NotFound, TooManyAttempts
from minyi.domain.lifecycle import Transition
from minyi.domain.media import ALLOWED_MEDIA, MB
from minyi.domain.metrics import Metric
from minyi.domain.models import Actor, Case, CaseStatus, Catalog, Channel, Role, Upload
from minyi.domain.phone import DEFAULT_SMS_COUNTRIES, country_code, last4, normalise_phone
from minyi.domain.privacy import may_publish_description
from minyi.observability import logger, metrics
from minyi.policy import Action
from minyi.ports import AttachmentStore, CaseRepository, Clock, TrackingLockouts, UploadRepository, Workflow
from minyi.services.cases import signal_workflow, units_by_id
from minyi.services.catalog import CatalogCache
from minyi.services.evidence import media_links, seal_uploads
from minyi.services.results import CaseDetail, CasePage, CaseTimeline, NewRequest, PresignedUpload, PublicCase

#: An upload that no case claimed is forgotten after this long (the item's TTL).
UPLOAD_RECORD_LIFETIME = timedelta(days=7)
#: Public tracking locks a tracking number after this many wrong guesses within the window.
TRACKING_MAX_FAILURES = 5
TRACKING_LOCKOUT_WINDOW = timedelta(minutes=15)
#: Attempts at allocating a case when a tracking number collides or an upload is claimed meanwhile.
CREATE_ATTEMPTS = 3

_TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L


def caller_id(phone: str) -> str:
    """Whom a hotline case belongs to: the caller's number, hashed (ids end up in index keys)."""
    return "caller-" + hashlib.sha256(phone.encode()).hexdigest()[:24]


def new_tracking_no(now: datetime) -> str:
    """Short and readable over the phone: `SZ2611-7KQ3MX` (year+month, six unambiguous characters)."""
    return f"SZ{now:%y%m}-" + "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))


class RequestService:
    def __init__(
        self,
        cases: CaseRepository,
        uploads: UploadRepository,
        catalog: CatalogCache,
        store: AttachmentStore,
        workflow: Workflow,
        lockouts: TrackingLockouts,
        clock: Clock,
        upload_ttl: int,
        download_ttl: int,
        sms_countries: frozenset[str] = DEFAULT_SMS_COUNTRIES,
    ):
        self.cases = cases
        self.uploads = uploads
        self.catalog = catalog
        self.store = store
        self.workflow = workflow
        self.lockouts = lockouts
        self.clock = clock
        self.upload_ttl = upload_ttl
        self.download_ttl = download_ttl
        self.sms_countries = sms_countries

    # --- submit --------------------------------------------------------------------------------

    def submit(self, citizen: Actor, request: NewRequest) -> Case:
        """File a request. A hotline operator (坐席) files on behalf of a caller: the case belongs to
        the caller's number, who follows it by public tracking and rates from the SMS link."""
        policy.require(citizen, Action.SUBMIT)
        catalog = self.catalog.get()
        if not catalog.topics:
            raise CatalogEmpty("no catalogue is loaded yet; an administrator must import one (minyi catalog import)")
        submitter = citizen
        owner_id = citizen.id
        if citizen.role == Role.OPERATOR and request.channel != Channel.HOTLINE:
            raise InvalidInput("channel", "an operator files hotline calls: use channel 'hotline'")
        public = may_publish_description(request.channel, request.public)  # never a hotline call
        request = request.model_copy(update={"phone": self.notice_phone(citizen, request), "public": public})
        if citizen.role == Role.OPERATOR:
            owner_id = caller_id(request.phone)
        if (
            request.location is not None
            and catalog.bounds is not None
            and not catalog.bounds.contains(request.location)
        ):
            raise InvalidInput("location", "outside the city; leave it out or pick a place in the city")
        if request.topic not in catalog.topics:
            raise InvalidInput("topic", "unknown topic; see GET /v1/catalog")
        if request.district not in catalog.districts:
            raise InvalidInput("district", "unknown district; see GET /v1/catalog")
        if len(set(request.attachments)) != len(request.attachments):
            raise InvalidInput("attachments", "the same upload is named twice")
        for attempt in range(CREATE_ATTEMPTS):
            attachments = seal_uploads(self.uploads, self.store, citizen, request.attachments)
            now = self.clock()
            case = Case(
                id=uuid.uuid4().hex,
                tracking_no=new_tracking_no(now),
                citizen_id=owner_id,
                status=CaseStatus.SUBMITTED,
                created_at=now,
                updated_at=now,
                attachments=attachments,
                **request.model_dump(exclude={"attachments"}),
            )
            transition = lifecycle.submitted(case, now, by=submitter)
            try:
                self.cases.create_case(transition, last4(case.phone), request.attachments)
                break
            except ConcurrentUpdate:
                # A tracking-number collision or an upload claimed at the same moment: check again.
                logger.warning("case create conflict, retrying", extra={"attempt": attempt})
        else:
            raise ConcurrentUpdate("could not allocate a case")
        metrics.add_metric(name=Metric.CASES_SUBMITTED, unit="Count", value=1)
        logger.info("case submitted", extra={"case_id": case.id, "category": case.category.value})
        try:
            self.workflow.start(case.id)
        except Exception:
            # The case is saved; the escalation sweep starts workflows that never started (after a
            # short grace). Failing here would make an idempotent retry create a second case.
            logger.exception("workflow start failed; the sweep will start it", extra={"case_id": case.id})
            metrics.add_metric(name=Metric.WORKFLOW_START_FAILURES, unit="Count", value=1)
        return transition.after

    def notice_phone(self, citizen: Actor, request: NewRequest) -> str:
        """Where the citizen's notices go. A citizen's: the account's verified number (the body's `phone`
        may repeat it, nothing else); a hotline operator's: the caller's number from the body. Either
        must be a mobile of a country we text (mainland China unless the deployment widens it)."""
        if request.channel == Channel.OPEN311:
            return request.phone  # GeoReport keeps only a mainland mobile, or none (no citizen SMS)
        if citizen.role == Role.CITIZEN:
            if not citizen.phone:
                raise InvalidInput("phone", "the account has no verified mobile number; sign in with your mobile")
            try:
                verified = normalise_phone(citizen.phone)
            except ValueError as exc:
                raise InvalidInput("phone", "the account's mobile number cannot receive SMS") from exc
            if request.phone and request.phone != verified:
                raise InvalidInput("phone", "must be the account's verified mobile number (or leave it out)")
            phone = verified
        else:
            if not request.phone:
                raise InvalidInput("phone", "required: the caller's mobile number")
            phone = request.phone
        if country_code(phone) not in self.sms_countries:
            codes = ", ".join(f"+{c}" for c in sorted(self.sms_countries))
            raise InvalidInput("phone", f"we can text only mobile numbers of {codes}")
        return phone

    # --- uploads -------------------------------------------------------------------------------

    def new_upload(self, citizen: Actor, content_type: str, size: int) -> PresignedUpload:
        policy.require(citizen, Action.UPLOAD)
        media = ALLOWED_MEDIA.get(content_type)
        if media is None:
            raise InvalidInput("content_type", f"not an allowed type; use one of {', '.join(sorted(ALLOWED_MEDIA))}")
        if size > media.max_size:
            raise InvalidInput("size", f"{media.kind.value} files may be at most {media.max_size // MB} MB")
        upload_id = uuid.uuid4().hex
        key = f"uploads/{citizen.id}/{upload_id}"
        post = self.store.presign_upload(key, content_type, size, self.upload_ttl)
        now = self.clock()
        upload = Upload(
            upload_id=upload_id,
            owner_id=citizen.id,
            key=key,
            content_type=content_type,
            size=size,
            created_at=now,
            expires_at=int((now + UPLOAD_RECORD_LIFETIME).timestamp()),
        )
        self.uploads.put(upload)
        return PresignedUpload(upload=upload, url=post["url"], fields=post["fields"], expires_in=self.upload_ttl)

    # --- follow --------------------------------------------------------------------------------

    def _own_case(self, citizen: Actor, case_id: str) -> Case:
        # never reveal that another citizen's case exists
        return self._own(citizen, Action.READ_OWN, case_id)

    def own_case(self, citizen: Actor, case_id: str) -> CaseDetail:
        return self._detail(self._own_case(citizen, case_id))

    def withdraw(self, citizen: Actor, case_id: str, reason: str | None) -> CaseDetail:
        """The citizen withdraws until the unit has answered: the workflow ends, the unit is told."""
        case = self._change(
            citizen, Action.WITHDRAW, case_id, lambda c, now: lifecycle.withdraw(c, reason, citizen, now)
        )
        metrics.add_metric(name=Metric.CASES_WITHDRAWN, unit="Count", value=1)
        return self._detail(case)

    def supplement(self, citizen: Actor, case_id: str, text: str, upload_ids: list[str]) -> CaseDetail:
        """The citizen adds text (and media) to an open case; the unit sees it at once and is texted."""
        if len(set(upload_ids)) != len(upload_ids):
            raise InvalidInput("attachments", "the same upload is named twice")
        policy.require(citizen, Action.SUPPLEMENT)
        for _ in range(CREATE_ATTEMPTS):
            case = self._own(citizen, Action.SUPPLEMENT, case_id, consistent=True)
            attachments = seal_uploads(self.uploads, self.store, citizen, upload_ids)
            transition = lifecycle.supplement(case, text, attachments, citizen, self.clock())
            try:
                after = self.cases.save(transition, claim_uploads=upload_ids)
            except ConcurrentUpdate:
                continue
            self._signal(case, after)
            return self._detail(after)
        raise ConcurrentUpdate("the case kept changing")

    def _change(
        self, citizen: Actor, action: Action, case_id: str, decide: Callable[[Case, datetime], Transition]
    ) -> Case:
        for _ in range(CREATE_ATTEMPTS):
            case = self._own(citizen, action, case_id, consistent=True)
            try:
                after = self.cases.save(decide(case, self.clock()))
            except ConcurrentUpdate:
                continue
            self._signal(case, after)
            return after
        raise ConcurrentUpdate("the case kept changing")

    def _signal(self, before: Case, after: Case) -> None:
        signal_workflow(self.workflow, before, after)

    def _own(self, citizen: Actor, action: Action, case_id: str, consistent: bool = False) -> Case:
        return policy.require_case(citizen, action, self.cases.get_case(case_id, consistent=consistent))

    def _detail(self, case: Case) -> CaseDetail:
        units = self.catalog.get().units
        return CaseDetail(
            case=case,
            unit=units.get(case.unit_id) if case.unit_id else None,
            download_urls=media_links(self.store, case, self.download_ttl),
        )

    def list_own(self, citizen: Actor, limit: int, cursor: str | None, status: CaseStatus | None = None) -> CasePage:
        policy.require(citizen, Action.READ_OWN)
        cases, next_cursor = self.cases.list_citizen_cases(citizen.id, limit, cursor, status)
        return CasePage(cases, next_cursor)

    def timeline(self, citizen: Actor, case_id: str) -> CaseTimeline:
        case = self._own_case(citizen, case_id)
        return CaseTimeline(case=case, events=self.cases.timeline(case_id), units=units_by_id(self.catalog.get()))

    def track(self, tracking_no: str, phone_last4: str) -> PublicCase:
        """Public tracking by number and the phone's last four digits.

        Wrong digits and unknown numbers give the same answer and both count towards the lockout of
        that tracking number, so neither the number's existence nor the digits can be brute-forced."""
        number = tracking_no.upper()
        now = self.clock()
        failures, until = self.lockouts.failures(number, now)
        if failures >= TRACKING_MAX_FAILURES and until is not None:
            raise self._locked(until, now)
        entry = self.cases.tracking(number)
        case = None
        if entry is not None and secrets.compare_digest(entry.phone_last4, phone_last4):
            case = self.cases.get_case(entry.case_id, consistent=False)
        if case is None:
            failures, until = self.lockouts.record_failure(number, now, TRACKING_LOCKOUT_WINDOW)
            if failures >= TRACKING_MAX_FAILURES:
                metrics.add_metric(name=Metric.TRACKING_LOCKOUTS, unit="Count", value=1)
                logger.warning("public tracking locked", extra={"tracking_no": number, "failures": failures})
                raise self._locked(until, now)
            raise NotFound("no request with this tracking number and phone")
        return PublicCase(case=case, events=self.cases.timeline(case.id), units=units_by_id(self.catalog.get()))

    @staticmethod
    def _locked(until: datetime, now: datetime) -> TooManyAttempts:
        retry_after = max(1, int((until - now).total_seconds()))
        return TooManyAttempts("too many wrong guesses for this tracking number; try again later", retry_after)

    def catalog_snapshot(self) -> Catalog:
        return self.catalog.get()
