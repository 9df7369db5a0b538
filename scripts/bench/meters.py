"""Meters of the AWS a case uses, read from the real calls: every AWS API call through botocore hooks
(DynamoDB request units computed from item sizes), every Lambda invocation and API Gateway request
through the local runtime's invoke. Differences of two readings are a case's usage."""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import botocore.handlers

SETTLE_QUIET = 0.8  # seconds without any Lambda invocation or AWS data call = the case is done

READ_OPS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
#: Calls the local stream poller makes on a timer, whatever the cases do (free for Lambda triggers on AWS).
POLLING_CALLS = {"dynamodb.DescribeTable"}
POLLING_SERVICES = {"dynamodb-streams"}


def attribute_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one attribute value in wire form ({"S": ...}), by the documented rules."""
    ((kind, v),) = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        digits = str(v).lstrip("-").replace(".", "").strip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(v)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(attribute_size({"N": n}) for n in v)
    if kind == "BS":
        return sum(len(b) for b in v)
    if kind == "L":
        return 3 + sum(1 + attribute_size(e) for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(e) for k, e in v.items())
    return 0


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in (item or {}).items())


def units(size: int, unit_bytes: int) -> int:
    return max(1, math.ceil(size / unit_bytes))


class DynamoUnits:
    """Request units of DynamoDB calls from item sizes: 1 KB per WRU (x2 in a transaction), 4 KB per
    RRU (half for eventually consistent reads). An update is sized as the stored item plus its new
    values, read from the embedded AWS's memory (not an AWS call)."""

    def __init__(self, region: str):
        self.region = region

    def stored_size(self, table: str, key: dict[str, Any]) -> int:
        try:
            from moto.dynamodb.models import dynamodb_backends

            from infra.local.template import ACCOUNT

            item = dynamodb_backends[ACCOUNT][self.region].get_item(table, key)
            return int(item.size()) if item is not None else 0
        except Exception:
            return 0

    def update_size(self, spec: dict[str, Any]) -> int:
        stored = self.stored_size(spec["TableName"], spec["Key"])
        return (stored or item_size(spec["Key"])) + item_size(spec.get("ExpressionAttributeValues"))

    def writes(self, operation: str, params: dict[str, Any]) -> tuple[int, int]:
        """(write request units, items in the transaction)."""
        if operation == "PutItem":
            return units(item_size(params.get("Item")), 1024), 0
        if operation == "UpdateItem":
            return units(self.update_size(params), 1024), 0
        if operation == "DeleteItem":
            return units(self.stored_size(params["TableName"], params["Key"]), 1024), 0
        if operation == "TransactWriteItems":
            wru = 0
            items = params.get("TransactItems", [])
            for entry in items:
                if "Put" in entry:
                    wru += 2 * units(item_size(entry["Put"].get("Item")), 1024)
                elif "Update" in entry:
                    wru += 2 * units(self.update_size(entry["Update"]), 1024)
                else:  # Delete, ConditionCheck
                    wru += 2
            return wru, len(items)
        if operation == "BatchWriteItem":
            return sum(
                units(item_size(r["PutRequest"]["Item"]), 1024) if "PutRequest" in r else 1
                for table_requests in params.get("RequestItems", {}).values()
                for r in table_requests
            ), 0
        return 0, 0

    @staticmethod
    def reads(operation: str, consistent: bool, parsed: dict[str, Any]) -> tuple[float, int]:
        """(read request units, items returned)."""
        factor = 1.0 if consistent else 0.5
        if operation == "GetItem":
            item = parsed.get("Item")
            return factor * units(item_size(item), 4096), int(item is not None)
        if operation in {"Query", "Scan"}:
            items = parsed.get("Items", [])
            return factor * units(sum(item_size(i) for i in items), 4096), len(items)
        if operation == "BatchGetItem":
            items = [i for table_items in parsed.get("Responses", {}).values() for i in table_items]
            return sum(factor * units(item_size(i), 4096) for i in items), len(items)
        if operation == "TransactGetItems":
            items = [r["Item"] for r in parsed.get("Responses", []) if "Item" in r]
            return sum(2.0 * units(item_size(i), 4096) for i in items), len(items)
        return 0.0, 0


class AwsMeter:
    """Counts every AWS API call by "service.Operation", and DynamoDB request units, from botocore
    event hooks. The hooks go into botocore's BUILTIN_HANDLERS and so reach every session created
    afterwards: install before the runtime creates its first client. Calls made inside `excluded()`
    (the benchmark's own status probes) are not counted."""

    def __init__(self, region: str) -> None:
        self.units = DynamoUnits(region)
        self.lock = threading.Lock()
        self._local = threading.local()
        #: Off while the throughput run measures the runtime as `make run` serves it (no metering cost).
        self.enabled = True
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        self.transaction_items = 0
        self.read_units = 0.0
        self.write_units = 0.0

    def install(self) -> None:
        botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", self._before))
        botocore.handlers.BUILTIN_HANDLERS.append(("after-call.dynamodb", self._after))

    @contextlib.contextmanager
    def excluded(self) -> Iterator[None]:
        previous = getattr(self._local, "excluded", False)
        self._local.excluded = True
        try:
            yield
        finally:
            self._local.excluded = previous

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.enabled or getattr(self._local, "excluded", False):
            return
        service = model.service_model.service_id.hyphenize()
        operation = model.name
        context["bench_operation"] = operation
        context["bench_consistent"] = bool(params.get("ConsistentRead"))
        wru, transaction_items = (0, 0)
        if service == "dynamodb" and operation in WRITE_OPS:
            wru, transaction_items = self.units.writes(operation, params)
        with self.lock:
            self.calls[f"{service}.{operation}"] += 1
            self.write_units += wru
            self.transaction_items += transaction_items

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if not self.enabled:
            return
        operation = context.get("bench_operation")
        if operation not in READ_OPS or "Error" in parsed:
            return
        rru, items = self.units.reads(operation, context.get("bench_consistent", False), parsed)
        with self.lock:
            self.read_units += rru
            self.items_read += items

    def data_calls(self) -> int:
        """Calls that mean work is happening (the stream poller's timer-driven calls left out)."""
        with self.lock:
            return sum(
                n for k, n in self.calls.items() if k not in POLLING_CALLS and k.split(".")[0] not in POLLING_SERVICES
            )


