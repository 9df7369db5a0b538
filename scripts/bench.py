"""`make bench`: Minyi's performance and cost numbers, measured in one run on this machine.

Plain-text tables, no pass/fail (the script exits 0 once it has printed them):

1. Cold start: the import time of each function's handler module (functions/*/app.py) in a fresh
   interpreter with the function's environment from template.yaml, as a ratio to a bare
   `import boto3` measured the same way in the same run. Target: at most 1.3x.
2. Local API: throughput and p50/p99 latency of POST /v1/requests on an in-process LocalRuntime
   (embedded moto), sent by a few client threads.
3. AWS operations per case for three lifecycle paths, counted from the calls the code really makes
   (botocore hooks on every client, the local Lambda invocation counter, the Step Functions
   execution history), and what 1,000 such cases cost at public list prices.

The sections run in the order 1, 3, 2: per-case counting needs a quiet runtime, before the load test
leaves 1,000 workflow executions in the background. Progress goes to stderr; the tables go to stdout
at the end, in section order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import math
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.handlers
import requests

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"

# --- what is measured ----------------------------------------------------------------------------

COLD_START_RUNS = 5
COLD_START_TARGET = 1.3  # handler import / bare `import boto3`
SUBMIT_REQUESTS = 1000
SUBMIT_THREADS = 4
DRAIN_TIMEOUT = 20.0  # how long to wait for the background work after a load run
TIME_BUDGET = 235.0  # seconds for the whole run: the patched load run stops early rather than overrun
PATH_REPEATS = 2  # measured cases per path, after one unmeasured warm-up case
SETTLE_QUIET = 0.8  # seconds without any Lambda invocation or AWS data call = the case is done
MAIN_PATH_BUDGET = 0.40  # USD per 1,000 cases on path (a)
STAFF_UNIT = "futian-traffic-police"  # where the routing rules send traffic complaints in Futian

REQUEST_BODY: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Illegal parking blocks the bus lane on Shennan Road every morning",
    "phone": "13812345678",
    "address": "深南大道 6008",
    "location": {"lat": 22.5431, "lon": 114.0579},
}
SATISFIED = {"speed": 5, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
UNSATISFIED = {"speed": 2, "effectiveness": 3, "experience": 3, "feedback_quality": 3}  # any score <= 2


@dataclass(frozen=True)
class CasePath:
    key: str
    title: str
    ratings: tuple[dict[str, int], ...]  # one rating per round; the unit accepts and replies before each


PATHS = (
    CasePath("a", "satisfied on first reply", (SATISFIED,)),
    CasePath("b", "rollback, then satisfied", (UNSATISFIED, SATISFIED)),
    CasePath("c", "rollback, unsatisfied again -> supervision -> closed", (UNSATISFIED, UNSATISFIED, SATISFIED)),
)

# --- public list prices (USD, us-east-1 style) ---------------------------------------------------

PRICE_SFN_TRANSITION = 0.025 / 1_000  # Step Functions Standard, per state transition
PRICE_LAMBDA_REQUEST = 0.20 / 1_000_000
PRICE_LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
ASSUMED_LAMBDA_MS = 100  # the alternative duration assumption, shown as a sensitivity line
PRICE_DDB_WRU = 0.625 / 1_000_000  # on-demand write request unit
PRICE_DDB_RRU = 0.125 / 1_000_000  # on-demand read request unit
PRICE_APIGW_REQUEST = 3.50 / 1_000_000  # REST API

_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[bench {time.perf_counter() - _T0:5.0f}s] {message}", file=sys.__stderr__, flush=True)


class BenchError(RuntimeError):
    """The product did not behave as a step expects (reported in the output, not raised out)."""


# =================================================================================================
# Output helpers
# =================================================================================================


def render_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]
        return "  ".join(parts).rstrip()

    rule = "-" * len(line(cells[0]))
    return "\n".join([title, rule, line(cells[0]), rule, *(line(r) for r in cells[1:]), rule])


def notes(*lines: str) -> str:
    return "\n".join(f"   {line}" for line in lines)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def usd(value: float) -> str:
    return f"${value:.4f}"


def num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


# =================================================================================================
# 1. Cold start
# =================================================================================================

#: Runs in a fresh interpreter: times the import of one handler module (or of boto3), prints seconds.
_IMPORT_PROBE = """
import importlib.util, sys, time
target = sys.argv[1]
if target == "boto3":
    start = time.perf_counter()
    import boto3
    elapsed = time.perf_counter() - start
