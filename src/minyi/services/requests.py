"""Citizen-facing use cases: submit, follow and attach. Orchestrates domain rules and adapters."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from minyi.adapters.dynamo import DynamoRepository
from minyi.adapters.storage import AttachmentStore
from minyi.adapters.workflow import CaseWorkflow
from minyi.api import schemas
from minyi.domain import lifecycle
from minyi.domain.errors import ConcurrentUpdate, InvalidInput, NotFound
from minyi.domain.models import Actor, Attachment, AttachmentKind, Case, CaseStatus, Catalog
from minyi.domain.phone import last4
from minyi.observability import logger, metrics
from minyi.services.views import event_view, owner_view, summary

#: What a citizen may attach, and how large it may be.
ALLOWED_UPLOADS: dict[str, tuple[AttachmentKind, int]] = {
    "image/jpeg": (AttachmentKind.PHOTO, 10 * 1024 * 1024),
    "image/png": (AttachmentKind.PHOTO, 10 * 1024 * 1024),
    "audio/mpeg": (AttachmentKind.VOICE, 20 * 1024 * 1024),
    "audio/amr": (AttachmentKind.VOICE, 20 * 1024 * 1024),
    "audio/mp4": (AttachmentKind.VOICE, 20 * 1024 * 1024),
    "video/mp4": (AttachmentKind.VIDEO, 100 * 1024 * 1024),
}

_TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L


def new_tracking_no(now: datetime) -> str:
    """Short and readable over the phone: `SZ2611-7KQ3MX` (year+month, six unambiguous characters)."""
    return f"SZ{now:%y%m}-" + "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(6))


def utcnow() -> datetime:
    return datetime.now(UTC)


class CatalogCache:
    """The catalogue changes rarely: keep it in the warm container for a few minutes."""

    def __init__(self, repo: DynamoRepository, ttl_seconds: float = 300):
        self.repo = repo
        self.ttl = ttl_seconds
        self._value: Catalog | None = None
        self._loaded = 0.0

    def get(self) -> Catalog:
        if self._value is None or time.monotonic() - self._loaded > self.ttl:
            self._value = self.repo.load_catalog()
            self._loaded = time.monotonic()
        return self._value


class RequestService:
    def __init__(
        self,
        repo: DynamoRepository,
        store: AttachmentStore,
        workflow: CaseWorkflow,
        upload_ttl: int,
        download_ttl: int,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.repo = repo
        self.store = store
        self.workflow = workflow
        self.catalog = CatalogCache(repo)
        self.upload_ttl = upload_ttl
        self.download_ttl = download_ttl
        self.clock = clock

    # --- submit --------------------------------------------------------------------------------

    def submit(self, citizen: Actor, body: schemas.SubmitRequestBody) -> schemas.CaseCreated:
        catalog = self.catalog.get()
        if body.topic not in catalog.topics:
            raise InvalidInput("topic", f"unknown topic '{body.topic}'; see GET /v1/catalog")
        if body.district not in catalog.districts:
            raise InvalidInput("district", f"unknown district '{body.district}'; see GET /v1/catalog")
        if len(set(body.attachments)) != len(body.attachments):
            raise InvalidInput("attachments", "the same upload is named twice")
        for attempt in range(3):
            attachments = [self._check_upload(citizen, upload_id, i) for i, upload_id in enumerate(body.attachments)]
            now = self.clock()
            case = Case(
                id=uuid.uuid4().hex,
                tracking_no=new_tracking_no(now),
                citizen_id=citizen.id,
                status=CaseStatus.SUBMITTED,
                created_at=now,
                updated_at=now,
                attachments=attachments,
                **body.model_dump(exclude={"attachments"}),
            )
            transition = lifecycle.submitted(case, now)
            try:
                self.repo.create_case(transition, last4(case.phone), body.attachments)
                break
            except ConcurrentUpdate:
                # A tracking-number collision or an upload claimed at the same moment: check again.
                logger.warning("case create conflict, retrying", extra={"attempt": attempt})
        else:
            raise ConcurrentUpdate("could not allocate a case")
        metrics.add_metric(name="CasesSubmitted", unit="Count", value=1)
        logger.info("case submitted", extra={"case_id": case.id, "category": case.category.value})
        try:
            self.workflow.start(case.id)
        except Exception:
            # The case is saved; the escalation sweep starts workflows that never started (after a
            # short grace). Failing here would make an idempotent retry create a second case.
            logger.exception("workflow start failed; the sweep will start it", extra={"case_id": case.id})
            metrics.add_metric(name="WorkflowStartFailures", unit="Count", value=1)
        return schemas.CaseCreated(id=case.id, tracking_no=case.tracking_no, status=case.status, created_at=now)

    def _check_upload(self, citizen: Actor, upload_id: str, index: int) -> Attachment:
        field = f"attachments[{index}]"
        upload = self.repo.get_upload(upload_id)
        if upload is None or upload["owner_id"] != citizen.id:
            raise InvalidInput(field, f"unknown upload '{upload_id}'")
        if upload.get("case_id"):
            raise InvalidInput(field, "this upload is already attached to another case")
        stored = self.store.stored_object(upload["key"])
        if stored is None:
            raise InvalidInput(field, "nothing was uploaded for this upload id yet")
        size, content_type = stored
        kind, max_size = ALLOWED_UPLOADS[upload["content_type"]]
        # S3 enforces the presigned policy; checking what arrived also covers stores that do not.
        if size > max_size or size > upload["size"]:
            raise InvalidInput(field, f"uploaded file is {size} bytes, more than allowed")
        if content_type != upload["content_type"]:
            raise InvalidInput(field, f"uploaded file is {content_type or 'untyped'}, not {upload['content_type']}")
        return Attachment(upload_id=upload_id, key=upload["key"], kind=kind, content_type=content_type, size=size)

    # --- uploads -------------------------------------------------------------------------------

    def new_upload(self, citizen: Actor, body: schemas.UploadRequest) -> schemas.UploadTicket:
        allowed = ALLOWED_UPLOADS.get(body.content_type)
        if allowed is None:
            raise InvalidInput(
                "content_type", f"'{body.content_type}' is not allowed; use one of {sorted(ALLOWED_UPLOADS)}"
            )
        kind, max_size = allowed
        if body.size > max_size:
            raise InvalidInput("size", f"{kind.value} files may be at most {max_size // (1024 * 1024)} MB")
        upload_id = uuid.uuid4().hex
        key = f"uploads/{citizen.id}/{upload_id}"
        post = self.store.presign_upload(key, body.content_type, body.size, self.upload_ttl)
        self.repo.put_upload(
            {
                "upload_id": upload_id,
                "owner_id": citizen.id,
                "key": key,
                "content_type": body.content_type,
                "size": body.size,
                "created_at": self.clock().isoformat(),
                "expires_at": int(self.clock().timestamp()) + 7 * 86400,
            }
        )
        return schemas.UploadTicket(
            upload_id=upload_id, url=post["url"], fields=post["fields"], max_size=body.size, expires_in=self.upload_ttl
        )

    # --- follow --------------------------------------------------------------------------------

    def own_case(self, citizen: Actor, case_id: str) -> Case:
        case = self.repo.get_case(case_id, consistent=False)
        if case is None or case.citizen_id != citizen.id:
            raise NotFound("no such request")  # never reveal that another citizen's case exists
        return case

    def case_view(self, case: Case) -> schemas.CaseView:
        return owner_view(case, self.catalog.get(), lambda key: self.store.download_url(key, self.download_ttl))

    def list_own(self, citizen: Actor, limit: int, cursor: str | None) -> schemas.CaseList:
        cases, next_cursor = self.repo.list_citizen_cases(citizen.id, limit, cursor)
        return schemas.CaseList(items=[summary(c) for c in cases], next_cursor=next_cursor)

    def timeline(self, citizen: Actor, case_id: str) -> schemas.Timeline:
        self.own_case(citizen, case_id)
        return schemas.Timeline(events=[event_view(e) for e in self.repo.timeline(case_id)])

    def track(self, tracking_no: str, phone_last4: str) -> schemas.PublicTracking:
        found = self.repo.case_id_for_tracking(tracking_no.upper())
        if found is None or not secrets.compare_digest(found[1], phone_last4):
            raise NotFound("no request with this tracking number and phone")
        case = self.repo.get_case(found[0], consistent=False)
        if case is None:
            raise NotFound("no request with this tracking number and phone")
        events = [event_view(e, public=True) for e in self.repo.timeline(case.id)]
        return schemas.PublicTracking(
            tracking_no=case.tracking_no,
            status=case.status,
            category=case.category,
            topic=case.topic,
            district=case.district,
            created_at=case.created_at,
            due_at=case.due_at,
            events=events,
        )

    def catalog_view(self) -> schemas.CatalogView:
        catalog = self.catalog.get()
        return schemas.CatalogView(
            categories=catalog.categories,
            topics=catalog.topics,
            districts=catalog.districts,
            deadline_days={c.value: d for c, d in catalog.deadline_days.items()},
        )
