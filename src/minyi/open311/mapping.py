"""Cases and the catalogue as GeoReport resources (pure: no I/O, no formats).

`service_code` is the topic code, `service_request_id` the public tracking number, and what a
request shows is public by construction (domain/privacy.py, the notice-board rule): platform texts
for statuses and notes (never the staff's free text), the unit's answer scrubbed, the district in
place of the address, the place rounded to about 100 m, and the citizen's description (scrubbed) only
when the citizen chose to publish it; never a name, phone, address, media link or internal note.
The tracking number is published: GeoReport needs an id, and public tracking also asks for the
phone's last four digits and locks a number out after repeated wrong guesses.
"""

from __future__ import annotations

from datetime import UTC, datetime

from minyi.domain.models import (
    DISPATCH_QUEUE,
    TERMINAL_STATUSES,
    Case,
    CaseStatus,
    Catalog,
    Category,
    CloseReason,
    EventType,
    Location,
    TimelineEvent,
    Unit,
)
from minyi.domain.privacy import coarse_location, may_publish_description, scrub
from minyi.domain.timeline_text import public_message
from minyi.open311.model import (
    AttributeValue,
    GeoStatus,
    PublicNote,
    PublicRequest,
    PublicUpdate,
    Service,
    ServiceAttribute,
    ServiceDefinition,
)
from minyi.text import render, unit_names

CATEGORY_ATTRIBUTE = "category"
DISTRICT_ATTRIBUTE = "district"

CATEGORY_NAMES: dict[Category, str] = {
    Category.CONSULTATION: "咨询",
    Category.COMPLAINT: "投诉",
    Category.SUGGESTION: "建议",
    Category.HELP: "求助",
}

#: How the topics cluster (`group`); a topic missing here is in "其他".
TOPIC_GROUPS: dict[str, str] = {
    "traffic": "城市运行",
    "urban_management": "城市运行",
    "housing": "城市运行",
    "environment": "城市运行",
    "social_security": "民生服务",
    "education": "民生服务",
    "health": "民生服务",
    "market_regulation": "市场与安全",
    "public_security": "市场与安全",
}
OTHER_GROUP = "其他"

#: Shenzhen's bounding box (WGS84): coordinates inside it need no district attribute.
CITY_BBOX = (22.39, 113.75, 22.87, 114.65)  # south, west, north, east

#: Approximate centres of the districts: a point inside the city is given the nearest one.
DISTRICT_CENTRES: dict[str, tuple[float, float]] = {
    "futian": (22.541, 114.055),
    "luohu": (22.548, 114.131),
    "nanshan": (22.533, 113.930),
    "yantian": (22.557, 114.237),
    "baoan": (22.555, 113.883),
    "longgang": (22.721, 114.247),
    "longhua": (22.696, 114.045),
    "pingshan": (22.690, 114.344),
    "guangming": (22.748, 113.935),
    "dapeng": (22.593, 114.479),
}

#: Timeline events that are public status changes (what the updates extension lists).
UPDATE_EVENTS = frozenset(
    {
        EventType.SUBMITTED,
        EventType.QUEUED,
        EventType.DISPATCHED,
        EventType.ACCEPTED,
        EventType.RETURNED,
        EventType.REPLIED,
        EventType.RATED,
        EventType.REOPENED,
        EventType.SUPERVISED,
        EventType.EXTENSION_APPROVED,
        EventType.OVERDUE,
        EventType.TRANSFERRED,
        EventType.SUPPLEMENTED,
        EventType.WITHDRAWN,
        EventType.CLOSED,
    }
)

#: Public texts for status changes the citizen's timeline words for the citizen (or not at all).
_OWN_TEXTS: dict[EventType, str] = {
    EventType.RATED: "群众已评价",
    EventType.TRANSFERRED: "已改派至{unit}办理",
    EventType.SUPPLEMENTED: "诉求人已补充材料",
    EventType.WITHDRAWN: "诉求人已撤回诉求",
}

_CLOSED_NOTES: dict[CloseReason | None, str] = {
    CloseReason.SATISFIED: "已办结（群众满意）",
    CloseReason.CLOSED_UNDER_SUPERVISION: "已办结（督办后办结）",
    CloseReason.UNRATED: "已办结（群众未评价）",
    None: "已办结",
}