else:
    sys.path.insert(0, sys.argv[2])  # the function's code directory, as /var/task is on Lambda
    start = time.perf_counter()
    spec = importlib.util.spec_from_file_location("app", target)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    elapsed = time.perf_counter() - start
print(repr(elapsed))
"""


@dataclass
class ColdStart:
    name: str  # functions/<name>, or the baseline
    logical_id: str
    samples_ms: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)


def function_dirs() -> list[Path]:
    return sorted(p for p in FUNCTIONS_DIR.iterdir() if (p / "app.py").is_file())


def lambda_base_environment(region: str) -> dict[str, str]:
    """What every probe interpreter gets: a Lambda-like environment without an X-Ray daemon."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
    }


def function_environment(code_dir: Path, region: str) -> tuple[str, dict[str, str]]:
    """(logical id, environment) from template.yaml: Globals plus the function's own variables, with
    !Ref / !GetAtt / !Sub resolved to dummy local names."""
    from infra.local.template import Template

    template = Template(region)

    def resolve(key: str, value: Any) -> str:
        try:
            return str(template.resolve(value))
        except Exception:  # a reference the local resolver does not know: any non-empty name will do
            return f"dummy-{key.lower()}"

    for spec in template.functions().values():
        if spec.code_dir.resolve() == code_dir.resolve():
            env = {k: resolve(k, v) for k, v in spec.environment.items()}
            return spec.logical_id, {**env, "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id}
    globals_env = template.raw.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    return "(not in template.yaml)", {k: resolve(k, v) for k, v in globals_env.items()}


def time_import(target: str, code_dir: Path, env: dict[str, str]) -> float:
    """Seconds the probe interpreter spent importing `target` (a handler file, or "boto3")."""
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE, target, str(code_dir)],
        cwd=code_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError((proc.stderr.strip().splitlines() or ["no output"])[-1])
    return float(proc.stdout.strip().splitlines()[-1])


def measure_cold_starts(region: str) -> tuple[ColdStart, list[ColdStart]]:
    """Median import times. The runs of all targets are interleaved, so drift affects them alike."""
    base = lambda_base_environment(region)
    targets: list[tuple[ColdStart, str, Path, dict[str, str]]] = [
        (ColdStart("import boto3", "(baseline)"), "boto3", FUNCTIONS_DIR, base)
    ]
    for code_dir in function_dirs():
        logical_id, env = function_environment(code_dir, region)
        targets.append((ColdStart(code_dir.name, logical_id), str(code_dir / "app.py"), code_dir, {**base, **env}))
    for run in range(COLD_START_RUNS + 1):  # run 0 warms the bytecode and file caches, not counted
        for result, target, code_dir, env in targets:
            if result.error:
                continue
            try:
                seconds = time_import(target, code_dir, env)
            except (BenchError, subprocess.TimeoutExpired) as exc:
                result.error = str(exc)
                continue
            if run > 0:
                result.samples_ms.append(seconds * 1000)
    baseline, *functions = (t[0] for t in targets)
    return baseline, functions


