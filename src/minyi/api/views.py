"""Domain results -> response models: the only code that knows both.

Phones are masked everywhere except the responsible unit's own view (`citizen_phone`), and the
public view of a timeline carries no free text (notes may hold personal details).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minyi.api import schemas
from minyi.api.i18n import reader_language
from minyi.api.spreadsheet import csv_text
from minyi.domain import hotspots, scoreboard
from minyi.domain.knowledge import KnowledgeHit
from minyi.domain.legacy_events import upgraded
from minyi.domain.messages import Message
from minyi.domain.models import (
    Case,
    CaseStatus,
    Catalog,
    EventType,
    Language,
    OutboxEntry,
    ReplyTemplate,
    TimelineEvent,
    Unit,
)
from minyi.domain.phone import mask_phone
from minyi.domain.supervision import supervision_reasons
from minyi.domain.timeline_text import event_files, is_public, public_message, staff_message
from minyi.services.results import (
    CaseDetail,
    CasePage,
    CaseTimeline,
    PresignedUpload,
    PublicCase,
    PublicStats,
    StatsReport,
)
from minyi.text import Names, render, unit_names

if TYPE_CHECKING:  # annotations only: the intake service (its model and scoring) loads where a handler suggests
    from minyi.domain.duplicates import Candidate
    from minyi.services.intake import CaseDuplicates, Suggestions


def _unit_name(unit: Unit | None, language: Language) -> str | None:
    return (unit.name if language == "zh" else unit.name_en) if unit else None


def _view_fields(detail: CaseDetail, with_links: bool) -> dict[str, Any]:
    """Platform texts and unit names in the reader's language (Accept-Language), else the case's."""
    case, unit = detail.case, detail.unit
    data: dict[str, Any] = case.model_dump(exclude={"phone", "attachments", "extension", "wait", "supervision"})
    return {
        **data,
        "phone": mask_phone(case.phone),
        "reporters": len(case.reporters),
        "unit_name": _unit_name(unit, reader_language(case.language)),
        "extension": schemas.ExtensionView(**case.extension.model_dump()) if case.extension else None,
        "attachments": [
            schemas.AttachmentView(
                upload_id=a.upload_id,
                kind=a.kind.value,
                content_type=a.content_type,
                size=a.size,
                download_url=detail.download_urls.get(a.upload_id) if with_links else None,
            )
            for a in case.attachments
        ],
    }


def owner_view(detail: CaseDetail) -> schemas.CaseView:
    """The citizen's own case: their own ratings only (并单: other reporters' words are theirs)."""
    fields = _view_fields(detail, with_links=True)
    case = detail.case
    fields["ratings"] = [r.model_dump() for r in case.ratings if (r.by or case.citizen_id) == case.citizen_id]
    return schemas.CaseView(**fields)


def staff_view(detail: CaseDetail) -> schemas.StaffCaseView:
    """Staff views; the full phone number only when the service decided this reader may have it."""
    notifications = [notification(o) for o in detail.outbox]
    return schemas.StaffCaseView(
        **_view_fields(detail, with_links=True), citizen_phone=detail.citizen_phone, notifications=notifications
    )


def notification(entry: OutboxEntry) -> schemas.NotificationView:
    """One SMS of the outbox, number masked."""
    return schemas.NotificationView(
        event_seq=entry.event_seq,
        event=entry.event_type,
        kind=entry.kind,
        to=mask_phone(entry.to),
        status=entry.status,
        segments=entry.segments,
        attempts=entry.attempts,
        provider_message_id=entry.provider_message_id,
        sent_at=entry.sent_at,
        last_error=entry.last_error,
    )


def supervision_list(page: CasePage) -> schemas.SupervisionList:
    return schemas.SupervisionList(
        items=[schemas.SupervisionItem(**summary(c).model_dump(), reasons=supervision_reasons(c)) for c in page.cases],
        next_cursor=page.next_cursor,
    )


def unit_directory(units: list[Unit]) -> schemas.UnitDirectory:
    return schemas.UnitDirectory(
        units=[
            schemas.UnitView(id=u.id, name=u.name, name_en=u.name_en, district=u.district, topics=u.topics)
            for u in sorted(units, key=lambda u: u.id)
        ]
    )


def summary(case: Case) -> schemas.CaseSummary:
    return schemas.CaseSummary.model_validate(case.model_dump())


def staff_case_list(page: CasePage, unit_id: str) -> schemas.StaffCaseList:
    """A unit's list: each case marked 协办 where `unit_id` helps and another unit leads."""
    return schemas.StaffCaseList(
        items=[
            schemas.StaffCaseSummary.model_validate(
                {**c.model_dump(), "assisting": unit_id in c.assist_units and c.unit_id != unit_id}
            )
            for c in page.cases
        ],
        next_cursor=page.next_cursor,
    )


