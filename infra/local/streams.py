"""Local event source mappings for DynamoDB streams, behaving like Lambda's:

batches of up to BatchSize records that pass FilterCriteria, in order per shard; a reported batch
item failure retries the batch from the first failed record; a function error bisects the batch
(BisectBatchOnFunctionError) and retries; after MaximumRetryAttempts the batch's description goes to
the OnFailure SQS destination, as Lambda writes it (the records stay in the stream for the replay).

The poller reads the stream from moto's backend, as Lambda's own pollers read DynamoDB Streams inside
AWS, not through the public GetRecords API: through moto's response serialiser a page of records cost
about 0.6 ms a record while holding moto's lock, which stalled every API request behind it. The DLQ
replay (`infra.replay_dlq`), a tool for the real AWS, still reads through the API.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from infra.local import moto_patches
from infra.local.lambdas import LocalLambdas
from infra.local.template import ACCOUNT, Template
from infra.replay_dlq import lambda_record

__all__ = ["StreamMapping", "StreamPoller", "lambda_record", "matches", "stream_mappings"]

#: Records read from a shard per poll and mapping (GetRecords' own maximum).
MAX_RECORDS_PER_POLL = 1000
#: Polling interval while records arrive, and the longest back-off while none do.
POLL_INTERVAL_SECONDS = 0.2
MAX_IDLE_WAIT_SECONDS = 1.0
IDLE_BACKOFF_FACTOR = 1.5


def matches(pattern: Any, value: Any) -> bool:
    """The subset of event filtering patterns used here: nested keys, value lists, prefix."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        for option in pattern:
            if isinstance(option, dict) and "prefix" in option:
                if isinstance(value, str) and value.startswith(option["prefix"]):
                    return True
            elif option == value:
                return True
        return False
    return bool(pattern == value)


@dataclass
class StreamMapping:
    function: str
    table_logical_id: str
    batch_size: int
    max_retries: int
    bisect: bool
    patterns: list[Any]
    on_failure_queue: str | None
    stats: dict[str, int] = field(default_factory=lambda: {"records": 0, "invocations": 0, "dead_lettered": 0})

    def wanted(self, record: dict[str, Any]) -> bool:
        return not self.patterns or any(matches(p, record) for p in self.patterns)


def stream_mappings(template: Template) -> list[StreamMapping]:
    mappings = []
    for name, spec in template.functions().items():
        for event in spec.events.values():
            if event["Type"] != "DynamoDB":
                continue
            props = event["Properties"]
            stream = props["Stream"]
            table = stream["Fn::GetAtt"][0] if isinstance(stream, dict) else stream
            filters = props.get("FilterCriteria", {}).get("Filters", [])
            destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            mappings.append(
                StreamMapping(
                    function=name,
                    table_logical_id=table,
                    batch_size=int(props.get("BatchSize", 100)),
                    max_retries=int(props.get("MaximumRetryAttempts", 3)),
                    bisect=bool(props.get("BisectBatchOnFunctionError", False)),
                    patterns=[json.loads(f["Pattern"]) for f in filters],
                    on_failure_queue=destination["Fn::GetAtt"][0] if isinstance(destination, dict) else None,
                )
            )
    return mappings


@dataclass
class StreamPage:
    """Records of one shard after a position, in the GetRecords shape."""

    stream_arn: str
    shard_id: str
    records: list[dict[str, Any]]


class MotoStreamReader:
    """Reads a table's stream straight from moto's DynamoDB backend, under moto's lock (a cancelled
    transaction rolls back the table and its stream together, never half-way through a read)."""

    def __init__(self, region: str, account: str = ACCOUNT):
        self.region = region
        self.account = account

    def read(self, table_name: str, after: str | None, limit: int = MAX_RECORDS_PER_POLL) -> StreamPage | None:
        """Up to `limit` records after sequence number `after` (None: from the trim horizon)."""
        from moto.dynamodb.models import dynamodb_backends

        with moto_patches.LOCK:
            table = dynamodb_backends[self.account][self.region].get_table(table_name)
            shard = table.stream_shard
            if shard is None or not table.latest_stream_label:
                return None
            first = 0 if after is None else max(0, int(after) + 1 - shard.starting_sequence_number)
            raw = [record.to_json() for record in shard.items[first : first + limit]]
            stream_arn, shard_id = f"{table.table_arn}/stream/{table.latest_stream_label}", shard.id
        return StreamPage(stream_arn, shard_id, raw)  # moto's own dicts: copy before handing them out