def cold_start_table(baseline: ColdStart, functions: list[ColdStart]) -> str:
    title = (
        f"1. Cold start: handler module import, median of {COLD_START_RUNS} fresh interpreters, "
        f"relative to a bare `import boto3` (target <= {COLD_START_TARGET}x)"
    )
    if baseline.error:
        return render_table(title, ["import boto3"], [[f"failed: {baseline.error}"]])
    fastest_boto3 = min(baseline.samples_ms)
    rows: list[list[object]] = [
        ["import boto3 (baseline)", "-", f"{baseline.median_ms:.0f}", f"{fastest_boto3:.0f}", "1.00x", "1.00x", "-"]
    ]
    within = 0
    for fn in functions:
        module = f"functions/{fn.name}/app.py"
        if fn.error:
            rows.append([module, fn.logical_id, "failed", "-", "-", "-", f"no: {fn.error[:70]}"])
            continue
        ratio = fn.median_ms / baseline.median_ms
        within += ratio <= COLD_START_TARGET
        times = [f"{fn.median_ms:.0f}", f"{min(fn.samples_ms):.0f}", f"{ratio:.2f}x"]
        rows.append([module, fn.logical_id, *times, f"{min(fn.samples_ms) / fastest_boto3:.2f}x", ratio_verdict(ratio)])
    headers = ["module", "function", "median ms", "min ms", "ratio", "min ratio", f"ratio <= {COLD_START_TARGET}x"]
    return (
        render_table(title, headers, rows)
        + "\n"
        + notes(
            f"{within} of {len(functions)} handlers within target. ratio = median / median of `import boto3`;",
            "min ratio = fastest / fastest `import boto3`, a check on noise from other load on the machine.",
            "Environment: template.yaml Globals + the function's variables (references resolved to dummy names),",
            "AWS_REGION, POWERTOOLS_TRACE_DISABLED=true; perf_counter around the import only; the runs of all",
            "modules interleaved, after one unmeasured warm-up run each.",
        )
    )


def ratio_verdict(ratio: float) -> str:
    return "yes" if ratio <= COLD_START_TARGET else "no"


# =================================================================================================
# Meters: every AWS call (botocore hooks), Lambda and API Gateway (the local runtime's invoke)
# =================================================================================================

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
        if getattr(self._local, "excluded", False):
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


# =================================================================================================
# Driving the API over HTTP, and watching cases without counting it
# =================================================================================================


class ApiClient:
    """What the mobile and staff apps do: HTTP with bearer tokens from the local token endpoint."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.retries = 0

    def token(self, role: str, sub: str, unit: str | None = None) -> str:
        body: dict[str, Any] = {"sub": sub, "role": role}
        if unit:
            body["unit"] = unit
        resp = self.http.post(f"{self.base_url}/local/tokens", json=body, timeout=10)
        resp.raise_for_status()
        return str(resp.json()["token"])

    def post(self, path: str, token: str, body: dict[str, Any] | None = None, attempts: int = 40) -> dict[str, Any]:
        """POST and return the JSON answer; a 409 (a conflict, or a step not reached yet) is retried."""
        for _ in range(attempts):
            resp = self.http.post(
                f"{self.base_url}{path}", json=body or {}, headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            if resp.status_code == 409:
                self.retries += 1
                time.sleep(0.05)
                continue
            if resp.status_code >= 300:
                raise BenchError(f"POST {path} -> {resp.status_code}: {resp.text[:300]}")
            return dict(resp.json())
        raise BenchError(f"POST {path} still 409 after {attempts} attempts: {resp.text[:300]}")


class CaseProbe:
    """Reads a case straight from the table and its execution from Step Functions: the benchmark's
    own reads, kept out of the counts."""

    def __init__(self, runtime: Any, aws: AwsMeter):
        import boto3
        from boto3.dynamodb.types import TypeDeserializer

        self.aws = aws
        self.ddb = boto3.client("dynamodb")
        self.sfn = boto3.client("stepfunctions")
        self.table = runtime.resources["CasesTable"]
        self.state_machine_arn = runtime.resources["CaseWorkflow"]
        self._deserialize = TypeDeserializer().deserialize

    def case(self, case_id: str) -> dict[str, Any]:
        with self.aws.excluded():
            resp = self.ddb.get_item(
                TableName=self.table, Key={"PK": {"S": f"CASE#{case_id}"}, "SK": {"S": "CASE"}}, ConsistentRead=True
            )
        return {k: self._deserialize(v) for k, v in resp.get("Item", {}).items()}

    def execution_arn(self, case: dict[str, Any]) -> str:
        name = case.get("execution_name") or case["id"]  # a repaired case runs a renamed execution
        return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"

    def wait_parked(self, case_id: str, status: str, phase: str, timeout: float = 30.0) -> None:
        """Until the case has `status` and its workflow has parked its callback token for `phase` in
        the current round: the next action then meets the workflow where a person would."""
        deadline = time.monotonic() + timeout
        case: dict[str, Any] = {}
        while time.monotonic() < deadline:
            case = self.case(case_id)
            wait = case.get("wait") or {}
            if case.get("status") == status and wait.get("phase") == phase and wait.get("round") == case.get("round"):
                return
            time.sleep(0.02)
        raise BenchError(
            f"case not {status} with the workflow parked for {phase} within {timeout:.0f} s "
            f"(status {case.get('status')}, parked for {(case.get('wait') or {}).get('phase')})"
        )

    def wait_execution_end(self, case_id: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.aws.excluded():
                status = str(self.sfn.describe_execution(executionArn=self.execution_arn(self.case(case_id)))["status"])
            if status != "RUNNING":
                return status
            time.sleep(0.02)
        raise BenchError(f"execution still RUNNING {timeout:.0f} s after the case closed")

    def state_transitions(self, case_id: str) -> int:
        """StateEntered events in the execution's history: what Standard workflows bill."""
        kwargs: dict[str, Any] = {"executionArn": self.execution_arn(self.case(case_id)), "maxResults": 1000}
        count = 0
        with self.aws.excluded():
            while True:
                page = self.sfn.get_execution_history(**kwargs)
                count += sum(1 for e in page["events"] if e["type"].endswith("StateEntered"))
                if not page.get("nextToken"):
                    return count
                kwargs["nextToken"] = page["nextToken"]