def case_list(page: CasePage) -> schemas.CaseList:
    return schemas.CaseList(items=[summary(c) for c in page.cases], next_cursor=page.next_cursor)


def created(case: Case) -> schemas.CaseCreated:
    return schemas.CaseCreated(id=case.id, tracking_no=case.tracking_no, status=case.status, created_at=case.created_at)


def _files(case: Case, upload_ids: list[str], links: dict[str, str]) -> list[schemas.AttachmentView]:
    """The case's attachments named, each with its link when the reader was given one (else left out)."""
    by_id = {a.upload_id: a for a in case.attachments}
    return [
        schemas.AttachmentView(
            upload_id=a.upload_id,
            kind=a.kind.value,
            content_type=a.content_type,
            size=a.size,
            download_url=links[a.upload_id],
        )
        for a in (by_id[u] for u in upload_ids if u in by_id and u in links)
    ]


def _event_view(
    found: CaseTimeline | PublicCase,
    event: TimelineEvent,
    note: str | None,
    files: list[schemas.AttachmentView] | None = None,
    *,
    staff: bool = False,
) -> schemas.TimelineEventView:
    """The event with the platform's text in the reader's language (Accept-Language), else the case's,
    next to its key and facts; for `staff`, worded for staff (the citizen in the third person)."""
    language = reader_language(found.case.language)
    said = (staff_message if staff else public_message)(event, language)
    return schemas.TimelineEventView(
        seq=event.seq,
        type=event.type,
        at=event.at,
        actor=event.actor_role,
        status=event.status,
        round=event.round,
        unit_id=event.unit_id,
        text=render(said, language, unit_names(found.units)) if said else None,
        key=said.key if said else None,
        params=said.params if said else {},
        note=note,
        attachments=files or [],
    )


def _staff_event_view(found: CaseTimeline, stored: TimelineEvent) -> schemas.TimelineEventView:
    """A staff timeline's event: the platform's note rendered in the reader's language (events stored
    before messages read through `legacy_events`), with what a person typed, as written."""
    event = upgraded(stored)
    if event.message is None:
        return _event_view(found, event, event.note, staff=True)
    language = reader_language(found.case.language)
    note = Message(key=event.message.key, params={**event.message.params, **_typed(event)})
    view = _event_view(found, event, render(note, language, _timeline_names(found)), staff=True)
    view.note_message = schemas.MessageView(key=note.key, params=note.params)
    return view


def _typed(event: TimelineEvent) -> dict[str, str]:
    """What a person typed with the platform's note (`{text}` in the catalogue)."""
    return {"text": event.note} if event.note is not None else {}


def owner_timeline(found: CaseTimeline) -> schemas.Timeline:
    """The citizen's own view: the platform's texts, the unit's answers addressed to them and what
    they added themselves, with the files of both. Staff's free text (return reasons, extension
    reasons, decisions, notes) never appears."""
    files = event_files(found.case, found.events)
    own_words = {EventType.REPLIED, EventType.SUPPLEMENTED}
    return schemas.Timeline(
        events=[
            _event_view(
                found,
                e,
                e.note if e.type in own_words else None,
                _files(found.case, files.get(e.seq, []), found.download_urls),
            )
            for e in found.events
            if is_public(e)
        ]
    )


