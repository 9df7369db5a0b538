"""Cases, their timeline events and public tracking numbers in the single table.

Every state change is one transaction: the case put conditioned on its version, plus its events,
so a case and its timeline never disagree and a retried write can never apply twice.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from minyi.adapters.dynamo.table import Table, decode_any_cursor, encode_cursor
from minyi.domain import geohash
from minyi.domain.errors import ConcurrentUpdate, InvalidInput
from minyi.domain.lifecycle import Transition, awaits_callback
from minyi.domain.models import (
    DISPATCH_QUEUE,
    TERMINAL_STATUSES,
    Case,
    CaseStatus,
    TimelineEvent,
    TrackingEntry,
    WorkflowWait,
)
from minyi.domain.supervision import supervision_reasons
from minyi.domain.sweep import next_sweep_at

#: The operators' 回访 list on GSI5: hotline replies waiting for their caller's rating.
CALLBACK_PARTITION = "CALLBACK"
#: The sparse sweep index is sharded so no single partition takes every due case.
SWEEP_SHARDS = 4


def sweep_shard(case_id: str) -> int:
    return zlib.crc32(case_id.encode()) % SWEEP_SHARDS


def sort_time(at: datetime) -> str:
    """Index sort keys compare as strings: always UTC, fixed width."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def owners_tag(owner_ids: Sequence[str]) -> str:
    """What binds a merged list's cursor to its owners (their ids never appear in it)."""
    return hashlib.sha256("\n".join(owner_ids).encode()).hexdigest()[:16]


def owner_cursor(cursor: str | None, owner_ids: Sequence[str]) -> str | None:
    """The sort key a merged owners' list goes on below, from a cursor it gave (else a 400 naming it)."""
    key = decode_any_cursor(cursor)
    if key is None:
        return None
    before = key.get("before")
    if set(key) != {"of", "before"} or key["of"] != owners_tag(owner_ids) or not isinstance(before, str) or not before:
        raise InvalidInput("cursor", "error.cursor_other_list")
    return before


#: Prefixes an urgent case's inbox sort key: "!" sorts before every digit, so urgent cases come first
#: and the keys of cases stored before urgency existed stay valid as they are.
URGENT_SORT_PREFIX = "!"


def inbox_sort_key(case: Case) -> str:
    """GSI2SK: urgent cases first, then the most urgent deadline first."""
    key = f"{sort_time(case.due_at or case.dispatch_due_at or case.created_at)}#{case.id}"
    return URGENT_SORT_PREFIX + key if case.urgent else key


def assist_items_keys(case: Case) -> list[dict[str, str]]:
    """The keys of the case's 协办 items, one per assisting unit (`CASE#<id> / ASSIST#<unit>`, a copy of
    the case written with it): on GSI2 under `ASSIST#<unit>` while the case is open, so an assisting
    unit's list is one query of an index the table has (a case has one unit key, many assisting units)."""
    items = []
    for unit_id in case.assist_units:
        keys = {"PK": f"CASE#{case.id}", "SK": f"ASSIST#{unit_id}"}
        if case.status not in TERMINAL_STATUSES:
            keys["GSI2PK"] = f"ASSIST#{unit_id}"
            keys["GSI2SK"] = inbox_sort_key(case)
        items.append(keys)
    return items


#: The sparse index of open cases near a point, by topic and geohash cell (issue 18: duplicate candidates).
NEARBY_INDEX = "NearbyIndex"


def nearby_partition(topic: str, cell: str) -> str:
    return f"NEAR#{topic}#{cell}"


def nearby_keys(case: Case) -> dict[str, str]:
    """NEARPK/NEARSK while the case is open and has a location; none otherwise, so a case that closes,
    is withdrawn or merged leaves the nearby index with the write that changes its status."""
    if case.status in TERMINAL_STATUSES or case.location is None:
        return {}
    cell = geohash.encode(case.location.lat, case.location.lon, geohash.NEAR_PRECISION)
    return {"NEARPK": nearby_partition(case.topic, cell), "NEARSK": f"{sort_time(case.created_at)}#{case.id}"}