# --- services --------------------------------------------------------------------------------------


def services(catalog: Catalog) -> list[Service]:
    return [service(catalog, code) for code in catalog.topics]


def service(catalog: Catalog, code: str) -> Service:
    names = catalog.topics[code]
    return Service(
        service_code=code,
        service_name=names["zh"],
        description=names.get("en"),
        keywords=",".join(dict.fromkeys([names["zh"], names.get("en", code), code])),
        group=TOPIC_GROUPS.get(code, OTHER_GROUP),
    )


def service_definition(catalog: Catalog, code: str) -> ServiceDefinition:
    category_values = [
        AttributeValue(key=c.value, name=f"{CATEGORY_NAMES[c]}（{catalog.deadline_days[c]}个工作日）")
        for c in catalog.categories
    ]
    district_values = [AttributeValue(key=k, name=v["zh"]) for k, v in catalog.districts.items()]
    return ServiceDefinition(
        service_code=code,
        attributes=[
            ServiceAttribute(
                code=CATEGORY_ATTRIBUTE,
                datatype="singlevaluelist",
                required=True,
                datatype_description="咨询、投诉、建议或求助之一 (consultation, complaint, suggestion or help)",
                order=1,
                description="诉求类型，决定办理时限 (kind of request; sets the deadline)",
                values=category_values,
            ),
            ServiceAttribute(
                code=DISTRICT_ATTRIBUTE,
                datatype="singlevaluelist",
                required=False,
                datatype_description="区代码 (district code)",
                order=2,
                description=(
                    "所在区；提供深圳市范围内的经纬度时可省略 "
                    "(district; required unless lat and long are inside Shenzhen)"
                ),
                values=district_values,
            ),
        ],
    )


# --- places ----------------------------------------------------------------------------------------


def in_city(lat: float, lon: float) -> bool:
    south, west, north, east = CITY_BBOX
    return south <= lat <= north and west <= lon <= east


def nearest_district(lat: float, lon: float, districts: dict[str, dict[str, str]]) -> str | None:
    known = {k: c for k, c in DISTRICT_CENTRES.items() if k in districts}
    if not known:
        return None
    return min(known, key=lambda k: (known[k][0] - lat) ** 2 + (known[k][1] - lon) ** 2)


# --- requests --------------------------------------------------------------------------------------


def geo_status(case: Case) -> GeoStatus:
    """Closed once the case can no longer change (closed or withdrawn), open before."""
    return "closed" if case.status in TERMINAL_STATUSES else "open"


def service_notice(catalog: Catalog, category: Category) -> str:
    days = catalog.deadline_days.get(category)
    kind = CATEGORY_NAMES[category]
    if days is None:
        return f"{kind}诉求已受理，将派至承办单位办理。"
    return f"{kind}诉求已受理，将派至承办单位，于{days}个工作日内办理答复。"


def _unit(catalog: Catalog, unit_id: str | None) -> Unit | None:
    return catalog.units.get(unit_id) if unit_id else None


def agency(case: Case, catalog: Catalog) -> str | None:
    unit = _unit(catalog, case.unit_id)
    if unit is not None:
        return unit.name
    if case.in_dispatch_queue or case.status == CaseStatus.RETURNED:
        queue = _unit(catalog, DISPATCH_QUEUE)
        return queue.name if queue else None
    return None


def status_notes(case: Case, catalog: Catalog) -> str:
    unit = _unit(catalog, case.unit_id)
    name = unit.name if unit else "承办单位"
    match case.status:
        case CaseStatus.SUBMITTED:
            return "已受理，等待调度中心分派" if case.in_dispatch_queue else "已受理，正在分派承办单位"
        case CaseStatus.DISPATCHED:
            return f"已派至{name}办理"
        case CaseStatus.IN_PROGRESS:
            return f"{name}正在办理"
        case CaseStatus.RETURNED:
            return "正在重新分派承办单位"
        case CaseStatus.REPLIED:
            return f"{name}已答复，等待评价"
        case CaseStatus.REOPENED:
            return f"群众不满意，{name}重新办理"
        case CaseStatus.SUPERVISED:
            return f"已列入督办，{name}重新办理"
        case CaseStatus.CLOSED:
            return _CLOSED_NOTES.get(case.closed_reason, "已办结")
        case CaseStatus.WITHDRAWN:
            return "诉求人已撤回诉求"
    return case.status.value