def staff_timeline(found: CaseTimeline) -> schemas.StaffTimeline:
    """Every event, with the free text staff wrote (as written) and the platform's own notes (in the
    reader's language), the text the citizen reads, and every SMS."""
    return schemas.StaffTimeline(
        events=[_staff_event_view(found, e) for e in found.events],
        notifications=[notification(o) for o in found.outbox],
    )


def public_tracking(found: PublicCase) -> schemas.PublicTracking:
    """What the owner reads after proving the phone (last four digits) or the SMS code: the state, the
    platform's texts, and the unit's answers with their files. Their own words and media stay off
    this route (it is not signed in); the links the service gave are the answer files' only."""
    case = found.case
    language = reader_language(case.language)
    files = event_files(case, found.events)
    replies = [
        schemas.AnswerView(
            round=r.round,
            text=r.message,
            at=r.at,
            unit=_unit_name(found.units.get(r.unit_id), language),
            attachments=_files(case, r.attachments, found.download_urls),
        )
        for r in case.replies
    ]
    return schemas.PublicTracking(
        tracking_no=case.tracking_no,
        status=case.status,
        category=case.category,
        topic=case.topic,
        district=case.district,
        created_at=case.created_at,
        due_at=case.due_at,
        events=[
            _event_view(found, e, None, _files(case, files.get(e.seq, []), found.download_urls))
            for e in found.events
            if is_public(e)
        ],
        replies=replies,
    )


def rating_link_state(case: Case) -> schemas.RatingLinkState:
    return schemas.RatingLinkState(status=case.status, round=case.round, rateable=case.status == CaseStatus.REPLIED)


def upload_ticket(presigned: PresignedUpload) -> schemas.UploadTicket:
    return schemas.UploadTicket(
        upload_id=presigned.upload.upload_id,
        url=presigned.url,
        fields=presigned.fields,
        max_size=presigned.upload.size,
        expires_in=presigned.expires_in,
    )


def catalog_view(catalog: Catalog) -> schemas.CatalogView:
    return schemas.CatalogView(
        categories=catalog.categories,
        topics=catalog.topics,
        districts=catalog.districts,
        deadline_days={c.value: d for c, d in catalog.deadline_days.items()},
        district_areas=catalog.district_areas,
    )


def stats_body(report: StatsReport) -> dict[str, object]:
    return {
        "from": report.day_from.isoformat(),
        "to": report.day_to.isoformat(),
        "unit_id": report.unit_id,
        "totals": report.totals.model_dump(),
        "units": [u.model_dump() for u in report.units],
        "submitted_by_channel": report.by_channel,
    }


def public_stats_body(found: PublicStats) -> dict[str, object]:
    """The city's published numbers: rates and counts only (no case, no person)."""
    return {
        "from": found.day_from.isoformat(),
        "to": found.day_to.isoformat(),
        "city": found.city.model_dump(),
        "districts": [{"district": d.code, "name": d.name, **d.scores.model_dump()} for d in found.districts],
        "units": [u.model_dump() for u in found.units],
        "submitted_by_channel": found.by_channel,
    }


def hotspots_body(found: hotspots.Listing) -> dict[str, object]:
    """The hotspot cells (未诉先办): cells, counts and tracking numbers; no report's own position."""
    return {
        "from": found.day_from.isoformat(),
        "to": found.day_to.isoformat(),
        "topic": found.topic,
        "district": found.district,
        "min_reports": found.min_reports,
        "hotspots": [h.model_dump(mode="json") for h in found.hotspots],
    }