# =================================================================================================
# 3. Operations and cost per case
# =================================================================================================


@dataclass
class PathResult:
    path: CasePath
    cases: list[Usage] = field(default_factory=list)
    closed_reasons: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def usage(self) -> Usage:
        return Usage.mean(self.cases)


class CaseDriver:
    def __init__(self, runtime: Any, meters: Meters, probe: CaseProbe):
        self.meters = meters
        self.probe = probe
        self.api = ApiClient(runtime.base_url)
        self.staff = self.api.token("staff", sub="bench-staff", unit=STAFF_UNIT)

    @staticmethod
    def expect(view: dict[str, Any], status: str, problems: list[str], step: str) -> None:
        if view.get("status") != status:
            problems.append(f"{step}: answered status {view.get('status')}, expected {status}")

    def drive(self, path: CasePath, problems: list[str]) -> str:
        """One case along `path`, every action over HTTP; returns the case id once its execution ended."""
        citizen = self.api.token("citizen", sub=f"bench-citizen-{uuid.uuid4().hex[:8]}")
        case_id = str(self.api.post("/v1/requests", citizen, REQUEST_BODY)["id"])
        self.probe.wait_parked(case_id, "DISPATCHED", "handling")
        for round_, scores in enumerate(path.ratings, start=1):
            self.expect(self.api.post(f"/v1/cases/{case_id}/accept", self.staff), "IN_PROGRESS", problems, "accept")
            reply = {"message": f"Round {round_}: towing patrols added on Shennan Road at 7-9 am."}
            self.expect(self.api.post(f"/v1/cases/{case_id}/reply", self.staff, reply), "REPLIED", problems, "reply")
            self.probe.wait_parked(case_id, "REPLIED", "rating")
            view = self.api.post(f"/v1/requests/{case_id}/rating", citizen, scores)
            if round_ == len(path.ratings):
                self.expect(view, "CLOSED", problems, f"rating {round_}")
                status = self.probe.wait_execution_end(case_id)
                if status != "SUCCEEDED":
                    problems.append(f"the execution ended {status}")
            else:
                expected = "REOPENED" if round_ == 1 else "SUPERVISED"
                self.expect(view, expected, problems, f"rating {round_}")
                self.probe.wait_parked(case_id, expected, "handling")
        return case_id

    def measure(self, path: CasePath, result: PathResult) -> Usage:
        """Drive one case; its usage is the meters' difference around it (probes excluded)."""
        if self.meters.settle() is None:
            result.problems.append("the runtime was still busy before the case started")
        before, retries = self.meters.reading(), self.api.retries
        case_id = self.drive(path, result.problems)
        if self.meters.settle() is None:
            result.problems.append("activity did not settle within 30 s after the case closed")
        usage = self.meters.reading().plus(before, -1)
        usage.client_retries = self.api.retries - retries
        usage.sfn_transitions = self.probe.state_transitions(case_id)
        result.closed_reasons[str(self.probe.case(case_id).get("closed_reason"))] += 1
        return usage


