"""Cases and the catalogue as GeoReport resources (pure: no I/O, no formats).

`service_code` is the topic code, `service_request_id` the public tracking number, and what a
request shows is public by construction (domain/privacy.py, the notice-board rule): platform texts
for statuses and notes (never the staff's free text), the unit's answer scrubbed, the district in
place of the address, the place rounded to about 100 m, and the citizen's description (scrubbed) only
when the citizen chose to publish it; never a name, phone, address, media link or internal note.
The tracking number is published: GeoReport needs an id, and public tracking also asks for the
phone's last four digits and locks a number out after repeated wrong guesses.

Every text the feed shows is in the message catalogue (`open311.*`, beside the glossary's terms),
rendered in Chinese through `minyi.text`: GeoReport has no language negotiation, and the feed's
partners read the city's own words.
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
from minyi.text import DEFAULT_LANGUAGE, has, render, unit_names

CATEGORY_ATTRIBUTE = "category"
DISTRICT_ATTRIBUTE = "district"

#: The feed's language: the catalogue's texts are rendered in it.
FEED_LANGUAGE = DEFAULT_LANGUAGE

#: How the topics cluster (`group`, named by `open311.group.<group>`); a topic missing here is in "other".
TOPIC_GROUPS: dict[str, str] = {
    "traffic": "city_operations",
    "urban_management": "city_operations",
    "housing": "city_operations",
    "environment": "city_operations",
    "social_security": "public_services",
    "education": "public_services",
    "health": "public_services",
    "market_regulation": "market_and_safety",
    "public_security": "market_and_safety",
}
OTHER_GROUP = "other"

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

#: Status changes the citizen's timeline words for the citizen (or not at all): the feed has its own
#: text for them, `open311.event.<type>`.
_OWN_TEXTS = frozenset({EventType.RATED, EventType.TRANSFERRED, EventType.SUPPLEMENTED, EventType.WITHDRAWN})

#: The reasons a closed request's status notes name (`open311.status.closed.<reason>`).
_CLOSED_REASONS = frozenset({CloseReason.SATISFIED, CloseReason.CLOSED_UNDER_SUPERVISION, CloseReason.UNRATED})


def _text(key: str, unit: Unit | None = None, **params: object) -> str:
    """The catalogue's `key` in the feed's language; `{unit:unit}` names `unit` ("承办单位" without one)."""
    names = unit_names({unit.id: unit} if unit else {})
    return render(key, FEED_LANGUAGE, names, unit=unit.id if unit else "", **params)


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
        group=_text(f"open311.group.{TOPIC_GROUPS.get(code, OTHER_GROUP)}"),
    )


def service_definition(catalog: Catalog, code: str) -> ServiceDefinition:
    category_values = [
        AttributeValue(
            key=c.value, name=_text("open311.category_value", category=c.value, days=catalog.deadline_days[c])
        )
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
                datatype_description=_text("open311.attribute.category.datatype"),
                order=1,
                description=_text("open311.attribute.category"),
                values=category_values,
            ),
            ServiceAttribute(
                code=DISTRICT_ATTRIBUTE,
                datatype="singlevaluelist",
                required=False,
                datatype_description=_text("open311.attribute.district.datatype"),
                order=2,
                description=_text("open311.attribute.district"),
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
    if days is None:
        return _text("open311.service_notice.no_deadline", category=category.value)
    return _text("open311.service_notice", category=category.value, days=days)


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
    """`open311.status.<status>` (a submitted case: whether it waits in the dispatch queue; a closed
    one: why it closed), naming the case's unit."""
    key = f"open311.status.{case.status.value.lower()}"
    reason = case.closed_reason
    if case.status == CaseStatus.SUBMITTED and case.in_dispatch_queue:
        key += ".queued"
    elif case.status == CaseStatus.CLOSED and reason is not None and reason in _CLOSED_REASONS:
        key += f".{reason.value}"
    return _text(key, _unit(catalog, case.unit_id)) if has(key) else case.status.value


def event_text(event: TimelineEvent, catalog: Catalog, case: Case | None = None) -> str:
    """The platform's public text for a status change (said of the public, never the staff's words);
    with the case, a reply's text is followed by the unit's answer of that round, scrubbed."""
    unit = _unit(catalog, event.unit_id)
    if event.type in _OWN_TEXTS:
        return _text(f"open311.event.{event.type.value.lower()}", unit)
    said = public_message(event, FEED_LANGUAGE)
    names = unit_names({unit.id: unit} if unit else {})
    text = render(said, FEED_LANGUAGE, names) if said else event.type.value
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
    return _text("open311.place", district=names["zh"]) if names else None


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