def _copy_records(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies the consumers own (moto never changes a record once written, but a consumer might change
    its event), with the creation time as the datetime GetRecords gives. A JSON round trip copies
    several times faster than `copy.deepcopy`: the records are JSON but for that field and binary
    attributes (rare: then `deepcopy`)."""
    created = [r["dynamodb"].get("ApproximateCreationDateTime") for r in raw]
    plain = [{**r, "dynamodb": {**r["dynamodb"], "ApproximateCreationDateTime": None}} for r in raw]
    try:
        copies: list[dict[str, Any]] = json.loads(json.dumps(plain))
    except TypeError:  # binary attributes (bytes): the slow, general copy
        copies = copy.deepcopy(plain)
    for record, at in zip(copies, created, strict=True):
        record["dynamodb"]["ApproximateCreationDateTime"] = at
    return copies


class StreamPoller:
    """Polls every mapped stream and delivers batches, one thread for all mappings."""

    def __init__(
        self,
        template: Template,
        lambdas: LocalLambdas,
        resources: dict[str, str],
        interval: float = POLL_INTERVAL_SECONDS,
    ):
        self.template = template
        self.lambdas = lambdas
        self.resources = resources
        self.interval = interval
        self.mappings = stream_mappings(template)
        self.reader = MotoStreamReader(template.region)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Last sequence number handed to each (function, shard). moto replaces a table's stream
        #: object when it rolls back a cancelled transaction, so the position is all that is kept.
        self._positions: dict[tuple[str, str], str] = {}
        self.idle = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.is_set():
            try:
                delivered = self.poll_once()
            except Exception as exc:  # keep polling, like the service does
                print(f"[streams] poll error: {type(exc).__name__}: {exc}", flush=True)
                delivered = 0
            if delivered == 0:
                self.idle.set()
                self._stop.wait(wait)
                wait = min(MAX_IDLE_WAIT_SECONDS, wait * IDLE_BACKOFF_FACTOR)  # back off while nothing happens
            else:
                self.idle.clear()
                wait = self.interval

    def skip_to_latest(self) -> int:
        """Start every mapping after the last record its table's stream holds now (Lambda's LATEST
        starting position): what is already there is never delivered. Returns how many records were
        skipped."""
        skipped = 0
        for mapping in self.mappings:
            table_name = self.resources[mapping.table_logical_id]
            shard_key = (mapping.function, table_name)
            while (page := self.reader.read(table_name, self._positions.get(shard_key))) and page.records:
                self._positions[shard_key] = page.records[-1]["dynamodb"]["SequenceNumber"]
                skipped += len(page.records)
        return skipped

    def poll_once(self) -> int:
        """One pass over every mapped shard. Returns how many stream records were read (0: caught up)."""
        delivered = 0
        pages: dict[tuple[str, str | None], StreamPage | None] = {}  # mappings of one table share a read
        for mapping in self.mappings:
            if self._stop.is_set():
                break
            table_name = self.resources[mapping.table_logical_id]
            shard_key = (mapping.function, table_name)
            after = self._positions.get(shard_key)
            if (table_name, after) not in pages:
                pages[(table_name, after)] = self.reader.read(table_name, after)
            page = pages[(table_name, after)]
            if page is None or not page.records:
                continue
            self._positions[shard_key] = page.records[-1]["dynamodb"]["SequenceNumber"]
            records = [lambda_record(r, page.stream_arn, self.template.region) for r in _copy_records(page.records)]
            wanted = [r for r in records if mapping.wanted(r)]
            for i in range(0, len(wanted), mapping.batch_size):
                if self._stop.is_set():  # stopping: the runtime's AWS is going away
                    return delivered
                self.deliver(mapping, wanted[i : i + mapping.batch_size], page.shard_id, page.stream_arn)
            delivered += len(records)
        return delivered

    def deliver(self, mapping: StreamMapping, batch: list[dict[str, Any]], shard_id: str, stream_arn: str) -> None:
        """Invoke until the batch succeeds; bisect on function errors; dead-letter what is left."""
        pending = [batch]
        while pending:
            records = pending.pop(0)
            attempt = 0
            while records:
                if self._stop.is_set():  # stopping: no retries, no dead letters into an AWS going away
                    return
                mapping.stats["invocations"] += 1
                error: str | None = None
                try:
                    result = self.lambdas.invoke(mapping.function, {"Records": records})
                    failed = [f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])]
                except Exception as exc:  # a function error fails the whole batch
                    error = f"{type(exc).__name__}: {exc}"
                    failed = [records[0]["dynamodb"]["SequenceNumber"]]
                if not failed:
                    mapping.stats["records"] += len(records)
                    break
                first = next((i for i, r in enumerate(records) if r["dynamodb"]["SequenceNumber"] in failed), 0)
                mapping.stats["records"] += first
                records = records[first:]
                if error and mapping.bisect and len(records) > 1:
                    half = len(records) // 2
                    pending[:0] = [records[:half], records[half:]]
                    break
                attempt += 1
                if attempt > mapping.max_retries:
                    self.dead_letter(mapping, records, shard_id, stream_arn, error or "batch item failures")
                    break

    def dead_letter(
        self, mapping: StreamMapping, records: list[dict[str, Any]], shard_id: str, stream_arn: str, error: str
    ) -> None:
        import boto3

        mapping.stats["dead_lettered"] += len(records)
        if mapping.on_failure_queue is None:
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]

        def iso(epoch: float) -> str:
            return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")

        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.template.arn(mapping.function),
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": mapping.max_retries + 1,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": error[:200]},
            "version": "1.0",
            "timestamp": iso(time.time()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": iso(first["ApproximateCreationDateTime"]),
                "approximateArrivalOfLastRecord": iso(last["ApproximateCreationDateTime"]),
                "batchSize": len(records),
                "streamArn": stream_arn,
            },
        }
        queue_url = self.resources[mapping.on_failure_queue]
        boto3.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
        print(f"[streams] {len(records)} record(s) for {mapping.function} sent to the dead-letter queue", flush=True)
