"""Open311 without AWS: parameter parsing, rendering, the case mapping and the service's rules
(keys, rate limit, idempotency, the feed's ordering) on small in-memory fakes. Milliseconds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import defusedxml.ElementTree as SafeET
import pytest

from minyi import bootstrap
from minyi.adapters.catalog_file import shenzhen_catalog, shenzhen_units_and_rules
from minyi.config import Open311Settings, ProjectionsSettings
from minyi.domain import lifecycle, scoreboard
from minyi.domain.errors import InvalidInput
from minyi.domain.models import (
    Actor,
    Case,
    CaseStatus,
    Category,
    Channel,
    CloseReason,
    EventType,
    Location,
    Role,
    TimelineEvent,
    TrackingEntry,
)
from minyi.domain.notices import NoticeContext
from minyi.observability import serving_invocation
from minyi.open311 import keys, mapping, params, render
from minyi.open311.errors import Open311Error, Problem
from minyi.open311.model import ApiKey, PublicRequest, PublicUpdate, SubmissionClaim
from minyi.services.catalog import CatalogCache
from minyi.services.notify import plan_notices
from minyi.services.open311 import ApiKeyService
from minyi.services.results import NewRequest
from tests.fakes import fake_settings

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
CATALOG = shenzhen_catalog()


def problems(exc: pytest.ExceptionInfo[Open311Error]) -> list[str]:
    return [p.description.split(":")[0] for p in exc.value.problems]


# --- fakes -----------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeCatalogRepo:
    def load(self) -> Any:
        return CATALOG

    def version(self) -> int:
        return 0

    def seed(self, *_: Any) -> None: ...

    def routing_rule(self, *_: Any) -> None:
        return None


class FakeKeys:
    def __init__(self) -> None:
        self.keys: dict[str, ApiKey] = {}
        self.hits: dict[tuple[str, int], int] = {}

    def create(self, key: ApiKey) -> None:
        self.keys[key.key_id] = key

    def get(self, key_id: str) -> ApiKey | None:
        return self.keys.get(key_id)

    def list_keys(self) -> list[ApiKey]:
        return list(self.keys.values())

    def revoke(self, key_id: str, at: datetime) -> ApiKey | None:
        key = self.keys.get(key_id)
        if key is None:
            return None
        self.keys[key_id] = key.model_copy(update={"revoked_at": key.revoked_at or at})
        return self.keys[key_id]

    def take(self, key_id: str, window: int, limit: int, expires_at: int) -> bool:
        count = self.hits.get((key_id, window), 0)
        if count >= limit:
            return False
        self.hits[(key_id, window)] = count + 1
        return True

    def count_submission(self, key_id: str, at: datetime) -> None:
        self.keys[key_id] = self.keys[key_id].model_copy(update={"submitted": self.keys[key_id].submitted + 1})


class FakeFeed:
    def __init__(self) -> None:
        self.stored: dict[str, tuple[int, PublicRequest]] = {}
        self.updates_seen: list[PublicUpdate] = []
        self.claims: dict[str, SubmissionClaim] = {}

    def put_request(self, request: PublicRequest, version: int) -> bool:
        held = self.stored.get(request.case_id)
        if held is not None and held[0] > version:
            return False
        self.stored[request.case_id] = (version, request)
        return True

    def put_update(self, update: PublicUpdate) -> None:
        self.updates_seen.append(update)

    def requests(
        self,
        start: datetime,
        end: datetime,
        service_codes: Sequence[str] | None,
        statuses: Sequence[str] | None,
        offset: int,
        limit: int,
    ) -> list[PublicRequest]:
        items = sorted((r for _, r in self.stored.values()), key=lambda r: r.requested_datetime, reverse=True)
        items = [r for r in items if start <= r.requested_datetime <= end]
        items = [r for r in items if not service_codes or r.service_code in service_codes]
        items = [r for r in items if not statuses or r.status in statuses]
        return items[offset : offset + limit]

    def updates(self, start: datetime, end: datetime, offset: int, limit: int) -> list[PublicUpdate]:
        return [u for u in self.updates_seen if start <= u.updated_datetime <= end][offset : offset + limit]

    def claim(
        self, key: str, fingerprint: str, now: datetime, stale_before: datetime, expires_at: int
    ) -> SubmissionClaim | None:
        held = self.claims.get(key)
        if held is None or (held.case_id is None and held.claimed_at < stale_before):
            self.claims[key] = SubmissionClaim(fingerprint=fingerprint, claimed_at=now)
            return None
        return held

    def complete(self, key: str, case_id: str) -> None:
        self.claims[key] = self.claims[key].model_copy(update={"case_id": case_id})

    def release(self, key: str) -> None:
        if self.claims.get(key) and self.claims[key].case_id is None:
            del self.claims[key]


class FakeCases:
    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.events: dict[str, list[TimelineEvent]] = {}
        self.reads: list[str] = []  # the case ids get_case was asked for

    def add(self, case: Case, events: list[TimelineEvent] | None = None) -> Case:
        self.cases[case.id] = case
        self.events[case.id] = events or []
        return case

    def get_case(self, case_id: str, consistent: bool = True) -> Case | None:
        self.reads.append(case_id)
        return self.cases.get(case_id)

    def tracking(self, tracking_no: str) -> TrackingEntry | None:
        case = next((c for c in self.cases.values() if c.tracking_no == tracking_no), None)
        return TrackingEntry(tracking_no=tracking_no, case_id=case.id, phone_last4="") if case else None

    def timeline(self, case_id: str) -> list[TimelineEvent]:
        return self.events.get(case_id, [])


class FakeRequests:
    """Stands in for RequestService.submit: records what it was given and files a case."""

    def __init__(self, cases: FakeCases, clock: Clock, fail: Exception | None = None):
        self.cases, self.clock, self.fail = cases, clock, fail
        self.filed: list[tuple[Actor, NewRequest]] = []

    def submit(self, actor: Actor, request: NewRequest) -> Case:
        if self.fail is not None:
            raise self.fail
        self.filed.append((actor, request))
        case = make_case(
            citizen_id=actor.id,
            **request.model_dump(exclude={"attachments", "language"}),
        )
        return self.cases.add(case)


def make_case(**overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "tracking_no": "SZ2611-" + uuid.uuid4().hex[:6].upper().replace("0", "2").replace("1", "3"),
        "citizen_id": "c-1",
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "违停",
        "status": CaseStatus.SUBMITTED,
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(overrides)
    return Case(**fields)


class World:
    def __init__(self, rate_limit: int = 60, fail: Exception | None = None):
        self.clock = Clock()
        self.cases = FakeCases()
        self.keys = FakeKeys()
        self.feed = FakeFeed()
        self.requests = FakeRequests(self.cases, self.clock, fail)
        settings = fake_settings(Open311Settings, open311_rate_limit_per_minute=rate_limit)
        catalog = CatalogCache(FakeCatalogRepo())  # type: ignore[arg-type]
        self.service = bootstrap.open311_service(
            settings,
            requests=self.requests,  # type: ignore[arg-type]
            cases=self.cases,  # type: ignore[arg-type]
            catalog=catalog,
            feed=self.feed,
            keys=self.keys,
            clock=self.clock,
        )
        # the feed's projector, as the projections function wires it
        self.projector = bootstrap.open311_feed_service(
            fake_settings(ProjectionsSettings),
            cases=self.cases,  # type: ignore[arg-type]
            catalog=catalog,
            feed=self.feed,
        )
        self.admin = ApiKeyService(self.keys, self.clock)
        self.api_key = self.admin.issue(Actor(role=Role.ADMIN, id="admin-1"), "FixMyStreet").api_key


FORM = {
    "service_code": "traffic",
    "attribute[category]": "complaint",
    "lat": "22.5431",
    "long": "114.0579",
    "description": "违停",
}


# --- parameters ------------------------------------------------------------------------------------


def test_a_point_inside_shenzhen_gives_the_nearest_district() -> None:
    assert params.parse_submission({**FORM, "lat": "22.52", "long": "113.93"}, CATALOG).district == "nanshan"
    assert params.parse_submission({**FORM, "lat": "22.72", "long": "114.25"}, CATALOG).district == "longgang"
    chosen = params.parse_submission({**FORM, "attribute[district]": "luohu"}, CATALOG)
    assert chosen.district == "luohu"  # a given district wins over the coordinates


def test_phones_mainland_mobiles_are_kept_others_dropped_and_nonsense_refused() -> None:
    assert params.parse_submission({**FORM, "phone": "138 1234 5678"}, CATALOG).phone == "+8613812345678"
    assert params.parse_submission({**FORM, "phone": "+85291234567"}, CATALOG).phone == ""
    with pytest.raises(Open311Error) as exc:
        params.parse_submission({**FORM, "phone": "12345"}, CATALOG)
    assert problems(exc) == ["phone"]


def test_coordinates_out_of_range_or_not_numbers_are_named() -> None:
    with pytest.raises(Open311Error) as exc:
        params.parse_submission({**FORM, "lat": "95", "long": "nan"}, CATALOG)
    assert problems(exc) == ["long"]
    with pytest.raises(Open311Error) as exc:
        params.parse_submission({**FORM, "lat": "95"}, CATALOG)
    assert problems(exc) == ["lat"]


def test_address_id_alone_is_explained() -> None:
    form = {k: v for k, v in FORM.items() if k not in ("lat", "long")}
    with pytest.raises(Open311Error) as exc:
        params.parse_submission({**form, "address_id": "A-1", "attribute[district]": "futian"}, CATALOG)
    assert [p.description for p in exc.value.problems] == [
        "address_id: not supported here; send lat and long, or address_string"
    ]


def test_the_window_defaults_to_the_last_90_days_and_is_capped() -> None:
    now = T0
    q = params.parse_request_query({}, CATALOG, now)
    assert (q.window.start, q.window.end) == (now - timedelta(days=90), now)
    q = params.parse_request_query({"start_date": "2026-10-01T00:00:00+08:00"}, CATALOG, now)
    assert q.window.end - q.window.start == timedelta(days=90)
    q = params.parse_request_query({"end_date": "2026-10-01T00:00:00Z"}, CATALOG, now)
    assert q.window.end - q.window.start == timedelta(days=90)
    q = params.parse_request_query({"start_date": "2026-11-01", "end_date": "2026-11-01"}, CATALOG, now)
    assert q.window.start.isoformat() == "2026-11-01T00:00:00+08:00"
    assert q.window.end.isoformat() == "2026-11-01T23:59:59.999999+08:00"
    with pytest.raises(Open311Error) as exc:
        params.parse_request_query({"start_date": "2026-01-01", "end_date": "2026-04-02"}, CATALOG, now)
    assert problems(exc) == ["end_date"]


def test_empty_parameters_are_absent_and_lists_are_comma_separated() -> None:
    q = params.parse_request_query(
        {"status": "", "service_code": " ", "page": "", "page_size": "", "extensions": ""}, CATALOG, T0
    )
    assert (q.statuses, q.service_codes, q.page, q.page_size, q.extensions) == (None, None, 1, 1000, False)
    assert params.parse_request_query({"status": "closed,open"}, CATALOG, T0).statuses == ["open", "closed"]
    q = params.parse_request_query(
        {"status": "nonsense", "page": "-1", "service_request_id": "sz2611-abcdef, SZ2611-ABCDEF"}, CATALOG, T0
    )
    assert q.ids == ["SZ2611-ABCDEF"] and q.statuses is None  # the ids override every other argument


def test_idempotency_key_from_the_field_or_the_header_but_not_two_different_ones() -> None:
    assert params.idempotency_key({"idempotency_key": "a"}, None) == "a"
    assert params.idempotency_key({}, "b") == "b"
    assert params.idempotency_key({"idempotency_key": ""}, None) is None
    with pytest.raises(Open311Error):
        params.idempotency_key({"idempotency_key": "a"}, "b")


def test_split_format() -> None:
    assert params.split_format("traffic.xml") == ("traffic", "xml")
    assert params.split_format("SZ2611-ABCDEF.json") == ("SZ2611-ABCDEF", "json")
    assert params.split_format("traffic.csv") == ("traffic.csv", None)


# --- rendering -------------------------------------------------------------------------------------


def test_xml_has_the_declaration_no_namespace_and_empty_elements_for_absent_values() -> None:
    request = mapping.public_request(make_case(), CATALOG)
    text = render.requests([request], "xml")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request>')
    root = SafeET.fromstring(text.encode())
    element = root.find("request")
    assert element is not None
    assert [child.tag for child in element] == list(render.REQUEST_FIELDS)
    assert element.findtext("expected_datetime") == "" and element.findtext("requested_datetime", "").endswith("+08:00")


def test_json_lists_are_bare_arrays_and_errors_have_code_and_description() -> None:
    assert render.errors([Problem(400, "a: b"), Problem(400, "c: d")], "json") == (
        '[{"code": 400, "description": "a: b"}, {"code": 400, "description": "c: d"}]'
    )
    xml = SafeET.fromstring(render.errors([Problem(403, "api_key: no")], "xml").encode())
    assert xml.tag == "errors" and xml.findtext("error/code") == "403"


def test_text_is_escaped_in_xml() -> None:
    case = make_case(description='<script>alert("x")</script> & more', public=True)
    request = mapping.public_request(case, CATALOG)
    root = SafeET.fromstring(render.requests([request], "xml").encode())
    assert root.findtext("request/description") == '<script>alert("x")</script> & more'


# --- mapping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "reason", "notes"),
    [
        (CaseStatus.SUBMITTED, None, "已受理，正在分派承办单位"),
        (CaseStatus.DISPATCHED, None, "已派至福田区交警大队办理"),
        (CaseStatus.REPLIED, None, "福田区交警大队已答复，等待评价"),
        (CaseStatus.CLOSED, CloseReason.SATISFIED, "已办结（群众满意）"),
        (CaseStatus.CLOSED, CloseReason.UNRATED, "已办结（群众未评价）"),
    ],
)
def test_status_notes_are_platform_texts(status: CaseStatus, reason: CloseReason | None, notes: str) -> None:
    unit = "futian-traffic-police" if status != CaseStatus.SUBMITTED else None
    request = mapping.public_request(make_case(status=status, unit_id=unit, closed_reason=reason), CATALOG)
    assert request.status_notes == notes
    assert request.status == ("closed" if status == CaseStatus.CLOSED else "open")


def test_internal_events_are_not_updates_and_public_descriptions_hide_phones() -> None:
    case = make_case(description="请回电 13812345678", unit_id="futian-traffic-police", public=True)
    warning = TimelineEvent(
        case_id=case.id, seq=3, type=EventType.DEADLINE_WARNING, at=T0, actor_role=Role.SYSTEM, actor_id="x",
        status=CaseStatus.DISPATCHED, note="内部提醒",
    )  # fmt: skip
    assert mapping.public_update(case, warning, CATALOG) is None
    assert mapping.public_request(case, CATALOG).description == "请回电 [电话]"


# --- the service -----------------------------------------------------------------------------------


def test_a_submission_files_a_case_on_the_open311_channel_as_the_client() -> None:
    world = World()
    answer = world.service.submit(world.api_key, {**FORM, "phone": "13812345678"}, None)
    ((actor, request),) = world.requests.filed
    assert actor.role == Role.CITIZEN and actor.id.startswith("open311:")
    assert request.channel == Channel.OPEN311 and request.phone == "+8613812345678"
    assert request.location == Location(lat=22.5431, lon=114.0579)
    assert answer.service_request_id == world.cases.cases[answer.token].tracking_no
    assert next(iter(world.keys.keys.values())).submitted == 1


def test_keys_missing_malformed_unknown_or_revoked_are_403() -> None:
    world = World()
    for bad in (None, "", "nonsense", "o311_000000000000_x", world.api_key[:-1] + "#"):
        with pytest.raises(Open311Error) as exc:
            world.service.submit(bad, FORM, None)
        assert exc.value.status == 403
    key_id = world.api_key.split("_")[1]
    world.admin.revoke(Actor(role=Role.ADMIN, id="admin-1"), key_id)
    with pytest.raises(Open311Error) as exc:
        world.service.submit(world.api_key, FORM, None)
    assert exc.value.status == 403


def test_a_key_past_its_rate_limit_is_told_when_to_retry() -> None:
    world = World(rate_limit=2)
    world.clock.now = T0 + timedelta(seconds=45)
    world.service.submit(world.api_key, FORM, None)
    world.service.submit(world.api_key, FORM, None)
    with pytest.raises(Open311Error) as exc:
        world.service.submit(world.api_key, FORM, None)
    assert exc.value.status == 429 and exc.value.retry_after == 15
    world.clock.now = T0 + timedelta(seconds=61)
    world.service.submit(world.api_key, FORM, None)  # a new minute


def test_a_retry_while_the_first_is_in_flight_is_409_and_a_failed_first_can_be_retried() -> None:
    world = World()
    key_id = world.api_key.split("_")[1]
    claim = keys.fingerprint(key_id, "", "tok-1")
    world.feed.claims[claim] = SubmissionClaim(fingerprint="x", claimed_at=T0)
    with pytest.raises(Open311Error) as exc:
        world.service.submit(world.api_key, FORM, "tok-1")
    assert exc.value.status == 400  # other parameters under the same token
    del world.feed.claims[claim]
    world.service.submit(world.api_key, FORM, "tok-1")
    world.feed.claims[claim] = world.feed.claims[claim].model_copy(update={"case_id": None})
    with pytest.raises(Open311Error) as exc:
        world.service.submit(world.api_key, FORM, "tok-1")
    assert exc.value.status == 409
    world.clock.now = T0 + timedelta(minutes=2)  # a claim that never finished is taken over
    assert world.service.submit(world.api_key, FORM, "tok-1").service_request_id


def test_a_refused_submission_releases_its_token() -> None:
    world = World(fail=InvalidInput("topic", "error.unknown_topic"))
    with pytest.raises(Open311Error) as exc:
        world.service.submit(world.api_key, FORM, "tok-2")
    assert exc.value.status == 400 and world.feed.claims == {}


def test_the_feed_never_goes_back_to_an_older_version() -> None:
    world = World()
    old = make_case(status=CaseStatus.SUBMITTED, version=1)
    new = old.model_copy(update={"status": CaseStatus.CLOSED, "version": 5, "closed_at": T0})
    event = lifecycle.submitted(old, T0).events[0]
    world.cases.add(new)
    assert world.projector.project(event) is True
    world.cases.add(old)
    assert world.projector.project(event) is False
    assert world.feed.stored[old.id][1].status == "closed"
    assert [u.external_status_code for u in world.feed.updates_seen] == ["SUBMITTED", "SUBMITTED"]


def test_a_batch_projects_a_cases_public_request_once_and_each_of_its_updates() -> None:
    # Given a case with two public status changes in one stream batch
    world = World()
    case = make_case(status=CaseStatus.SUBMITTED, version=1)
    submitted = lifecycle.submitted(case, T0).events[0]
    closed = submitted.model_copy(update={"seq": 2, "type": EventType.CLOSED})
    world.cases.add(case.model_copy(update={"status": CaseStatus.CLOSED, "version": 2, "closed_at": T0}))
    world.cases.reads.clear()

    # When one invocation projects both
    def batch(_event: object, _context: object) -> list[bool]:
        return [world.projector.project(submitted), world.projector.project(closed)]

    stored = serving_invocation(batch, None, None)
    # Then the case was read and its public request written once, and both updates recorded
    assert stored == [True, True] and world.cases.reads == [case.id]
    assert world.feed.stored[case.id][0] == 2
    assert len(world.feed.updates_seen) == 2


def test_admin_keys_need_the_admin_role() -> None:
    world = World()
    from minyi.domain.errors import Forbidden

    with pytest.raises(Forbidden):
        world.admin.issue(Actor(role=Role.SUPERVISOR, id="s-1"), "x")
    assert [k.name for k in world.admin.list_keys(Actor(role=Role.ADMIN, id="a"))] == ["FixMyStreet"]


def test_a_key_is_shown_once_and_only_its_hash_is_kept() -> None:
    key_id, api_key, stored = keys.new_key()
    assert keys.parse(api_key) == (key_id, api_key.split("_", 2)[2])
    assert stored != api_key and api_key.split("_", 2)[2] not in stored
    assert keys.matches(api_key.split("_", 2)[2], stored) and not keys.matches("guess", stored)


# --- channel counts and SMS ------------------------------------------------------------------------


def test_submissions_are_counted_per_channel() -> None:
    event = lifecycle.submitted(make_case(channel=Channel.OPEN311), T0).events[0]
    counts = scoreboard.increments(event)
    assert counts["submitted"] == 1 and counts["submitted_via_open311"] == 1
    rows = [("unassigned", counts), ("unassigned", {"submitted": 1, "submitted_via_app": 1})]
    assert scoreboard.channel_counts(rows) == {"app": 1, "open311": 1}


def test_a_case_without_a_phone_sends_the_citizen_no_sms() -> None:
    units, _ = shenzhen_units_and_rules()
    unit = next(u for u in units if u.id == "futian-traffic-police")
    case = make_case(phone="", status=CaseStatus.DISPATCHED, unit_id=unit.id, due_at=T0 + timedelta(days=5))
    event = TimelineEvent(
        case_id=case.id, seq=2, type=EventType.DISPATCHED, at=T0, actor_role=Role.SYSTEM, actor_id="router",
        status=CaseStatus.DISPATCHED, unit_id=unit.id, due_at=case.due_at,
    )  # fmt: skip
    ctx = NoticeContext(
        case=case, unit=unit, supervisors_phone=None, rating_address="minyi.test/r", rating_code="000000"
    )
    assert [n.kind for n in plan_notices(event, ctx)] == ["unit"]


@pytest.mark.parametrize("function", ["Open311Function", "ProjectionsFunction", "AdminFunction"])
def test_the_template_gives_each_open311_function_the_settings_it_validates(function: str) -> None:
    from infra.local.template import Template
    from minyi.config import FUNCTION_SETTINGS

    template = Template("ap-east-1")
    spec = template.functions()[function]
    env = {k: str(template.resolve(v)) for k, v in spec.environment.items()}
    settings_class = FUNCTION_SETTINGS[function]
    values = {name: env[name.upper()] for name in settings_class.model_fields if name.upper() in env}
    settings_class.model_validate(values)  # raises when a variable is missing or malformed
    routes = {(r.method, r.path, r.public) for r in spec.routes}
    if function == "Open311Function":
        assert all(public for _, path, public in routes) and all(p.startswith("/open311/v2/") for _, p, _ in routes)
        assert ("POST", "/open311/v2/requests.xml", True) in routes
    if function == "AdminFunction":
        # the partners' keys, and the intake topic models (issue 18)
        assert routes == {
            ("POST", "/v1/admin/open311-keys", False),
            ("GET", "/v1/admin/open311-keys", False),
            ("DELETE", "/v1/admin/open311-keys/{key_id}", False),
            ("GET", "/v1/admin/models", False),
            ("POST", "/v1/admin/models/{version}/promote", False),
            ("POST", "/v1/admin/models/{version}/rollback", False),
        }


def test_a_withdrawn_case_is_closed_and_its_withdrawal_an_update() -> None:
    case = make_case(status=CaseStatus.WITHDRAWN, unit_id="futian-traffic-police", due_at=T0 + timedelta(days=5))
    request = mapping.public_request(case, CATALOG)
    assert (request.status, request.status_notes, request.expected_datetime) == ("closed", "诉求人已撤回诉求", None)
    withdrawn = TimelineEvent(
        case_id=case.id, seq=4, type=EventType.WITHDRAWN, at=T0, actor_role=Role.CITIZEN, actor_id="c-1",
        status=CaseStatus.WITHDRAWN, note="不想要了，我叫张三",
    )  # fmt: skip
    update = mapping.public_update(case, withdrawn, CATALOG)
    assert update is not None and update.status == "closed" and update.description == "诉求人已撤回诉求"


def test_control_characters_are_refused_on_input_and_never_written_as_xml() -> None:
    with pytest.raises(Open311Error) as exc:
        params.parse_submission({**FORM, "description": "bad\x00byte"}, CATALOG)
    assert problems(exc) == ["description"]
    request = mapping.public_request(make_case(description="old\x07case\ttext", public=True), CATALOG)
    root = SafeET.fromstring(render.requests([request], "xml").encode())
    assert root.findtext("request/description") == "oldcase\ttext"
