"""The fakes keep the adapters' contracts: each scenario runs against the DynamoDB repositories on moto
and against the in-memory fakes of tests/fakes.py, with the same expectations. If an adapter changes
what it promises, the fake that the service tests rely on must change with it, or this fails.

One stack serves the module; every scenario works on ids (and, for the sweep index, a year) of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from minyi.adapters.dynamo import (
    DynamoCaseRepository,
    DynamoOutboxRepository,
    DynamoScoreboardRepository,
    DynamoUploadRepository,
)
from minyi.domain import lifecycle
from minyi.domain.errors import ConcurrentUpdate, InvalidInput
from minyi.domain.lifecycle import RatingPolicy, Transition
from minyi.domain.messages import message
from minyi.domain.models import (
    Actor,
    Attachment,
    AttachmentKind,
    Case,
    CaseStatus,
    Category,
    EventType,
    OutboxStatus,
    Role,
    TrackingEntry,
    Upload,
    WorkflowWait,
)
from minyi.domain.notices import Notice
from minyi.ports import CaseRepository, OutboxRepository, ScoreboardRepository, UploadRepository
from tests.fakes import FakeCaseRepository, FakeOutboxRepository, FakeScoreboardRepository, FakeUploadRepository
from tests.integration.conftest import Stack

UNIT = "futian-traffic-police"
STAFF = Actor(role=Role.STAFF, id="staff-1", unit_id=UNIT)


@dataclass
class Repos:
    kind: str
    cases: CaseRepository
    uploads: UploadRepository
    outbox: OutboxRepository
    counters: ScoreboardRepository


@pytest.fixture(params=["dynamo", "fake"])
def repos(request: pytest.FixtureRequest) -> Iterator[Repos]:
    if request.param == "dynamo":
        stack: Stack = request.getfixturevalue("stack")
        yield Repos(
            "dynamo",
            DynamoCaseRepository(stack.table),
            DynamoUploadRepository(stack.table),
            DynamoOutboxRepository(stack.table),
            DynamoScoreboardRepository(stack.table),
        )
    else:
        uploads = FakeUploadRepository()
        cases = FakeCaseRepository(uploads)
        yield Repos("fake", cases, uploads, FakeOutboxRepository(), FakeScoreboardRepository(cases))


def new_case(at: datetime, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "tracking_no": f"SZ-{uuid.uuid4().hex[:10].upper()}",
        "citizen_id": f"c-{uuid.uuid4().hex[:8]}",
        "phone": "+8613812345678",
        "category": Category.COMPLAINT,
        "topic": "traffic",
        "district": "futian",
        "description": "contract",
        "status": CaseStatus.SUBMITTED,
        "created_at": at,
        "updated_at": at,
    }
    return Case(**{**fields, **overrides})


def create(repos: Repos, at: datetime, uploads: list[str] | None = None, **overrides: Any) -> Case:
    case = new_case(at, **overrides)
    repos.cases.create_case(lifecycle.submitted(case, at), "5678", uploads or [])
    stored = repos.cases.get_case(case.id)
    assert stored is not None
    return stored


def dispatched(repos: Repos, at: datetime, due: datetime, **overrides: Any) -> Case:
    case = create(repos, at, **overrides)
    return repos.cases.save(lifecycle.dispatch(case, UNIT, due, lifecycle.ROUTER, at, "rule"))


def upload(repos: Repos, owner: str, at: datetime) -> Upload:
    item = Upload(
        upload_id=uuid.uuid4().hex,
        owner_id=owner,
        key=f"uploads/{owner}/x",
        content_type="image/png",
        size=10,
        created_at=at,
        expires_at=int(at.timestamp()) + 3600,
    )
    repos.uploads.put(item)
    return item


NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


# --- cases -----------------------------------------------------------------------------------------


def test_a_save_with_a_stale_version_is_refused_and_writes_no_event(repos: Repos) -> None:
    case = dispatched(repos, NOW, NOW + timedelta(days=5))
    first = lifecycle.accept(case, STAFF, NOW)
    second = lifecycle.accept(case, STAFF, NOW)

    saved = repos.cases.save(first)
    with pytest.raises(ConcurrentUpdate):
        repos.cases.save(second)

    assert saved.version == case.version + 1
    stored = repos.cases.get_case(case.id)
    assert stored is not None and stored.version == saved.version and stored.status == CaseStatus.IN_PROGRESS
    assert [e.type for e in repos.cases.timeline(case.id)].count(EventType.ACCEPTED) == 1


def merge_of(repos: Repos) -> tuple[Case, Case, Transition, Transition]:
    """Two open reports of one problem held by one unit, and the merge of the second into the first."""
    kept = dispatched(repos, NOW, NOW + timedelta(days=5))
    other = dispatched(repos, NOW, NOW + timedelta(days=5))
    merged, keeping = lifecycle.merge(other, kept, "the same light", STAFF, NOW)
    return kept, other, merged, keeping


def test_save_all_writes_two_cases_and_their_events_in_one_version_checked_transaction(repos: Repos) -> None:
    # Given two open cases of one problem and the merge of one into the other
    kept, other, merged, keeping = merge_of(repos)
    # When both transitions are saved together
    saved = repos.cases.save_all([merged, keeping])
    # Then both cases moved one version, in order, and each has its event
    assert [c.id for c in saved] == [other.id, kept.id]
    assert [c.version for c in saved] == [other.version + 1, kept.version + 1]
    stored_other, stored_kept = repos.cases.get_case(other.id), repos.cases.get_case(kept.id)
    assert stored_other is not None and stored_other.status == CaseStatus.MERGED
    assert stored_other.merged_into == kept.tracking_no and stored_other.version == other.version + 1
    assert stored_kept is not None and [r.case_id for r in stored_kept.reporters] == [other.id]
    assert stored_kept.version == kept.version + 1
    assert repos.cases.timeline(other.id)[-1].type == EventType.MERGED
    assert repos.cases.timeline(kept.id)[-1].type == EventType.REPORTER_ADDED


@pytest.mark.parametrize("stale", ["merged", "kept"])
def test_save_all_with_a_stale_version_of_either_case_writes_neither(repos: Repos, stale: str) -> None:
    # Given the merge of two cases, and another writer that moved one of them meanwhile
    kept, other, merged, keeping = merge_of(repos)
    moved = other if stale == "merged" else kept
    repos.cases.save(lifecycle.accept(moved, STAFF, NOW))
    # When both transitions are saved together, Then it is refused
    with pytest.raises(ConcurrentUpdate):
        repos.cases.save_all([merged, keeping])
    # And neither case nor any event of the merge was written
    stored_other, stored_kept = repos.cases.get_case(other.id), repos.cases.get_case(kept.id)
    assert stored_other is not None and stored_other.status != CaseStatus.MERGED
    assert stored_kept is not None and stored_kept.reporters == []
    assert EventType.MERGED not in [e.type for e in repos.cases.timeline(other.id)]
    assert EventType.REPORTER_ADDED not in [e.type for e in repos.cases.timeline(kept.id)]
    versions = {other.id: stored_other.version, kept.id: stored_kept.version}
    assert versions == {other.id: other.version, kept.id: kept.version, moved.id: moved.version + 1}


def test_park_stores_the_wait_with_a_version_check_and_moves_the_version(repos: Repos) -> None:
    case = dispatched(repos, NOW, NOW + timedelta(days=5))
    wait = WorkflowWait(phase="handling", round=1, token="tok-1", due_at=case.due_at)

    parked = repos.cases.park(case, wait)
    with pytest.raises(ConcurrentUpdate):
        repos.cases.park(case, wait.model_copy(update={"token": "tok-2"}))  # the version it read is gone
    with pytest.raises(ConcurrentUpdate):
        repos.cases.save(lifecycle.accept(case, STAFF, NOW))  # a writer that read before the park

    stored = repos.cases.get_case(case.id)
    assert stored is not None and stored.wait == wait and stored.version == parked.version == case.version + 1
    # nothing else of the case changed, and no event was written
    assert stored.model_dump(exclude={"wait", "version"}) == case.model_dump(exclude={"wait", "version"})
    assert [e.type for e in repos.cases.timeline(case.id)] == [EventType.SUBMITTED, EventType.DISPATCHED]


def test_creation_claims_the_citizens_uploads_all_or_nothing(repos: Repos) -> None:
    owner = f"c-{uuid.uuid4().hex[:8]}"
    mine = upload(repos, owner, NOW)
    theirs = upload(repos, "someone-else", NOW)
    attachment = Attachment(upload_id=mine.upload_id, key="k", kind=AttachmentKind.PHOTO, content_type="x", size=1)

    refused = new_case(NOW, citizen_id=owner, attachments=[attachment])
    with pytest.raises(ConcurrentUpdate):
        repos.cases.create_case(lifecycle.submitted(refused, NOW), "5678", [mine.upload_id, theirs.upload_id])
    assert repos.cases.get_case(refused.id) is None
    assert repos.cases.tracking(refused.tracking_no) is None
    assert (repos.uploads.get(mine.upload_id) or mine).case_id is None

    case = create(repos, NOW, uploads=[mine.upload_id], citizen_id=owner, attachments=[attachment])
    claimed = repos.uploads.get(mine.upload_id)
    assert claimed is not None and claimed.case_id == case.id
    with pytest.raises(ConcurrentUpdate):  # claimed once only
        create(repos, NOW, uploads=[mine.upload_id], citizen_id=owner)


def test_a_tracking_number_is_taken_once_and_found_by_its_number(repos: Repos) -> None:
    case = create(repos, NOW)
    assert repos.cases.tracking(case.tracking_no) == TrackingEntry(
        tracking_no=case.tracking_no, case_id=case.id, phone_last4="5678"
    )
    with pytest.raises(ConcurrentUpdate):
        create(repos, NOW, tracking_no=case.tracking_no)
    assert repos.cases.tracking("SZ-NO-SUCH") is None


def pages(fetch: Any, limit: int) -> list[list[str]]:
    """Every page of a list, following cursors (a full page may be followed by an empty one)."""
    result: list[list[str]] = []
    cursor = None
    while True:
        cases, cursor = fetch(limit, cursor)
        if cases:
            result.append([c.id for c in cases])
        if cursor is None:
            return result


def test_a_citizens_list_is_newest_first_in_pages_with_cursors_bound_to_it(repos: Repos) -> None:
    citizen = f"c-{uuid.uuid4().hex[:8]}"
    ids = [create(repos, NOW + timedelta(minutes=i), citizen_id=citizen).id for i in range(3)]

    listed = pages(lambda limit, cursor: repos.cases.list_citizen_cases(citizen, limit, cursor), 2)

    assert listed == [ids[::-1][:2], ids[::-1][2:]]
    _, cursor = repos.cases.list_citizen_cases(citizen, 2, None)
    with pytest.raises(InvalidInput) as refused:
        repos.cases.list_citizen_cases("someone-else", 2, cursor)
    assert refused.value.field == "cursor"
    with pytest.raises(InvalidInput):
        repos.cases.list_citizen_cases(citizen, 2, "not-a-cursor")


def test_several_owners_cases_are_one_list_newest_first_with_cursors_bound_to_the_owners(repos: Repos) -> None:
    # Given a citizen's app requests and the hotline calls from their mobile, interleaved in time
    account, caller = f"c-{uuid.uuid4().hex[:8]}", f"caller-{uuid.uuid4().hex[:8]}"
    ids = [create(repos, NOW + timedelta(minutes=i), citizen_id=(account, caller)[i % 2]).id for i in range(5)]
    create(repos, NOW + timedelta(minutes=9), citizen_id=f"caller-{uuid.uuid4().hex[:8]}")  # someone else's call
    # When both are listed as one, two a page
    listed = pages(lambda limit, cursor: repos.cases.list_owner_cases([account, caller], limit, cursor), 2)
    # Then every case is there once, newest first, and no one else's
    newest = ids[::-1]
    assert listed == [newest[:2], newest[2:4], newest[4:]]
    # And a cursor serves these owners only, and a made-up one is refused naming the cursor
    _, cursor = repos.cases.list_owner_cases([account, caller], 2, None)
    with pytest.raises(InvalidInput) as refused:
        repos.cases.list_owner_cases([account, "caller-other"], 2, cursor)
    assert refused.value.field == "cursor"
    with pytest.raises(InvalidInput):
        repos.cases.list_owner_cases([account, caller], 2, "not-a-cursor")


def test_a_units_inbox_is_most_urgent_first_and_a_closed_case_moves_to_its_history(repos: Repos) -> None:
    unit = f"unit-{uuid.uuid4().hex[:6]}"
    later = create(repos, NOW)
    sooner = create(repos, NOW)
    later = repos.cases.save(lifecycle.dispatch(later, unit, NOW + timedelta(days=9), lifecycle.ROUTER, NOW, "r"))
    sooner = repos.cases.save(lifecycle.dispatch(sooner, unit, NOW + timedelta(days=2), lifecycle.ROUTER, NOW, "r"))
    staff = Actor(role=Role.STAFF, id="s", unit_id=unit)
    accepted = repos.cases.save(lifecycle.accept(sooner, staff, NOW))

    inbox = pages(lambda limit, cursor: repos.cases.list_unit_cases(unit, None, limit, cursor), 1)
    in_progress, _ = repos.cases.list_unit_cases(unit, CaseStatus.IN_PROGRESS, 10, None)
    assert inbox == [[sooner.id], [later.id]]
    assert [c.id for c in in_progress] == [sooner.id]

    replied = repos.cases.save(lifecycle.reply(accepted, "done", staff, NOW))
    repos.cases.save(lifecycle.close_unrated(replied, NOW + timedelta(days=3)))
    open_cases, _ = repos.cases.list_unit_cases(unit, None, 10, None)
    history, _ = repos.cases.list_unit_history(unit, CaseStatus.CLOSED, 10, None)
    assert [c.id for c in open_cases] == [later.id]
    assert [c.id for c in history] == [sooner.id]


def test_the_sweep_index_holds_the_due_cases_per_shard_up_to_the_limit(repos: Repos) -> None:
    # a year no other scenario uses: only this test's cases can be due
    at = datetime(2001, 5, 7, 1, 0, tzinfo=UTC)
    due = [dispatched(repos, at, at + timedelta(days=8)) for _ in range(6)]
    dispatched(repos, at, at + timedelta(days=80))  # its warning point is far later
    warn_at = at + timedelta(days=6)

    found: list[str] = []
    for shard in range(4):
        cases, read = repos.cases.due_for_sweep(shard, warn_at, 500)
        assert read == len(cases)
        found += [c.id for c in cases]
        limited, read = repos.cases.due_for_sweep(shard, warn_at, 1)
        assert len(limited) == read == min(1, len(cases))

    assert sorted(found) == sorted(c.id for c in due)
    assert all(repos.cases.due_for_sweep(s, warn_at - timedelta(seconds=1), 500)[0] == [] for s in range(4))
    # flagged cases leave the index
    for case in due:
        repos.cases.save(lifecycle.flag_for_supervisor(case, warn_at, "contract test"))
    assert all(repos.cases.due_for_sweep(s, warn_at, 500)[0] == [] for s in range(4))


def test_the_supervision_list_holds_open_cases_a_supervisor_must_see(repos: Repos) -> None:
    case = dispatched(repos, NOW, NOW + timedelta(days=1))
    listed = pages(lambda limit, cursor: repos.cases.list_supervision(limit, cursor), 100)
    assert case.id not in [i for page in listed for i in page]
    overdue = repos.cases.save(lifecycle.mark_overdue(case, NOW + timedelta(days=2)))
    listed = pages(lambda limit, cursor: repos.cases.list_supervision(limit, cursor), 100)
    assert case.id in [i for page in listed for i in page]
    assert overdue.overdue


# --- outbox ----------------------------------------------------------------------------------------


def notice(case_id: str, kind: str = "citizen") -> Notice:
    return Notice(
        case_id=case_id,
        event_seq=2,
        event_type=EventType.DISPATCHED,
        kind=kind,  # type: ignore[arg-type]
        to="+8613812345678",
        body="text",
        segments=1,
    )


def test_the_outbox_claims_once_and_sent_is_final(repos: Repos) -> None:
    case_id = uuid.uuid4().hex
    citizen, unit = notice(case_id), notice(case_id, "unit")

    assert repos.outbox.claim(citizen, NOW) is None
    assert repos.outbox.claim(citizen, NOW) == OutboxStatus.PENDING
    repos.outbox.finish(citizen, OutboxStatus.FAILED, NOW, None, "refused " * 100)
    assert repos.outbox.claim(citizen, NOW) == OutboxStatus.FAILED
    repos.outbox.finish(citizen, OutboxStatus.SENT, NOW, "sms-1", None)
    assert repos.outbox.claim(citizen, NOW) == OutboxStatus.SENT
    with pytest.raises(Exception):  # noqa: B017 - the table's conditional check, the fake's ConcurrentUpdate
        repos.outbox.finish(citizen, OutboxStatus.FAILED, NOW, None, "late failure")
    assert repos.outbox.claim(unit, NOW) is None

    entries = {e.kind: e for e in repos.outbox.entries(case_id)}
    assert set(entries) == {"citizen", "unit"}
    sent = entries["citizen"]
    assert (sent.status, sent.attempts, sent.provider_message_id, sent.last_error) == (
        OutboxStatus.SENT,
        2,
        "sms-1",
        None,
    )
    assert sent.sent_at is not None and entries["unit"].status == OutboxStatus.PENDING


# --- scoreboard ------------------------------------------------------------------------------------


def test_an_event_is_counted_once_and_only_if_it_is_in_the_table(repos: Repos) -> None:
    at = datetime(2002, 3, 4, 2, 0, tzinfo=UTC)  # days no other scenario counts on
    case = dispatched(repos, at, at + timedelta(days=5))
    unit = f"unit-{uuid.uuid4().hex[:6]}"
    submitted_event, dispatched_event = repos.cases.timeline(case.id)

    assert repos.counters.count_event(dispatched_event, "2002-03-04", unit, {"dispatched": 1}, at) is True
    assert repos.counters.count_event(dispatched_event, "2002-03-04", unit, {"dispatched": 1}, at) is False
    ghost = dispatched_event.model_copy(update={"case_id": "ghost-" + uuid.uuid4().hex})
    assert repos.counters.count_event(ghost, "2002-03-04", unit, {"dispatched": 1}, at) is False
    assert repos.counters.count_event(submitted_event, "2002-04-01", unit, {"submitted": 1}, at) is True

    def totals(day_from: date, day_to: date) -> dict[str, int]:
        rows, _ = repos.counters.stats_rows(day_from, day_to, unit)
        summed: dict[str, int] = {}
        for row_unit, counts in rows:
            assert row_unit == unit
            for name in ("dispatched", "submitted"):
                summed[name] = summed.get(name, 0) + int(counts.get(name, 0))
        return summed

    assert totals(date(2002, 3, 4), date(2002, 3, 4)) == {"dispatched": 1, "submitted": 0}
    assert totals(date(2002, 3, 1), date(2002, 4, 30)) == {"dispatched": 1, "submitted": 1}  # a month and a day
    assert totals(date(2002, 3, 5), date(2002, 3, 31)) == {}
    _, reads = repos.counters.stats_rows(date(2002, 1, 1), date(2002, 12, 31), unit)
    assert reads == 12  # one read per month, whatever the number of cases


def test_open_overdue_gauges_move_with_their_events(repos: Repos) -> None:
    at = datetime(2003, 3, 4, 2, 0, tzinfo=UTC)
    unit = f"unit-{uuid.uuid4().hex[:6]}"
    first = dispatched(repos, at, at + timedelta(days=5))
    second = dispatched(repos, at, at + timedelta(days=5))
    day = "2003-03-04"
    for case in (first, second):
        event = repos.cases.timeline(case.id)[-1]
        assert repos.counters.count_event(event, day, unit, {"overdue": 1}, at, gauges={unit: 1})
    closing = repos.cases.timeline(first.id)[0]
    assert repos.counters.count_event(closing, day, unit, {}, at, gauges={unit: -1})

    assert repos.counters.open_overdue(unit) == {unit: 1}
    assert unit in repos.counters.open_overdue(None)


def test_a_save_without_events_moves_only_the_version(repos: Repos) -> None:
    case = dispatched(repos, NOW, NOW + timedelta(days=5))
    saved = repos.cases.save(Transition(before=case, after=case, events=[]))
    stored = repos.cases.get_case(case.id)
    assert stored is not None and stored.version == saved.version == case.version + 1
    assert [e.seq for e in repos.cases.timeline(case.id)] == [1, 2]


def test_an_events_message_and_schema_version_are_read_back_as_written(repos: Repos) -> None:
    # Given a rating stored with the platform's note as a message (scores as numbers) and the citizen's words
    case = dispatched(repos, NOW, NOW + timedelta(days=5))
    case = repos.cases.save(lifecycle.accept(case, STAFF, NOW))
    case = repos.cases.save(lifecycle.reply(case, "已处理", STAFF, NOW))
    scores = {"speed": 4, "effectiveness": 2, "experience": 3, "feedback_quality": 2}
    rating = lifecycle.rate(
        case,
        scores,
        "还没好",
        Actor(role=Role.CITIZEN, id=case.citizen_id),
        NOW,
        RatingPolicy(),
        NOW + timedelta(days=3),
    )
    repos.cases.save(rating)
    # When the timeline is read back
    stored = {e.seq: e for e in repos.cases.timeline(case.id)}
    # Then every event is what was written: its message (key, facts and their types), its note, version 2
    for written in rating.events:
        assert stored[written.seq] == written and stored[written.seq].v == 2
    rated = stored[rating.events[0].seq]
    assert rated.message == message("note.rated.unsatisfied.commented", **scores) and rated.note == "还没好"
    assert all(isinstance(v, int) for v in rated.message.params.values())


def test_an_event_stored_before_messages_reads_as_schema_v1(stack: Stack) -> None:
    # Given an event item as the v1 adapter wrote it: no version, the platform's note in English
    table = stack.table
    item = {
        "PK": "CASE#old-1",
        "SK": "EVENT#00002",
        "entity": "event",
        "case_id": "old-1",
        "seq": 2,
        "type": "dispatched",
        "at": "2026-03-02T01:00:00Z",
        "actor_role": "system",
        "actor_id": "router",
        "status": "DISPATCHED",
        "unit_id": UNIT,
        "note": "routed to 福田区交警大队",
        "round": 1,
        "due_at": "2026-03-07T01:00:00Z",
        "facts": {},
    }
    table.ddb.put_item(TableName=table.name, Item=table.codec.item(item))
    # When the timeline is read
    (event,) = DynamoCaseRepository(table).timeline("old-1")
    # Then it is a v1 event with its note as written and no message (the api's legacy reader renders it)
    assert (event.v, event.message, event.note) == (1, None, "routed to 福田区交警大队")


# --- units organise their work: urgent first, assignee filter, 协办 list ------------------------------


def test_urgent_cases_come_first_in_the_inbox_and_the_assignee_filter_keeps_theirs(repos: Repos) -> None:
    # Given two cases of a unit of its own, the urgent one due later
    unit = f"unit-{uuid.uuid4().hex[:8]}"
    staff = Actor(role=Role.STAFF, id="staff-1", unit_id=unit)
    at = NOW
    early = create(repos, at)
    early = repos.cases.save(lifecycle.dispatch(early, unit, at + timedelta(hours=1), lifecycle.ROUTER, at, "r"))
    urgent = create(repos, at)
    urgent = repos.cases.save(
        lifecycle.dispatch(urgent, unit, at + timedelta(hours=4), lifecycle.ROUTER, at, "r", urgent=True)
    )
    # Then the urgent one is listed first
    assert [c.id for c in repos.cases.list_unit_cases(unit, None, 10, None)[0]] == [urgent.id, early.id]
    # When the early one is given to Li, Then Li's list holds only it
    repos.cases.save(lifecycle.assign(early, "li", staff, at))
    assert [c.id for c in repos.cases.list_unit_cases(unit, None, 10, None, assignee="li")[0]] == [early.id]
    assert repos.cases.list_unit_cases(unit, None, 10, None, assignee="wang")[0] == []


def test_an_assisting_unit_lists_the_open_cases_it_helps_on(repos: Repos) -> None:
    # Given a case led by UNIT on which two units of their own were asked to help
    helper, other = f"help-{uuid.uuid4().hex[:8]}", f"help-{uuid.uuid4().hex[:8]}"
    case = dispatched(repos, NOW, NOW + timedelta(days=5))
    case = repos.cases.save(lifecycle.request_assist(case, [helper, other], "help", STAFF, NOW))
    # Then each lists it (a copy current with the case), the lead's inbox is unchanged
    [listed] = repos.cases.list_assisting(helper, 10, None)[0]
    assert listed.id == case.id and listed.unit_id == UNIT and listed.assist_units == [helper, other]
    case = repos.cases.save(lifecycle.accept(case, STAFF, NOW))
    assert repos.cases.list_assisting(other, 10, None)[0][0].status == CaseStatus.IN_PROGRESS
    # When a dispatcher transfers it to one of the helpers, Then that one no longer lists it as 协办
    dispatcher = Actor(role=Role.DISPATCHER, id="d-1")
    case = repos.cases.save(lifecycle.transfer(case, helper, NOW + timedelta(days=5), "theirs", dispatcher, NOW))
    assert repos.cases.list_assisting(helper, 10, None)[0] == []
    assert [c.id for c in repos.cases.list_assisting(other, 10, None)[0]] == [case.id]
    # When the case ends, Then it leaves every 协办 list
    repos.cases.save(lifecycle.withdraw(case, None, Actor(role=Role.CITIZEN, id=case.citizen_id), NOW))
    assert repos.cases.list_assisting(other, 10, None)[0] == []