def measure_paths(driver: CaseDriver) -> list[PathResult]:
    try:  # warm-up: the first calls load the catalogue and create clients in each function
        driver.measure(PATHS[-1], PathResult(PATHS[-1]))
    except BenchError as exc:
        log(f"warm-up case failed: {exc}")
    results = []
    for path in PATHS:
        result = PathResult(path)
        for i in range(PATH_REPEATS):
            try:
                result.cases.append(driver.measure(path, result))
            except BenchError as exc:
                result.problems.append(str(exc))
                break
            log(f"path ({path.key}) case {i + 1}/{PATH_REPEATS} measured")
        results.append(result)
    return results


@dataclass(frozen=True)
class LambdaPricing:
    architecture: str
    memory_gb: float

    @property
    def gb_second(self) -> float:
        return PRICE_LAMBDA_GB_SECOND.get(self.architecture, PRICE_LAMBDA_GB_SECOND["x86_64"])

    @staticmethod
    def from_template(region: str) -> LambdaPricing:
        from infra.local.template import Template

        fn = Template(region).raw.get("Globals", {}).get("Function", {})
        architecture = (fn.get("Architectures") or ["x86_64"])[0]
        return LambdaPricing(str(architecture), int(fn.get("MemorySize", 128)) / 1024)


def cost_per_case(usage: Usage, lam: LambdaPricing, lambda_ms_each: float | None = None) -> dict[str, float]:
    """USD per case by service. Lambda duration: the measured billed ms, or `lambda_ms_each` per invocation."""
    billed_ms = usage.billed_ms if lambda_ms_each is None else lambda_ms_each * usage.invocations
    return {
        "Step Functions (state transitions)": usage.sfn_transitions * PRICE_SFN_TRANSITION,
        "API Gateway (REST requests)": usage.api_requests * PRICE_APIGW_REQUEST,
        "DynamoDB writes (WRU)": usage.ddb_write_units * PRICE_DDB_WRU,
        "DynamoDB reads (RRU)": usage.ddb_read_units * PRICE_DDB_RRU,
        "Lambda requests": usage.invocations * PRICE_LAMBDA_REQUEST,
        "Lambda duration (GB-s)": billed_ms / 1000 * lam.memory_gb * lam.gb_second,
    }


