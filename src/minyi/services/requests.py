"""Citizen-facing use cases: submit, follow and attach. Orchestrates domain rules and ports."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from minyi import policy
from minyi.domain import lifecycle
from minyi.domain.errors import (
    CatalogEmpty,
    ConcurrentUpdate,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    VerificationRequired,
)
from minyi.domain.geo import district_at
from minyi.domain.lifecycle import Transition
from minyi.domain.media import ALLOWED_MEDIA, MB
from minyi.domain.metrics import Metric
from minyi.domain.models import Actor, Case, CaseStatus, Catalog, Category, Channel, Reporter, ReporterVia, Role, Upload
from minyi.domain.phone import DEFAULT_SMS_COUNTRIES, caller_id, country_code, last4, normalise_phone
from minyi.domain.privacy import may_publish_description
from minyi.domain.rating_links import RatingLinks, is_code
from minyi.observability import logger, metrics
from minyi.policy import Action
from minyi.ports import (
    AttachmentStore,
    CaseRepository,
    Clock,
    GuessCharge,
    GuessScope,
    TrackingLockouts,
    UploadRepository,
    Workflow,
)
from minyi.services.cases import signal_workflow, units_by_id
from minyi.services.catalog import CatalogCache
from minyi.services.evidence import media_links, reply_links, seal_uploads
from minyi.services.guess_budgets import (
    RATING_CODE_BUDGET,
    RATING_CODE_LOCKED,
    TRACKING_CLIENT_BUDGET,
    TRACKING_NUMBER_BUDGET,
)
from minyi.services.intake import IntakeService
from minyi.services.results import CaseDetail, CasePage, CaseTimeline, NewRequest, PresignedUpload, PublicCase

#: An upload that no case claimed is forgotten after this long (the item's TTL).
UPLOAD_RECORD_LIFETIME = timedelta(days=7)
VERIFICATION_REQUIRED = "error.verification_required"
#: Attempts at allocating a case when a tracking number collides or an upload is claimed meanwhile.
CREATE_ATTEMPTS = 3

_TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L


def mask_address(address: str) -> str:
    """A client address fit for a log line (PIPL): an IPv4 address without its last octet, an IPv6
    address without its last 80 bits; anything else is not logged."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


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
        links: Callable[[], RatingLinks] | None = None,
        intake: IntakeService | None = None,
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
        #: The SMS rating links' signer, for tracking with their code; read when first needed (its
        #: secret costs a Secrets Manager call that no other route of the function needs).
        self.links = links
        #: Smart intake (issue 18): the suggestion each case records, and the topic of one filed without.
        self.intake = intake

    # --- submit --------------------------------------------------------------------------------

    def submit(self, citizen: Actor, request: NewRequest) -> Case:
        """File a request. A hotline operator (坐席) files on behalf of a caller: the case belongs to
        the caller's number, who follows it by public tracking and rates from the SMS link."""
        policy.require(citizen, Action.SUBMIT)
        catalog = self.catalog.get()
        if not catalog.topics:
            raise CatalogEmpty("error.catalog_empty")
        submitter = citizen
        owner_id = citizen.id
        if citizen.role == Role.OPERATOR and request.channel != Channel.HOTLINE:
            raise InvalidInput("channel", "error.operator_uses_hotline")
        intake = request.answered_at_intake
        if intake is not None:
            self._check_intake_answer(citizen, request, catalog)
        if request.urgent and citizen.role != Role.OPERATOR:
            raise InvalidInput("urgent", "error.urgent_by_operator_only")
        public = may_publish_description(request.channel, request.public)  # never a hotline call
        request = request.model_copy(update={"phone": self.notice_phone(citizen, request), "public": public})
        if citizen.role == Role.OPERATOR:
            owner_id = caller_id(request.phone)
        if (
            request.location is not None
            and catalog.bounds is not None
            and not catalog.bounds.contains(request.location)
        ):
            raise InvalidInput("location", "error.outside_city")
        if request.topic is not None and request.topic not in catalog.topics:
            raise InvalidInput("topic", "error.unknown_topic")
        if request.district is not None and request.district not in catalog.districts:
            raise InvalidInput("district", "error.unknown_district")
        suggestion = None
        if self.intake is not None:
            # issue 18: what smart intake suggests is recorded with every case; a topic left out is the
            # model's when it is sure enough, else the dispatch centre's to choose
            sorted_ = self.intake.classify(request.description, request.topic, request.district, request.location)
            request = request.model_copy(update={"topic": sorted_.topic, "district": sorted_.district})
            suggestion = sorted_.suggestion
        elif request.topic is None:
            raise InvalidInput("topic", "error.topic_required")
        if request.district is None:
            raise InvalidInput("district", "error.district_required")
        if len(set(request.attachments)) != len(request.attachments):
            raise InvalidInput("attachments", "error.upload_named_twice")
        # the district the location lies in, by the catalogue's areas (None: no location, no areas, or a
        # point no single area holds): recorded when it differs from the chosen one
        position_district = (
            district_at(request.location.lat, request.location.lon, catalog.district_areas)
            if request.location is not None and catalog.district_areas
            else None
        )
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
                suggestion=suggestion,
                **request.model_dump(exclude={"attachments", "answered_at_intake"}),
            )
            transition = lifecycle.submitted(case, now, by=submitter, position_district=position_district)
            if intake is not None:
                transition = lifecycle.answer_at_intake(transition, intake.answer, intake.knowledge_id, citizen, now)
            try:
                self.cases.create_case(transition, last4(case.phone), request.attachments)
                break
            except ConcurrentUpdate:
                # A tracking-number collision or an upload claimed at the same moment: check again.
                logger.warning("case create conflict, retrying", extra={"attempt": attempt})
        else:
            raise ConcurrentUpdate("error.concurrent.no_case_number")
        metrics.add_metric(name=Metric.CASES_SUBMITTED, unit="Count", value=1)
        logger.info("case submitted", extra={"case_id": case.id, "category": case.category.value})
        if intake is not None:
            # 直接办结: closed at once; no workflow (nothing to dispatch, no deadline, no rating window to run)
            metrics.add_metric(name=Metric.ANSWERED_AT_INTAKE, unit="Count", value=1)
            return transition.after
        try:
            self.workflow.start(case.id)
        except Exception:
            # The case is saved; the escalation sweep starts workflows that never started (after a
            # short grace). Failing here would make an idempotent retry create a second case.
            logger.exception("workflow start failed; the sweep will start it", extra={"case_id": case.id})
            metrics.add_metric(name=Metric.WORKFLOW_START_FAILURES, unit="Count", value=1)
        return transition.after

    @staticmethod
    def _check_intake_answer(citizen: Actor, request: NewRequest, catalog: Catalog) -> None:
        """直接办结 is for a hotline operator answering a consultation; a knowledge id must exist."""
        intake = request.answered_at_intake
        assert intake is not None
        if citizen.role not in (Role.OPERATOR, Role.ADMIN):
            raise Forbidden("error.operator_answers_at_intake")
        if request.channel != Channel.HOTLINE:
            raise InvalidInput("channel", "error.intake_answer_on_hotline")
        if request.category != Category.CONSULTATION:
            raise InvalidInput(
                "answered_at_intake",
                "error.intake_answer_for_consultation",
            )
        if intake.knowledge_id is not None and intake.knowledge_id not in {k.id for k in catalog.knowledge}:
            raise InvalidInput("answered_at_intake.knowledge_id", "error.unknown_knowledge")

    def notice_phone(self, citizen: Actor, request: NewRequest) -> str:
        """Where the citizen's notices go. A citizen's: the account's verified number (the body's `phone`
        may repeat it, nothing else); a hotline operator's: the caller's number from the body. Either
        must be a mobile of a country we text (mainland China unless the deployment widens it)."""
        if request.channel == Channel.OPEN311:
            return request.phone  # GeoReport keeps only a mainland mobile, or none (no citizen SMS)
        if citizen.role == Role.CITIZEN:
            if not citizen.phone:
                raise InvalidInput("phone", "error.account_has_no_mobile")
            try:
                verified = normalise_phone(citizen.phone)
            except ValueError as exc:
                raise InvalidInput("phone", "error.account_mobile_cannot_sms") from exc
            if request.phone and request.phone != verified:
                raise InvalidInput("phone", "error.phone_must_be_verified")
            phone = verified
        else:
            if not request.phone:
                raise InvalidInput("phone", "error.caller_phone_required")
            phone = request.phone
        if country_code(phone) not in self.sms_countries:
            codes = ", ".join(f"+{c}" for c in sorted(self.sms_countries))
            raise InvalidInput("phone", "error.sms_only_to", codes=codes)
        return phone

    # --- uploads -------------------------------------------------------------------------------

    def new_upload(self, citizen: Actor, content_type: str, size: int) -> PresignedUpload:
        policy.require(citizen, Action.UPLOAD)
        media = ALLOWED_MEDIA.get(content_type)
        if media is None:
            raise InvalidInput("content_type", "error.media_type_not_allowed", types=", ".join(sorted(ALLOWED_MEDIA)))
        if size > media.max_size:
            raise InvalidInput("size", "error.media_too_large", kind=media.kind.value, mb=media.max_size // MB)
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
            raise InvalidInput("attachments", "error.upload_named_twice")
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
        raise ConcurrentUpdate("error.concurrent.case_kept_changing")

    def follow(self, citizen: Actor, tracking_no: str) -> Case:
        """ "Me too" (我也遇到): a signed-in citizen follows an open case instead of filing a second one: they
        hear its reply and closure at their verified mobile and may rate its answer. Asking again changes
        nothing; a closed case, or one with `lifecycle.MAX_REPORTERS` followers, refuses (409)."""
        policy.require(citizen, Action.FOLLOW)
        if not citizen.phone:
            raise InvalidInput("phone", "error.account_has_no_mobile")
        try:
            phone = normalise_phone(citizen.phone)
        except ValueError as exc:
            raise InvalidInput("phone", "error.account_mobile_cannot_sms") from exc
        number = tracking_no.upper()
        for _ in range(CREATE_ATTEMPTS):
            entry = self.cases.tracking(number)
            case = self.cases.get_case(entry.case_id) if entry is not None else None
            if case is None:
                raise NotFound("error.no_such_tracked_request")
            now = self.clock()
            reporter = Reporter(
                citizen_id=citizen.id, phone=phone, language=citizen.language or "zh", via=ReporterVia.FOLLOW, at=now
            )
            transition = lifecycle.follow(case, reporter, citizen, now)
            if transition is None:
                return case
            try:
                after = self.cases.save(transition)
            except ConcurrentUpdate:
                continue
            metrics.add_metric(name=Metric.REPORTERS_ADDED, unit="Count", value=1)
            return after
        raise ConcurrentUpdate("error.concurrent.case_kept_changing")

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
        raise ConcurrentUpdate("error.concurrent.case_kept_changing")

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
        """The citizen's requests, newest first: those filed in the app and, when the account's mobile is
        verified, the hotline calls made from it (an operator filed them for that number)."""
        policy.require(citizen, Action.READ_OWN)
        cases, next_cursor = self.cases.list_owner_cases(policy.owner_ids(citizen), limit, cursor, status)
        return CasePage(cases, next_cursor)

    def timeline(self, citizen: Actor, case_id: str) -> CaseTimeline:
        case = self._own_case(citizen, case_id)
        return CaseTimeline(
            case=case,
            events=self.cases.timeline(case_id),
            units=units_by_id(self.catalog.get()),
            download_urls=media_links(self.store, case, self.download_ttl),
        )

    def track(
        self, tracking_no: str, client: str, *, phone_last4: str | None = None, token: str | None = None
    ) -> PublicCase:
        """Public tracking by number and a proof: the phone's last four digits, or the code (`t`) of
        the SMS rating link.

        Every guess is charged to the client's budget before it is checked (a burst cannot outrun
        it) and a right one is refunded: `TRACKING_CLIENT_BUDGET` wrong guesses lock that client out
        of tracking, even with the right proof, while everyone else keeps tracking. Last-4 guesses
        are also charged to the number: once it has collected `TRACKING_NUMBER_BUDGET` wrong ones
        from anyone, last-4 alone answers `verification_required` for a while (the owner still sees
        the case signed in, or with the SMS code, which is far beyond guessing). Wrong digits and
        unknown numbers give the same answer, so a number's existence cannot be probed either."""
        number = tracking_no.upper()
        now = self.clock()
        by_client = self.lockouts.charge(GuessScope.CLIENT, client, now, TRACKING_CLIENT_BUDGET)
        if not by_client.allowed:
            raise self._locked(by_client.until, now)
        by_number: GuessCharge | None = None
        by_code: GuessCharge | None = None
        if token is not None and is_code(token):
            # a 6-digit code is guessable: charged to the number as rating with it is
            by_code = self.lockouts.charge(GuessScope.RATING_CODE, number, now, RATING_CODE_BUDGET)
            if not by_code.allowed:
                self.lockouts.refund(GuessScope.CLIENT, client, now)
                raise TooManyAttempts(RATING_CODE_LOCKED, max(1, int((by_code.until - now).total_seconds())))
            case = self._tracked_by_code(number, token)
        elif token is not None:
            case = self._tracked_by_code(number, token)
        else:
            by_number = self.lockouts.charge(GuessScope.NUMBER, number, now, TRACKING_NUMBER_BUDGET)
            if not by_number.allowed:
                self.lockouts.refund(GuessScope.CLIENT, client, now)  # no guess: the digits were never checked
                raise VerificationRequired(VERIFICATION_REQUIRED)
            case = self._tracked_by_digits(number, phone_last4 or "")
        if case is not None:
            self.lockouts.refund(GuessScope.CLIENT, client, now)
            if by_number is not None:
                self.lockouts.refund(GuessScope.NUMBER, number, now)
            if by_code is not None:
                self.lockouts.refund(GuessScope.RATING_CODE, number, now)
            return PublicCase(
                case=case,
                events=self.cases.timeline(case.id),
                units=units_by_id(self.catalog.get()),
                download_urls=reply_links(self.store, case, self.download_ttl),
            )
        if by_client.last:
            metrics.add_metric(name=Metric.TRACKING_LOCKOUTS, unit="Count", value=1)
            logger.warning("public tracking locked for a client", extra={"client": mask_address(client)})
            raise self._locked(by_client.until, now)
        if by_code is not None and by_code.last:
            logger.warning("rating code locked for a tracking number", extra={"tracking_no": number})
            raise TooManyAttempts(RATING_CODE_LOCKED, max(1, int((by_code.until - now).total_seconds())))
        if by_number is not None and by_number.last:
            metrics.add_metric(name=Metric.TRACKING_VERIFICATION_REQUIRED, unit="Count", value=1)
            logger.warning("public tracking by last four digits suspended", extra={"tracking_no": number})
            raise VerificationRequired(VERIFICATION_REQUIRED)
        raise NotFound("error.no_such_tracked_request")

    def _tracked_by_digits(self, number: str, phone_last4: str) -> Case | None:
        entry = self.cases.tracking(number)
        if entry is None or not secrets.compare_digest(entry.phone_last4.encode(), phone_last4.encode()):
            return None
        return self.cases.get_case(entry.case_id, consistent=False)

    def _tracked_by_code(self, number: str, token: str) -> Case | None:
        """The code (or an old link's token) of any rating SMS the case sent (one per round) proves its
        owner's phone."""
        entry = self.cases.tracking(number) if self.links is not None else None
        case = self.cases.get_case(entry.case_id, consistent=False) if entry is not None else None
        if case is None or self.links is None:
            return None
        links = self.links()
        return case if any(links.verify_proof(number, r, token) for r in range(1, max(case.round, 1) + 1)) else None

    @staticmethod
    def _locked(until: datetime, now: datetime) -> TooManyAttempts:
        retry_after = max(1, int((until - now).total_seconds()))
        return TooManyAttempts("error.device_locked", retry_after)

    def catalog_snapshot(self) -> Catalog:
        return self.catalog.get()