def case_keys(case: Case) -> dict[str, str]:
    """Primary and index keys derived from the case's state (the indexes are sparse by design)."""
    keys = {
        "PK": f"CASE#{case.id}",
        "SK": "CASE",
        "GSI1PK": f"CITIZEN#{case.citizen_id}",
        "GSI1SK": f"{sort_time(case.created_at)}#{case.id}",
    }
    if case.status not in TERMINAL_STATUSES:
        owner = case.unit_id or DISPATCH_QUEUE
        keys["GSI2PK"] = f"UNIT#{owner}"
        keys["GSI2SK"] = inbox_sort_key(case)
    elif case.unit_id is not None:
        # a unit's finished work, newest first (GET /v1/units/{id}/cases?status=CLOSED)
        keys["GSI5PK"] = f"DONE#{case.unit_id}"
        keys["GSI5SK"] = f"{sort_time(case.closed_at or case.updated_at)}#{case.id}"
    if awaits_callback(case):
        # 回访: an open case has no GSI5 keys (the unit's history is for finished ones), so the operators'
        # callback list, oldest reply first, is a partition of its own there
        keys["GSI5PK"] = CALLBACK_PARTITION
        keys["GSI5SK"] = f"{sort_time(case.replies[-1].at if case.replies else case.updated_at)}#{case.id}"
    if supervision_reasons(case):
        keys["GSI4PK"] = "SUPERVISION"
        keys["GSI4SK"] = f"{sort_time(case.due_at or case.dispatch_due_at or case.created_at)}#{case.id}"
    keys.update(nearby_keys(case))
    sweep_at = next_sweep_at(case)
    if sweep_at is not None:
        keys["GSI3PK"] = f"DUE#{sweep_shard(case.id)}"
        keys["GSI3SK"] = f"{sort_time(sweep_at)}#{case.id}"
    return keys