def event_text(event: TimelineEvent, catalog: Catalog, case: Case | None = None) -> str:
    """The platform's public text for a status change (said of the public, never the staff's words);
    with the case, a reply's text is followed by the unit's answer of that round, scrubbed."""
    unit = _unit(catalog, event.unit_id)
    own = _OWN_TEXTS.get(event.type)
    if own is not None:
        return own.format(unit=unit.name if unit else "承办单位")
    said = public_message(event, "zh")
    text = render(said, "zh", unit_names({unit.id: unit} if unit else {})) if said else event.type.value
    if event.type == EventType.REPLIED and case is not None:
        answer = next((r.message for r in reversed(case.replies) if r.round == event.round), None)
        if answer:
            text = f"{text}：{scrub(answer)}"
    return text


def public_notes(events: list[TimelineEvent], catalog: Catalog, case: Case | None = None) -> list[PublicNote]:
    return [
        PublicNote(datetime=e.at, type=e.type.value, summary=e.status.value, description=event_text(e, catalog, case))
        for e in events
        if e.type in UPDATE_EVENTS
    ]


def district_place(catalog: Catalog, district: str) -> str | None:
    """What a public request names as its place: the district (`深圳市福田区`), never the address."""
    names = catalog.districts.get(district)
    return f"深圳市{names['zh']}" if names else None


def published_description(case: Case) -> str | None:
    """The citizen's words, scrubbed, if they chose to publish them on a channel that could ask."""
    if not may_publish_description(case.channel, case.public):
        return None
    return scrub(case.description) or None


def as_published(request: PublicRequest, catalog: Catalog) -> PublicRequest:
    """The notice-board rule applied again to a stored feed entry: an entry projected before the rule
    (no `public` mark, an address, an exact place) reads as private and coarse. Idempotent."""
    lat, lon = request.lat, request.long
    location = coarse_location(Location(lat=lat, lon=lon)) if lat is not None and lon is not None else None
    return request.model_copy(
        update={
            "description": scrub(request.description) if request.public and request.description else None,
            "media_url": None,
            "address": district_place(catalog, request.district),
            "lat": location.lat if location else None,
            "long": location.lon if location else None,
        }
    )


def public_request(case: Case, catalog: Catalog, events: list[TimelineEvent] | None = None) -> PublicRequest:
    """The case as a GeoReport request; `events` (its timeline) fill the notes extension."""
    topic = catalog.topics.get(case.topic, {})
    location = coarse_location(case.location)
    return PublicRequest(
        case_id=case.id,
        service_request_id=case.tracking_no,
        status=geo_status(case),
        status_notes=status_notes(case, catalog),
        service_name=topic.get("zh"),
        service_code=case.topic,
        description=published_description(case),
        agency_responsible=agency(case, catalog),
        service_notice=service_notice(catalog, case.category),
        requested_datetime=case.created_at,
        updated_datetime=case.closed_at or case.updated_at,
        expected_datetime=None if case.status in TERMINAL_STATUSES else case.due_at,
        address=district_place(catalog, case.district),
        lat=location.lat if location else None,
        long=location.lon if location else None,
        media_url=None,  # a partner's photo may show faces and plates: the partner publishes it, we do not
        channel=case.channel.value,
        category=case.category.value,
        district=case.district,
        reopen_count=case.reopen_count,
        supervised=case.supervised,
        notes=public_notes(events or [], catalog, case),
        public=may_publish_description(case.channel, case.public),
    )


def public_update(case: Case, event: TimelineEvent, catalog: Catalog) -> PublicUpdate | None:
    """The event as an entry of the updates extension, or None for internal events."""
    if event.type not in UPDATE_EVENTS:
        return None
    status: GeoStatus = "closed" if event.status in TERMINAL_STATUSES else "open"
    return PublicUpdate(
        update_id=f"{case.tracking_no}-{event.seq}",
        service_request_id=case.tracking_no,
        status=status,
        updated_datetime=event.at,
        description=event_text(event, catalog, case),
        external_status_code=event.status.value,
        case_id=case.id,
    )


def month_of(at: datetime) -> str:
    """The UTC month a time falls in (`2026-11`): the partition of the open-data feed."""
    return at.astimezone(UTC).strftime("%Y-%m")