def operations_table(results: list[PathResult]) -> str:
    measured = [r for r in results if r.cases]
    if not measured:
        return "3a. AWS operations per case: no path could be measured (see the problems below)."
    usages = [r.usage for r in measured]
    functions = sorted({name for u in usages for name in u.lambda_invocations})
    consumers = sorted({name for u in usages for name in u.stream_records})
    ddb_ops = sorted(
        {k for u in usages for k in u.calls if k.startswith("dynamodb.") and k.split(".")[1] in READ_OPS | WRITE_OPS}
    )
    other_calls = sorted(
        {
            k
            for u in usages
            for k in u.calls
            if not k.startswith(("dynamodb.", "dynamodb-streams.", "lambda.")) and k not in POLLING_CALLS
        }
    )

    def row(label: str, value: Callable[[Usage], float | str]) -> list[object]:
        return [label, *(v if isinstance(v := value(u), str) else num(v) for u in usages)]

    def keyed(label: str, counts: Callable[[Usage], dict[str, float]], key: str) -> list[object]:
        return row(label, lambda u: counts(u).get(key, 0))

    rows: list[list[object]] = [
        row("API Gateway requests", lambda u: u.api_requests),
        row("Lambda invocations", lambda u: u.invocations),
        *(keyed(f"  {fn}", lambda u: u.lambda_invocations, fn) for fn in functions),
        *(keyed(f"  {fn} stream records", lambda u: u.stream_records, fn) for fn in consumers),
        row("Lambda billed ms (measured locally)", lambda u: u.billed_ms),
        row("DynamoDB read requests", lambda u: u.ddb(READ_OPS)),
        row("DynamoDB items read", lambda u: u.ddb_items_read),
        row("DynamoDB read request units", lambda u: f"{u.ddb_read_units:.1f}"),
        row("DynamoDB write requests", lambda u: u.ddb(WRITE_OPS)),
        row("DynamoDB items in transactions", lambda u: u.ddb_transaction_items),
        row("DynamoDB write request units", lambda u: u.ddb_write_units),
        *(keyed(f"  {op.split('.')[1]} calls", lambda u: u.calls, op) for op in ddb_ops),
        row("Step Functions state transitions", lambda u: u.sfn_transitions),
        *(keyed(f"other: {k}", lambda u: u.calls, k) for k in other_calls),
        row("409 answers retried by the client", lambda u: u.client_retries),
        ["cases measured", *(len(r.cases) for r in measured)],
        ["closed as", *(", ".join(sorted(r.closed_reasons)) for r in measured)],
    ]
    headers = ["per case", *(f"({r.path.key})" for r in measured)]
    varied = [r.path.key for r in measured if len({c.fingerprint() for c in r.cases}) > 1]
    return (
        render_table("3a. AWS operations per case, by path", headers, rows)
        + "\n"
        + notes(
            *(f"({r.path.key}) {r.path.title}" for r in results),
            "Counted from the real calls: every AWS call by botocore hooks (DynamoDB request units from item",
            "sizes), Lambda by the local runtime's invocation counter (API handlers run in-process behind the",
            "local API Gateway; stream consumers are fed by the local poller), Step Functions by StateEntered",
            "events in the case's execution history. Left out: the benchmark's status polls, the stream",
            "poller's own DescribeTable/GetRecords calls (free for Lambda triggers), the escalation sweep",
            "(scheduled every 15 min, a fixed cost; switched off here) and SNS SMS charges.",
            f"Mean of {PATH_REPEATS} cases per path after one warm-up case; each action waits until the workflow has",
            "parked its callback token, as with people in the loop."
            + (f" Counts varied between cases on path(s) {', '.join(varied)}" if varied else ""),
            *(["(the poller batches stream records differently from case to case)."] if varied else []),
        )
    )


def cost_table(results: list[PathResult], lam: LambdaPricing) -> str:
    measured = [r for r in results if r.cases]
    if not measured:
        return "3b. AWS cost per 1,000 cases: nothing measured."
    costs = [{k: v * 1000 for k, v in cost_per_case(r.usage, lam).items()} for r in measured]
    totals = [sum(c.values()) for c in costs]
    rows: list[list[object]] = [
        [
            service,
            *(
                f"{usd(c[service])} {c[service] / t * 100 if t else 0:5.1f}%"
                for c, t in zip(costs, totals, strict=True)
            ),
        ]
        for service in costs[0]
    ]
    rows.append(["total per 1,000 cases", *(usd(t) for t in totals)])
    headers = ["USD per 1,000 cases (share)", *(f"({r.path.key})" for r in measured)]
    lines = [
        render_table("3b. AWS cost per 1,000 cases, by path and service", headers, rows),
        notes(
            "List prices (us-east-1 style; SMS excluded): Step Functions Standard $0.025 per 1,000 state",
            "transitions; DynamoDB on-demand $0.625 per 1M WRU, $0.125 per 1M RRU; API Gateway REST $3.50 per",
            f"1M requests; Lambda $0.20 per 1M requests + ${lam.gb_second:.10f} per GB-s for {lam.architecture} as",
            f"template.yaml builds it (arm64: ${PRICE_LAMBDA_GB_SECOND['arm64']:.10f}), {lam.memory_gb * 1024:.0f} MB, "
            "for the billed ms",
            "measured per invocation in this run (in-process against moto, each rounded up to 1 ms).",
        ),
    ]
    main = next((r for r in measured if r.path.key == "a"), None)
    if main is not None:
        by_service = cost_per_case(main.usage, lam)
        total = sum(by_service.values()) * 1000
        at_100 = sum(cost_per_case(main.usage, lam, ASSUMED_LAMBDA_MS).values()) * 1000
        unbatched = sum(cost_per_case(main.usage.one_invocation_per_record(), lam).values()) * 1000
        top, top_cost = max(by_service.items(), key=lambda kv: kv[1])
        lines.append(
            notes(
                f"Main path (a): {usd(total)} per 1,000 cases, within ${MAIN_PATH_BUDGET:.2f}: "
                f"{'yes' if total <= MAIN_PATH_BUDGET else 'NO'}. Largest share: {top} "
                f"({top_cost * 1000 / total * 100:.0f}%).",
                f"Path (a) at {ASSUMED_LAMBDA_MS} ms per Lambda invocation instead of the measured duration: "
                f"{usd(at_100)}; with one stream",
                f"consumer invocation per timeline event (events hours apart, no shared batches): {usd(unbatched)}.",
            )
        )
    problems = [f"({r.path.key}) {p}" for r in results for p in dict.fromkeys(r.problems)]
    if problems:
        lines.append(notes("Problems seen while driving the paths:", *problems))
    return "\n".join(lines)