class DynamoCaseRepository:
    """`minyi.ports.CaseRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    # --- items ---------------------------------------------------------------------------------

    def _case_item(self, case: Case) -> dict[str, Any]:
        body = case.model_dump(mode="json", exclude_none=True)
        return self.table.codec.item({**body, **case_keys(case), "entity": "case"})

    def _assist_puts(self, case: Case) -> list[dict[str, Any]]:
        """The case's copy under each assisting unit, rewritten with every save (no condition: the case
        item's version check guards the transaction). A closed case's copies leave the index."""
        body = case.model_dump(mode="json", exclude_none=True)
        return [
            {"Put": {"TableName": self.table.name, "Item": self.table.codec.item({**body, **keys, "entity": "assist"})}}
            for keys in assist_items_keys(case)
        ]

    def _assist_deletes(self, before: Case, after: Case) -> list[dict[str, Any]]:
        """The copies of units that no longer assist (the case was dispatched to one of them) are
        overwritten by their bare keys: off the index, with the puts every case writer may make."""
        gone = [u for u in before.assist_units if u not in after.assist_units]
        return [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": self.table.codec.item(
                        {"PK": f"CASE#{after.id}", "SK": f"ASSIST#{unit_id}", "entity": "assist"}
                    ),
                }
            }
            for unit_id in gone
        ]

    def _event_item(self, event: TimelineEvent) -> dict[str, Any]:
        body = event.model_dump(mode="json", exclude_none=True)
        keys = {"PK": f"CASE#{event.case_id}", "SK": f"EVENT#{event.seq:05d}", "entity": "event"}
        return self.table.codec.item({**body, **keys})

    def _event_puts(self, events: Iterable[TimelineEvent]) -> list[dict[str, Any]]:
        return [self._put_new(self._event_item(e)) for e in events]

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"Put": {"TableName": self.table.name, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}

    @staticmethod
    def _case(item: dict[str, Any]) -> Case:
        return Case.model_validate(item)

    # --- writes --------------------------------------------------------------------------------

    def create_case(self, transition: Transition, tracking_phone_last4: str, upload_ids: Sequence[str]) -> None:
        """Case, first event, tracking number and the claim on each upload: all or nothing."""
        codec = self.table.codec
        case = transition.after.model_copy(update={"version": 1})
        tracking = {
            "PK": f"TRACK#{case.tracking_no}",
            "SK": "TRACK",
            "entity": "tracking",
            "case_id": case.id,
            "phone_last4": tracking_phone_last4,
        }
        items: list[dict[str, Any]] = [
            self._put_new(self._case_item(case)),
            self._put_new(codec.item(tracking)),
            *self._event_puts(transition.events),
        ]
        items.extend(self._claims(case, upload_ids))
        self.table.transact(items)

    def _claims(self, case: Case, upload_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Claim each upload for the case: only its owner's, and only once."""
        codec = self.table.codec
        return [
            {
                "Update": {
                    "TableName": self.table.name,
                    "Key": codec.item({"PK": f"UPLOAD#{upload_id}", "SK": "UPLOAD"}),
                    "UpdateExpression": "SET case_id = :case",
                    "ConditionExpression": "owner_id = :owner AND attribute_not_exists(case_id)",
                    "ExpressionAttributeValues": codec.item({":case": case.id, ":owner": owner}),
                }
            }
            for upload_id, owner in ((u, self._uploader(case, u)) for u in upload_ids)
        ]

    @staticmethod
    def _uploader(case: Case, upload_id: str) -> str:
        """Who posted an upload (a hotline operator posts for the caller)."""
        for attachment in case.attachments:
            if attachment.upload_id == upload_id and attachment.uploaded_by:
                return attachment.uploaded_by
        return case.citizen_id

    def save(self, transition: Transition, claim_uploads: Sequence[str] = ()) -> Case:
        """Persist a transition: the case (if its version is unchanged), its events and the claim on
        each named upload, atomically."""
        after, items = self._save_items(transition, claim_uploads)
        self.table.transact(items)
        return after

    def save_all(self, transitions: Sequence[Transition]) -> list[Case]:
        """Several cases' transitions (a merge: the merged case and the kept one) in one transaction,
        each case conditioned on its version."""
        saved = [self._save_items(t, ()) for t in transitions]
        self.table.transact([item for _, items in saved for item in items])
        return [after for after, _ in saved]

    def _save_items(self, transition: Transition, claim_uploads: Sequence[str]) -> tuple[Case, list[dict[str, Any]]]:
        before = transition.before
        after = transition.after.model_copy(update={"version": before.version + 1})
        items = [
            {
                "Put": {
                    "TableName": self.table.name,
                    "Item": self._case_item(after),
                    "ConditionExpression": "version = :v",
                    "ExpressionAttributeValues": {":v": {"N": str(before.version)}},
                }
            },
            *self._event_puts(transition.events),
            *self._claims(after, claim_uploads),
            *self._assist_puts(after),
            *self._assist_deletes(before, after),
        ]
        return after, items

    def park(self, case: Case, wait: WorkflowWait) -> Case:
        """Store the workflow's callback token: one version-checked update of two attributes, not a
        rewrite of the whole case in a transaction. The version moves so a writer that read the case
        before the token was stored retries and sees it (and completes the task)."""
        after = case.model_copy(update={"wait": wait, "version": case.version + 1})
        values = {":wait": wait.model_dump(mode="json", exclude_none=True), ":next": after.version, ":v": case.version}
        ddb = self.table.ddb
        try:
            ddb.update_item(
                TableName=self.table.name,
                Key=self.table.codec.item({"PK": f"CASE#{case.id}", "SK": "CASE"}),
                UpdateExpression="SET #wait = :wait, version = :next",
                ConditionExpression="version = :v",
                ExpressionAttributeNames={"#wait": "wait"},
                ExpressionAttributeValues=self.table.codec.item(values),
            )
        except ddb.exceptions.ConditionalCheckFailedException as exc:
            raise ConcurrentUpdate("error.concurrent.workflow_park_lost") from exc
        return after

    # --- reads ---------------------------------------------------------------------------------

    def get_case(self, case_id: str, consistent: bool = True) -> Case | None:
        item = self.table.get(f"CASE#{case_id}", "CASE", consistent=consistent)
        return self._case(item) if item else None

    def tracking(self, tracking_no: str) -> TrackingEntry | None:
        item = self.table.get(f"TRACK#{tracking_no}", "TRACK")
        if not item:
            return None
        return TrackingEntry(tracking_no=tracking_no, case_id=item["case_id"], phone_last4=item["phone_last4"])

    def _page(self, limit: int, cursor: str | None, **query: Any) -> tuple[list[Case], str | None]:
        items, next_cursor = self.table.page_of(limit, cursor, **query)
        return [self._case(i) for i in items], next_cursor

    def _index_page(
        self,
        index: str,
        partition: str,
        status: CaseStatus | None,
        limit: int,
        cursor: str | None,
        newest_first: bool,
        assignee: str | None = None,
    ) -> tuple[list[Case], str | None]:
        """One page of a case index's partition, optionally only the cases in `status` (and given to
        `assignee`)."""
        extra: dict[str, Any] = {}
        values: dict[str, Any] = {":pk": partition}
        filters: list[str] = []
        names: dict[str, str] = {}
        if status is not None:
            filters.append("#s = :status")
            names["#s"] = "status"
            values[":status"] = status.value
        if assignee is not None:
            filters.append("assignee = :assignee")
            values[":assignee"] = assignee
        if filters:
            extra["FilterExpression"] = " AND ".join(filters)
        if names:
            extra["ExpressionAttributeNames"] = names
        return self._page(
            limit,
            cursor,
            IndexName=index,
            KeyConditionExpression=f"{index}PK = :pk",
            ExpressionAttributeValues=self.table.codec.item(values),
            ScanIndexForward=not newest_first,
            **extra,
        )

    def list_citizen_cases(
        self, citizen_id: str, limit: int, cursor: str | None, status: CaseStatus | None = None
    ) -> tuple[list[Case], str | None]:
        return self._index_page("GSI1", f"CITIZEN#{citizen_id}", status, limit, cursor, newest_first=True)

    def list_owner_cases(
        self, owner_ids: Sequence[str], limit: int, cursor: str | None, status: CaseStatus | None = None
    ) -> tuple[list[Case], str | None]:
        """Several owners' partitions of GSI1 as one list, newest first: each is read from the cursor's
        sort key down, the results merged. The cursor is that sort key, bound to these owners."""
        after = owner_cursor(cursor, owner_ids)
        found: list[dict[str, Any]] = []
        more = False
        for owner in owner_ids:
            items, owner_more = self._newest_of(owner, after, status, limit)
            found.extend(items)
            more = more or owner_more
        found.sort(key=lambda item: str(item["GSI1SK"]), reverse=True)
        page = found[:limit]
        more = more or len(found) > limit
        next_cursor = (
            encode_cursor({"of": owners_tag(owner_ids), "before": page[-1]["GSI1SK"]}) if more and page else None
        )
        return [self._case(i) for i in page], next_cursor

    def _newest_of(
        self, owner: str, before: str | None, status: CaseStatus | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to `limit` of one owner's cases older than `before`, and whether the partition goes on."""
        values: dict[str, Any] = {":pk": f"CITIZEN#{owner}"}
        condition = "GSI1PK = :pk"
        extra: dict[str, Any] = {}
        if before is not None:
            condition += " AND GSI1SK < :before"
            values[":before"] = before
        if status is not None:
            extra = {"FilterExpression": "#s = :status", "ExpressionAttributeNames": {"#s": "status"}}
            values[":status"] = status.value
        items: list[dict[str, Any]] = []
        for page in self.table.pages(
            IndexName="GSI1",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=self.table.codec.item(values),
            ScanIndexForward=False,
            Limit=limit,
            **extra,
        ):
            items.extend(self.table.codec.plain(i) for i in page.get("Items", []))
            if len(items) >= limit:
                return items, "LastEvaluatedKey" in page or len(items) > limit
        return items, False

    def list_unit_cases(
        self, unit_id: str, status: CaseStatus | None, limit: int, cursor: str | None, assignee: str | None = None
    ) -> tuple[list[Case], str | None]:
        """A unit's open cases, urgent first, then the most urgent deadline (closed cases leave the index)."""
        return self._index_page("GSI2", f"UNIT#{unit_id}", status, limit, cursor, newest_first=False, assignee=assignee)

    def list_assisting(self, unit_id: str, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Open cases `unit_id` assists on (协办): its copies of them on GSI2."""
        return self._index_page("GSI2", f"ASSIST#{unit_id}", None, limit, cursor, newest_first=False)

    def list_unit_history(
        self, unit_id: str, status: CaseStatus, limit: int, cursor: str | None
    ) -> tuple[list[Case], str | None]:
        """Cases the unit finished (closed or withdrawn while with it), newest first."""
        return self._index_page("GSI5", f"DONE#{unit_id}", status, limit, cursor, newest_first=True)

    def list_callbacks(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Hotline replies waiting for their caller's rating (回访), the oldest reply first."""
        return self._index_page("GSI5", CALLBACK_PARTITION, None, limit, cursor, newest_first=False)

    def list_supervision(self, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
        """Open cases that need a supervisor: overdue, under special supervision, extension pending."""
        return self._page(
            limit,
            cursor,
            IndexName="GSI4",
            KeyConditionExpression="GSI4PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "SUPERVISION"}},
            ScanIndexForward=True,
        )

    def due_for_sweep(self, shard: int, now: datetime, limit: int) -> tuple[list[Case], int]:
        """Cases whose sweep time has come, from one shard of the sparse due-time index.
        Returns the cases and the number of items DynamoDB read for them."""
        cases: list[Case] = []
        read = 0
        query = {
            "IndexName": "GSI3",
            "KeyConditionExpression": "GSI3PK = :pk AND GSI3SK <= :now",
            "ExpressionAttributeValues": self.table.codec.item({":pk": f"DUE#{shard}", ":now": f"{sort_time(now)}~"}),
            "Limit": limit,
        }
        for page in self.table.pages(**query):
            read += int(page.get("ScannedCount", page.get("Count", 0)))
            cases.extend(self._case(self.table.codec.plain(i)) for i in page.get("Items", []))
            if len(cases) >= limit:
                break
        return cases, read

    def timeline(self, case_id: str) -> list[TimelineEvent]:
        return [
            TimelineEvent.model_validate(item)
            for item in self.table.query_all(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :ev)",
                ExpressionAttributeValues=self.table.codec.item({":pk": f"CASE#{case_id}", ":ev": "EVENT#"}),
                ConsistentRead=True,
            )
        ]
