"""Case -> API views. Phones are masked except in the responsible unit's own view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minyi.api import schemas
from minyi.domain.models import Case, Catalog, TimelineEvent
from minyi.domain.phone import mask_phone


def _view_fields(case: Case, catalog: Catalog, download_url: Callable[[str], str] | None) -> dict[str, Any]:
    unit = catalog.units.get(case.unit_id) if case.unit_id else None
    data: dict[str, Any] = case.model_dump(exclude={"phone", "attachments", "extension", "wait"})
    return {
        **data,
        "phone": mask_phone(case.phone),
        "unit_name": (unit.name if case.language == "zh" else unit.name_en) if unit else None,
        "extension": schemas.ExtensionView(**case.extension.model_dump()) if case.extension else None,
        "attachments": [
            schemas.AttachmentView(
                upload_id=a.upload_id,
                kind=a.kind.value,
                content_type=a.content_type,
                size=a.size,
                download_url=download_url(a.key) if download_url else None,
            )
            for a in case.attachments
        ],
    }


def owner_view(case: Case, catalog: Catalog, download_url: Callable[[str], str] | None = None) -> schemas.CaseView:
    return schemas.CaseView(**_view_fields(case, catalog, download_url))


def staff_view(case: Case, catalog: Catalog, outbox: list[dict[str, Any]] | None = None) -> schemas.StaffCaseView:
    notifications = [
        schemas.NotificationView(
            event_seq=o["event_seq"],
            event=o["event_type"],
            kind=o["kind"],
            to=mask_phone(o["to"]),
            status=o["status"],
            segments=o["segments"],
            attempts=o.get("attempts", 0),
            provider_message_id=o.get("provider_message_id"),
            sent_at=o.get("sent_at"),
            last_error=o.get("last_error"),
        )
        for o in outbox or []
    ]
    return schemas.StaffCaseView(
        **_view_fields(case, catalog, None), citizen_phone=case.phone, notifications=notifications
    )


def summary(case: Case) -> schemas.CaseSummary:
    return schemas.CaseSummary.model_validate(case.model_dump())


def event_view(event: TimelineEvent, public: bool = False) -> schemas.TimelineEventView:
    """A timeline entry. The public view carries no free text (notes may hold personal details)."""
    return schemas.TimelineEventView(
        seq=event.seq,
        type=event.type,
        at=event.at,
        actor=event.actor_role,
        status=event.status,
        round=event.round,
        unit_id=event.unit_id,
        note=None if public else event.note,
    )