# =================================================================================================
# 2. Local API throughput
# =================================================================================================


@dataclass
class LoadRun:
    label: str
    threads: int
    seconds: float
    latencies_ms: list[float]  # in completion order
    statuses: Counter[int]
    table_items_at_start: int
    backlog_seconds: float | None = None  # until the background work the run caused went quiet

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def p50_of(self, part: slice) -> str:
        values = self.latencies_ms[part]
        return f"{percentile(values, 50):.0f}" if values else "-"


def table_items(runtime: Any) -> int:
    """Items in the cases table, read from the embedded AWS's memory (not an AWS call)."""
    from moto.dynamodb.models import dynamodb_backends

    from infra.local.template import ACCOUNT

    table = dynamodb_backends[ACCOUNT][runtime.region].tables[runtime.resources["CasesTable"]]
    return sum(len(v) if isinstance(v, dict) else 1 for v in list(table.items.values()))


def run_load(runtime: Any, label: str, token: str, max_requests: int, time_limit: float | None) -> LoadRun:
    """POST /v1/requests from SUBMIT_THREADS threads, a requests.Session each, until `max_requests`
    were sent or `time_limit` seconds passed."""
    url = f"{runtime.base_url}/v1/requests"
    tickets = itertools.count()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start_line = threading.Barrier(SUBMIT_THREADS + 1)
    items = table_items(runtime)
    started = 0.0

    def worker() -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        start_line.wait()
        while next(tickets) < max_requests and (time_limit is None or time.perf_counter() - started < time_limit):
            t0 = time.perf_counter()
            try:
                status = http.post(url, json=REQUEST_BODY, headers=headers, timeout=120).status_code
            except requests.RequestException:
                status = 0
            elapsed_ms = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed_ms)
                statuses[status] += 1

    workers = [threading.Thread(target=worker, name=f"bench-load-{i}") for i in range(SUBMIT_THREADS)]
    for w in workers:
        w.start()
    started = time.perf_counter()
    start_line.wait()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    log(f"load ({label}): {len(latencies)} submits in {seconds:.1f} s")
    return LoadRun(label, SUBMIT_THREADS, seconds, latencies, statuses, items)


def measure_submit_throughput(runtime: Any, meters: Meters) -> list[LoadRun]:
    """SUBMIT_REQUESTS submits on the local runtime, as `make run` serves them."""
    token = ApiClient(runtime.base_url).token("citizen", sub="bench-load-citizen")
    time_left = TIME_BUDGET - (time.perf_counter() - _T0) - DRAIN_TIMEOUT
    run = run_load(runtime, "local runtime", token, SUBMIT_REQUESTS, max(60.0, time_left))
    run.backlog_seconds = meters.settle(quiet=1.0, timeout=DRAIN_TIMEOUT)
    return [run]