class LambdaMeter:
    """Wraps the runtime's LocalLambdas.invoke (called by the local gateway, the Step Functions
    interpreter's lambda:invoke and the stream poller) to time each invocation and count API Gateway
    proxy requests."""

    def __init__(self, lambdas: Any) -> None:
        self.lock = threading.Lock()
        self.billed_ms: Counter[str] = Counter()
        self.stream_records: Counter[str] = Counter()
        self.api_requests = 0
        original: Callable[[str, Any], Any] = lambdas.invoke

        def timed_invoke(name: str, event: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(name, event)
            finally:
                billed = math.ceil((time.perf_counter() - start) * 1000)  # Lambda bills per 1 ms
                with self.lock:
                    self.billed_ms[name] += billed
                    if isinstance(event, dict) and "httpMethod" in event:
                        self.api_requests += 1
                    if isinstance(event, dict) and isinstance(event.get("Records"), list):
                        self.stream_records[name] += len(event["Records"])

        lambdas.invoke = timed_invoke  # an instance attribute: the gateway and the hooks call it


@dataclass
class Usage:
    """AWS usage between two meter readings, or the mean of several cases."""

    api_requests: float = 0
    lambda_invocations: dict[str, float] = field(default_factory=dict)
    lambda_billed_ms: dict[str, float] = field(default_factory=dict)
    stream_records: dict[str, float] = field(default_factory=dict)  # records delivered to stream consumers
    calls: dict[str, float] = field(default_factory=dict)  # "service.Operation" -> count
    ddb_items_read: float = 0
    ddb_transaction_items: float = 0
    ddb_read_units: float = 0
    ddb_write_units: float = 0
    sfn_transitions: float = 0
    client_retries: float = 0  # 409 answers the benchmark retried

    def plus(self, other: Usage, weight: float = 1.0) -> Usage:
        """self + weight * other, field by field."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                merged = dict(mine)
                for k, v in theirs.items():
                    merged[k] = merged.get(k, 0) + weight * v
                values[f.name] = {k: v for k, v in merged.items() if abs(v) > 1e-9}
            else:
                values[f.name] = mine + weight * theirs
        return Usage(**values)

    @staticmethod
    def mean(usages: Sequence[Usage]) -> Usage:
        total = Usage()
        for u in usages:
            total = total.plus(u, 1 / len(usages))
        return total

    @property
    def invocations(self) -> float:
        return sum(self.lambda_invocations.values())

    @property
    def billed_ms(self) -> float:
        return sum(self.lambda_billed_ms.values())

    def ddb(self, operations: set[str]) -> float:
        return sum(v for k, v in self.calls.items() if k.startswith("dynamodb.") and k.split(".")[1] in operations)

    def one_invocation_per_record(self) -> Usage:
        """The same work with every stream record delivered alone, as when a case's events are hours
        apart in production (locally a case's events arrive together and share batches)."""
        invocations, billed = dict(self.lambda_invocations), dict(self.lambda_billed_ms)
        for name, records in self.stream_records.items():
            runs = invocations.get(name, 0)
            if runs and records > runs:
                billed[name] = billed.get(name, 0) / runs * records
                invocations[name] = records
        return dataclasses.replace(self, lambda_invocations=invocations, lambda_billed_ms=billed)

    def fingerprint(self) -> tuple[float, ...]:
        return (self.invocations, self.ddb_write_units, self.ddb_read_units, self.sfn_transitions, self.api_requests)


class Meters:
    def __init__(self, runtime: Any, aws: AwsMeter):
        self.runtime = runtime
        self.aws = aws
        self.lambdas = LambdaMeter(runtime.lambdas)

    def reading(self) -> Usage:
        aws, lam = self.aws, self.lambdas
        with aws.lock, lam.lock:
            return Usage(
                api_requests=lam.api_requests,
                lambda_invocations=dict(self.runtime.lambdas.invocations.counts),
                lambda_billed_ms=dict(lam.billed_ms),
                stream_records=dict(lam.stream_records),
                calls=dict(aws.calls),
                ddb_items_read=aws.items_read,
                ddb_transaction_items=aws.transaction_items,
                ddb_read_units=aws.read_units,
                ddb_write_units=aws.write_units,
            )

    def activity(self) -> tuple[int, int]:
        return self.aws.data_calls(), sum(self.runtime.lambdas.invocations.counts.values())

    def settle(self, quiet: float = SETTLE_QUIET, timeout: float = 30.0) -> float | None:
        """Wait until no Lambda ran and no AWS data call was made for `quiet` seconds (the stream
        poller's own polling does not count). Returns the seconds until the last activity, or None."""
        started = time.monotonic()
        deadline = started + timeout
        last, since = self.activity(), started
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.activity()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return since - started
        return None