def stats_csv(report: StatsReport) -> str:
    """One row per unit and a TOTAL row; unit names a spreadsheet would evaluate are quoted (`csv_text`)."""
    fields = ["unit_id", "unit_name", *scoreboard.COUNTERS, "open_overdue", "on_time_rate", "satisfaction_rate"]
    rows = [row.model_dump() for row in report.units]
    return csv_text(fields, [*rows, {**report.totals.model_dump(), "unit_id": "TOTAL"}])


def knowledge_list(hits: list[KnowledgeHit]) -> schemas.KnowledgeList:
    return schemas.KnowledgeList(items=[schemas.KnowledgeItem(**h.entry.model_dump(), score=h.score) for h in hits])


def reply_template_list(templates: list[ReplyTemplate]) -> schemas.ReplyTemplateList:
    return schemas.ReplyTemplateList(items=[schemas.ReplyTemplateView(**t.model_dump()) for t in templates])


def callback_list(page: CasePage) -> schemas.CallbackList:
    """The 回访 list: what an operator needs to make the call (the number, the request, the answer)."""
    items = []
    for case in page.cases:
        reply = case.replies[-1] if case.replies else None
        days = {a.working_day for a in case.callbacks if a.round == case.round and a.outcome == "unreachable"}
        items.append(
            schemas.CallbackItem(
                **summary(case).model_dump(),
                phone=case.phone,
                description=case.description,
                reply=reply.message if reply else "",
                replied_at=reply.at if reply else case.updated_at,
                unreachable_days=len(days),
            )
        )
    return schemas.CallbackList(items=items, next_cursor=page.next_cursor)


def _timeline_names(found: CaseTimeline) -> Names:
    """`Names` for a staff timeline's notes: its units (`{unit:unit}`) and districts (`{x:district}`)."""
    units = unit_names(found.units)

    def name(spec: str, value: str, language: Language) -> str | None:
        if spec == "district":
            return _name_in(found.districts, value, language)
        return units(spec, value, language)

    return name


def _catalog_names(catalog: Catalog) -> Names:
    """`Names` for `{topic:topic}` and `{district:district}`: the catalogue's names in the reader's language."""

    def name(spec: str, value: str, language: Language) -> str | None:
        table = catalog.topics if spec == "topic" else catalog.districts if spec == "district" else None
        return None if table is None else _name_in(table, value, language)

    return name


def _name_in(table: dict[str, dict[str, str]], code: str, language: Language) -> str | None:
    """A catalogue code's name in the reader's language (Chinese when that one is missing); None: unknown."""
    names = table.get(code)
    return (names.get(language) or names.get("zh")) if names else None


def duplicate_views(candidates: list[Candidate], catalog: Catalog, staff: bool) -> list[schemas.DuplicateCandidateView]:
    """Citizens and operators read the topic, the district and how long ago; staff the masked description."""
    from minyi.domain.duplicates import citizen_summary, staff_summary  # only the duplicate lists need them

    language = reader_language("zh")
    names = _catalog_names(catalog)
    return [
        schemas.DuplicateCandidateView(
            tracking_no=c.case.tracking_no,
            topic=c.case.topic,
            status=CaseStatus(c.case.status),
            distance_m=c.distance_m,
            score=min(1.0, max(0.0, c.score)),
            likely_duplicate=c.likely_duplicate,
            summary=staff_summary(c) if staff else render(citizen_summary(c), language, names),
        )
        for c in candidates
    ]


def intake_suggestions(found: Suggestions) -> schemas.IntakeSuggestions:
    district = found.district
    return schemas.IntakeSuggestions(
        model_version=found.model_version,
        topics=[schemas.SuggestedTopicView(topic=t.topic, score=t.score) for t in found.topics],
        district=schemas.DistrictSuggestion(district=district.district, source=district.source.value)
        if district
        else None,
        duplicates=duplicate_views(found.duplicates, found.catalog, found.staff_view),
    )


def duplicate_list(found: CaseDuplicates) -> schemas.DuplicateList:
    return schemas.DuplicateList(
        tracking_no=found.case.tracking_no, duplicates=duplicate_views(found.duplicates, found.catalog, staff=True)
    )