def throughput_table(runs: list[LoadRun]) -> str:
    def row(label: str, value: Callable[[LoadRun], object]) -> list[object]:
        return [label, *(value(r) if r.requests else "-" for r in runs)]

    def others(r: LoadRun) -> str:
        return ", ".join(f"{s}: {n}" for s, n in sorted(r.statuses.items()) if s != 201) or "none"

    rows = [
        row("requests sent", lambda r: r.requests),
        row("answered 201", lambda r: r.statuses.get(201, 0)),
        row("other answers (0 = no answer)", others),
        row("client threads", lambda r: r.threads),
        row("wall time s", lambda r: f"{r.seconds:.1f}"),
        row("throughput requests/s", lambda r: f"{r.requests / r.seconds:.1f}"),
        row("latency p50 ms", lambda r: f"{percentile(r.latencies_ms, 50):.0f}"),
        row("latency p99 ms", lambda r: f"{percentile(r.latencies_ms, 99):.0f}"),
        row("latency max ms", lambda r: f"{max(r.latencies_ms):.0f}"),
        row("p50 of the first 10% ms", lambda r: r.p50_of(slice(0, max(1, r.requests // 10)))),
        row("p50 of the last 10% ms", lambda r: r.p50_of(slice(-max(1, r.requests // 10), None))),
        row("items in the cases table at start", lambda r: r.table_items_at_start),
        row(
            "background work quiet after s",
            lambda r: f"{r.backlog_seconds:.1f}" if r.backlog_seconds is not None else f"> {DRAIN_TIMEOUT:.0f}",
        ),
    ]
    headers = ["metric", *(r.label for r in runs)]
    return (
        render_table("2. Local API: POST /v1/requests on the in-process LocalRuntime (embedded moto)", headers, rows)
        + "\n"
        + notes(
            "Handlers are warm (section 3 ran first). Each submit also starts a workflow execution and stream",
            "deliveries (SMS notices, scoreboard counters) in the same process, behind moto's single lock.",
            f"The run stops before {SUBMIT_REQUESTS:,} only if the whole benchmark would exceed {TIME_BUDGET:.0f} s.",
        )
    )


# =================================================================================================
# Main
# =================================================================================================


def start_runtime(aws: AwsMeter) -> Any:
    os.environ.setdefault("MINYI_LOG_LEVEL", "ERROR")  # handler logs would bury the progress
    os.environ["LOCAL_SCHEDULE_SECONDS"] = "0"  # no escalation sweep: a fixed cost, not a per-case one
    from infra.local.runtime import LocalRuntime

    runtime = LocalRuntime(host="127.0.0.1", port=0)  # port 0: a free port
    aws.install()  # before runtime.start() creates the first boto3 client
    return runtime.start()


def main() -> int:
    region = os.environ.get("AWS_REGION") or "ap-east-1"
    lam = LambdaPricing.from_template(region)
    sections: list[str] = []

    log("1. cold start")
    baseline, functions = measure_cold_starts(region)
    sections.append(cold_start_table(baseline, functions))

    log("starting the local runtime")
    aws = AwsMeter(region)
    # Handlers print (SMS, metrics): keep stdout for the tables.
    with contextlib.redirect_stdout(sys.stderr):
        runtime = start_runtime(aws)
        try:
            meters = Meters(runtime, aws)
            log(f"runtime at {runtime.base_url}; 3. operations per case")
            paths = measure_paths(CaseDriver(runtime, meters, CaseProbe(runtime, aws)))
            log("2. local API throughput")
            load_runs = measure_submit_throughput(runtime, meters)
        finally:
            runtime.stop()

    sections += [throughput_table(load_runs), operations_table(paths), cost_table(paths, lam)]
    header = (
        f"Minyi benchmark  {time.strftime('%Y-%m-%d %H:%M:%S')}  Python {platform.python_version()}  "
        f"{os.cpu_count()} CPUs  region {region}"
    )
    print(header + "\n\n" + "\n\n".join(sections), flush=True)
    # SMS, sweep and stats benchmarks run on in-process moto: a process of their own.
    subprocess.run([sys.executable, "-m", "scripts.bench_ops"], check=True)
    print(f"\n(benchmark ran {time.perf_counter() - _T0:.0f} s)")
    return 0


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: finalising ~1,000 parked workflow threads and moto's heap takes
    # about 10 s and measures nothing.
    os._exit(exit_code)
