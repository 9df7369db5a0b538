"""`make bench`: Minyi's performance and cost numbers, measured in one run on this machine.

Three plain-text tables, no pass/fail (the script always exits 0 once it has printed them):

1. Cold start: the import time of each function's handler module (functions/*/app.py) in a fresh
   interpreter with the function's environment from template.yaml, as a ratio to a bare
   `import boto3` measured the same way in the same run. Target: at most 1.3x.
2. Local API: throughput and p50/p99 latency of POST /v1/requests on an in-process LocalRuntime
   (embedded moto), sent by a few client threads.
3. AWS operations per case for three lifecycle paths, counted from the real calls the code makes
   (botocore hooks for DynamoDB, the local Lambda counter, Step Functions execution history), and
   what 1,000 such cases cost at public list prices.

The sections run in the order 1, 3, 2: per-case counting needs a quiet runtime, before the load test
leaves 1,000 workflow executions running in the background. Progress goes to stderr; the tables are
printed to stdout at the end, in section order.
"""

from __future__ import annotations

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
from contextlib import contextmanager
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
SUBMIT_WARMUP = 20
PATH_REPEATS = 3  # measured cases per path, after one unmeasured warm-up case
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
PRICE_LAMBDA_GB_SECOND = 0.0000133334  # arm64
LAMBDA_MEMORY_GB = 512 / 1024  # template.yaml Globals MemorySize
ASSUMED_LAMBDA_MS = 100  # the alternative duration assumption, shown as a sensitivity line
PRICE_DDB_WRU = 0.625 / 1_000_000  # on-demand write request unit
PRICE_DDB_RRU = 0.125 / 1_000_000  # on-demand read request unit
PRICE_APIGW_REQUEST = 3.50 / 1_000_000  # REST API


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class BenchError(RuntimeError):
    """Something in the product did not behave as the benchmark expects (reported, not raised out)."""


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

#: Runs in a fresh interpreter: times the import of one handler module (or of boto3) and prints seconds.
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
    name: str  # functions/<name>
    logical_id: str
    samples_ms: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)


def function_dirs() -> list[Path]:
    return sorted(p for p in FUNCTIONS_DIR.iterdir() if (p / "app.py").is_file())


def lambda_base_environment(region: str) -> dict[str, str]:
    """What every probe interpreter gets: a Lambda-like environment, no X-Ray daemon."""
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
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise BenchError(last)
    return float(proc.stdout.strip().splitlines()[-1])


def measure_cold_starts(region: str) -> tuple[ColdStart, list[ColdStart]]:
    """Median import times; the runs of all targets are interleaved so drift hits them alike."""
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
        log(f"cold start: run {run}/{COLD_START_RUNS} done")
    baseline, *functions = (t[0] for t in targets)
    return baseline, functions


def cold_start_table(baseline: ColdStart, functions: list[ColdStart]) -> str:
    rows: list[list[object]] = []
    if baseline.error:
        return render_table("1. Cold start", ["module"], [[f"import boto3 failed: {baseline.error}"]])
    rows.append(["import boto3 (baseline)", "-", f"{baseline.median_ms:.0f}", "1.00x", "-"])
    for fn in functions:
        if fn.error:
            rows.append([f"functions/{fn.name}", fn.logical_id, "import failed", "-", f"no ({fn.error[:60]})"])
            continue
        ratio = fn.median_ms / baseline.median_ms
        verdict = "yes" if ratio <= COLD_START_TARGET else "no"
        rows.append([f"functions/{fn.name}/app.py", fn.logical_id, f"{fn.median_ms:.0f}", f"{ratio:.2f}x", verdict])
    title = (
        f"1. Cold start: handler module import, median of {COLD_START_RUNS} fresh interpreters, "
        f"relative to a bare `import boto3` (target <= {COLD_START_TARGET}x)"
    )
    headers = ["module", "function", "import ms", "vs boto3", f"<= {COLD_START_TARGET}x"]
    note = (
        "   Environment: template.yaml Globals + the function's variables (references resolved to dummy names),\n"
        "   AWS_REGION, POWERTOOLS_TRACE_DISABLED=true; timed with perf_counter around the import only."
    )
    return render_table(title, headers, rows) + "\n" + note


# =================================================================================================
# Meters: DynamoDB (botocore hooks), Lambda and API Gateway (the local runtime's invoke)
# =================================================================================================

READ_OPS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


def attribute_size(value: dict[str, Any]) -> int:
    """DynamoDB's size of one attribute value in wire form ({"S": ...}), per the documented rules."""
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


def write_units(operation: str, params: dict[str, Any]) -> tuple[float, int]:
    """(write request units, items in a transaction). UpdateItem's final item size is unknown to the
    caller: it is sized by its key and values (at least 1 WRU)."""

    def update_size(spec: dict[str, Any]) -> int:
        return item_size(spec.get("Key")) + item_size(spec.get("ExpressionAttributeValues"))

    if operation == "PutItem":
        return units(item_size(params.get("Item")), 1024), 0
    if operation == "UpdateItem":
        return units(update_size(params), 1024), 0
    if operation == "DeleteItem":
        return 1, 0
    if operation == "TransactWriteItems":
        wru = 0
        items = params.get("TransactItems", [])
        for entry in items:
            if "Put" in entry:
                wru += 2 * units(item_size(entry["Put"].get("Item")), 1024)
            elif "Update" in entry:
                wru += 2 * units(update_size(entry["Update"]), 1024)
            else:  # Delete, ConditionCheck
                wru += 2
        return wru, len(items)
    if operation == "BatchWriteItem":
        wru = 0
        for requests_ in params.get("RequestItems", {}).values():
            for r in requests_:
                wru += units(item_size(r["PutRequest"]["Item"]), 1024) if "PutRequest" in r else 1
        return wru, 0
    return 0, 0


def read_units(operation: str, consistent: bool, parsed: dict[str, Any]) -> tuple[float, int]:
    """(read request units, items returned): 4 KB units, half for eventually consistent reads."""
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
        return sum(2 * units(item_size(i), 4096) for i in items), len(items)
    return 0.0, 0


class DynamoMeter:
    """Counts DynamoDB calls by operation with their request units, from botocore event hooks.

    The hooks go into botocore's BUILTIN_HANDLERS, so they reach every session created afterwards:
    install before the runtime creates any client. Calls made inside `excluded()` (the benchmark's own
    status probes) are not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self.calls: Counter[str] = Counter()
        self.items_read = 0
        self.transaction_items = 0
        self.read_units = 0.0
        self.write_units = 0.0

    def install(self) -> None:
        botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build.dynamodb", self._before))
        botocore.handlers.BUILTIN_HANDLERS.append(("after-call.dynamodb", self._after))

    @contextmanager
    def excluded(self) -> Iterator[None]:
        self._local.excluded = True
        try:
            yield
        finally:
            self._local.excluded = False

    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if getattr(self._local, "excluded", False):
            return
        operation = model.name
        context["bench_operation"] = operation
        context["bench_consistent"] = bool(params.get("ConsistentRead"))
        wru, transaction_items = write_units(operation, params) if operation in WRITE_OPS else (0, 0)
        with self._lock:
            self.calls[operation] += 1
            self.write_units += wru
            self.transaction_items += transaction_items

    def _after(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        operation = context.get("bench_operation")
        if operation not in READ_OPS or "Error" in parsed:
            return
        rru, items = read_units(operation, context.get("bench_consistent", False), parsed)
        with self._lock:
            self.read_units += rru
            self.items_read += items


class LambdaMeter:
    """Wraps the runtime's LocalLambdas.invoke (used by the local gateway and by the Step Functions
    interpreter's lambda:invoke) to time each invocation and count API Gateway proxy requests."""

    def __init__(self, lambdas: Any) -> None:
        self.lambdas = lambdas
        self._lock = threading.Lock()
        self.billed_ms: Counter[str] = Counter()
        self.api_requests = 0
        original: Callable[[str, Any], Any] = lambdas.invoke

        def timed_invoke(name: str, event: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(name, event)
            finally:
                billed = math.ceil((time.perf_counter() - start) * 1000)  # Lambda bills per 1 ms
                with self._lock:
                    self.billed_ms[name] += billed
                    if isinstance(event, dict) and "httpMethod" in event:
                        self.api_requests += 1

        lambdas.invoke = timed_invoke  # instance attribute: the gateway and the botocore hook both see it


@dataclass
class Usage:
    """AWS usage between two meter readings, or the mean of several cases."""

    api_requests: float = 0
    lambda_invocations: dict[str, float] = field(default_factory=dict)
    lambda_billed_ms: dict[str, float] = field(default_factory=dict)
    ddb_calls: dict[str, float] = field(default_factory=dict)
    ddb_items_read: float = 0
    ddb_transaction_items: float = 0
    ddb_read_units: float = 0
    ddb_write_units: float = 0
    sfn_transitions: float = 0
    moto_requests: float = 0  # every AWS API request that reached the embedded AWS
    client_retries: float = 0  # 409 answers the benchmark retried

    def combine(self, other: Usage, weight: float) -> Usage:
        """self + weight * other, field by field."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                merged = dict(mine)
                for k, v in theirs.items():
                    merged[k] = merged.get(k, 0) + weight * v
                values[f.name] = {k: v for k, v in merged.items() if v}
            else:
                values[f.name] = mine + weight * theirs
        return Usage(**values)

    @staticmethod
    def mean(usages: Sequence[Usage]) -> Usage:
        total = Usage()
        for u in usages:
            total = total.combine(u, 1 / len(usages))
        return total

    @property
    def invocations(self) -> float:
        return sum(self.lambda_invocations.values())

    @property
    def billed_ms(self) -> float:
        return sum(self.lambda_billed_ms.values())

    def ddb_reads(self) -> float:
        return sum(v for k, v in self.ddb_calls.items() if k in READ_OPS)

    def ddb_writes(self) -> float:
        return sum(v for k, v in self.ddb_calls.items() if k in WRITE_OPS)


class Meters:
    def __init__(self, runtime: Any, dynamo: DynamoMeter):
        self.runtime = runtime
        self.dynamo = dynamo
        self.lambdas = LambdaMeter(runtime.lambdas)

    def reading(self) -> Usage:
        d, lam = self.dynamo, self.lambdas
        with d._lock, lam._lock:
            return Usage(
                api_requests=lam.api_requests,
                lambda_invocations=dict(self.runtime.lambdas.invocations.counts),
                lambda_billed_ms=dict(lam.billed_ms),
                ddb_calls=dict(d.calls),
                ddb_items_read=d.items_read,
                ddb_transaction_items=d.transaction_items,
                ddb_read_units=d.read_units,
                ddb_write_units=d.write_units,
                moto_requests=self.runtime.aws.app.requests,
            )

    def activity(self) -> tuple[int, int]:
        return self.runtime.aws.app.requests, sum(self.runtime.lambdas.invocations.counts.values())

    def settle(self, quiet: float = 0.3, timeout: float = 30.0) -> bool:
        """Wait until no AWS request and no Lambda invocation happened for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last, since = self.activity(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            now = self.activity()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return True
        return False


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
        """POST and return the JSON answer; a 409 (conflict, or the case not there yet) is retried."""
        for _ in range(attempts):
            resp = self.http.post(
                f"{self.base_url}{path}", json=body or {}, headers={"Authorization": f"Bearer {token}"}, timeout=30
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
    """Reads a case straight from the table and its execution from Step Functions. The benchmark's own
    reads: excluded from the DynamoDB counts and subtracted from the request counts."""

    def __init__(self, runtime: Any, dynamo: DynamoMeter):
        import boto3
        from boto3.dynamodb.types import TypeDeserializer

        self.dynamo = dynamo
        self.ddb = boto3.client("dynamodb")
        self.sfn = boto3.client("stepfunctions")
        self.table = runtime.resources["CasesTable"]
        self.state_machine_arn = runtime.resources["CaseWorkflow"]
        self.requests = 0
        self._deserialize = TypeDeserializer().deserialize

    def execution_arn(self, case_id: str) -> str:
        return f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{case_id}"

    def case(self, case_id: str) -> dict[str, Any]:
        with self.dynamo.excluded():
            self.requests += 1
            resp = self.ddb.get_item(
                TableName=self.table, Key={"PK": {"S": f"CASE#{case_id}"}, "SK": {"S": "CASE"}}, ConsistentRead=True
            )
        return {k: self._deserialize(v) for k, v in resp.get("Item", {}).items()}

    def wait_parked(self, case_id: str, status: str, phase: str, timeout: float = 30.0) -> dict[str, Any]:
        """Until the case has `status` and its workflow has parked its callback token for `phase` in the
        current round (so the next action meets the workflow where a real user would)."""
        deadline = time.monotonic() + timeout
        case: dict[str, Any] = {}
        while time.monotonic() < deadline:
            case = self.case(case_id)
            wait = case.get("wait") or {}
            if case.get("status") == status and wait.get("phase") == phase and wait.get("round") == case.get("round"):
                return case
            time.sleep(0.02)
        raise BenchError(
            f"case {case_id} not {status} and parked for {phase} within {timeout:.0f}s "
            f"(status {case.get('status')}, wait {(case.get('wait') or {}).get('phase')})"
        )

    def wait_execution_end(self, case_id: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.requests += 1
            status = str(self.sfn.describe_execution(executionArn=self.execution_arn(case_id))["status"])
            if status != "RUNNING":
                return status
            time.sleep(0.02)
        raise BenchError(f"execution {case_id} still RUNNING after {timeout:.0f}s")

    def state_transitions(self, case_id: str) -> int:
        """StateEntered events in the execution's history: what Standard workflows bill."""
        count, kwargs = 0, {"executionArn": self.execution_arn(case_id), "maxResults": 1000}
        while True:
            self.requests += 1
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

    @property
    def varies(self) -> bool:
        return len({(c.invocations, c.ddb_write_units, c.sfn_transitions, c.api_requests) for c in self.cases}) > 1


class CaseDriver:
    def __init__(self, runtime: Any, meters: Meters, probe: CaseProbe):
        self.meters = meters
        self.probe = probe
        self.api = ApiClient(runtime.base_url)
        self.staff = self.api.token("staff", sub="bench-staff", unit=STAFF_UNIT)

    def expect(self, view: dict[str, Any], status: str, problems: list[str], step: str) -> None:
        if view.get("status") != status:
            problems.append(f"{step}: answered status {view.get('status')}, expected {status}")

    def drive(self, path: CasePath, problems: list[str]) -> str:
        """One case along `path`, every action over HTTP; returns the case id once its execution ended."""
        citizen = self.api.token("citizen", sub=f"bench-citizen-{uuid.uuid4().hex[:8]}")
        created = self.api.post("/v1/requests", citizen, REQUEST_BODY)
        case_id = str(created["id"])
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
                    problems.append(f"execution ended {status}")
            else:
                expected = "REOPENED" if round_ == 1 else "SUPERVISED"
                self.expect(view, expected, problems, f"rating {round_}")
                self.probe.wait_parked(case_id, expected, "handling")
        return case_id

    def measure(self, path: CasePath, result: PathResult | None = None) -> Usage:
        """Drive one case and return what it used: the meters' difference around it, less the probes."""
        result = result or PathResult(path)
        self.meters.settle()
        before, probes, retries = self.meters.reading(), self.probe.requests, self.api.retries
        case_id = self.drive(path, result.problems)
        if not self.meters.settle():
            result.problems.append("activity did not settle within 30 s after the case closed")
        usage = self.meters.reading().combine(before, -1)
        usage.moto_requests -= self.probe.requests - probes
        usage.client_retries = self.api.retries - retries
        usage.sfn_transitions = self.probe.state_transitions(case_id)
        result.closed_reasons[str(self.probe.case(case_id).get("closed_reason"))] += 1
        return usage


def measure_paths(driver: CaseDriver) -> list[PathResult]:
    try:  # warm-up: first calls load the catalogue and create clients in each function
        driver.measure(PATHS[-1])
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


def cost_per_case(usage: Usage, lambda_ms_each: float | None = None) -> dict[str, float]:
    """USD per case by service. Lambda duration: the measured billed ms, or `lambda_ms_each` per invocation."""
    billed_ms = usage.billed_ms if lambda_ms_each is None else lambda_ms_each * usage.invocations
    return {
        "Step Functions (transitions)": usage.sfn_transitions * PRICE_SFN_TRANSITION,
        "API Gateway (REST requests)": usage.api_requests * PRICE_APIGW_REQUEST,
        "DynamoDB writes (WRU)": usage.ddb_write_units * PRICE_DDB_WRU,
        "DynamoDB reads (RRU)": usage.ddb_read_units * PRICE_DDB_RRU,
        "Lambda requests": usage.invocations * PRICE_LAMBDA_REQUEST,
        "Lambda duration (GB-s)": billed_ms / 1000 * LAMBDA_MEMORY_GB * PRICE_LAMBDA_GB_SECOND,
    }


def operations_table(results: list[PathResult]) -> str:
    measured = [r for r in results if r.cases]
    usages = [r.usage for r in measured]
    functions = sorted({name for u in usages for name in u.lambda_invocations})
    ddb_ops = sorted({op for u in usages for op in u.ddb_calls})

    def row(label: str, value: Callable[[Usage], float | str]) -> list[object]:
        return [label, *(v if isinstance(v := value(u), str) else num(v) for u in usages)]

    rows = [
        row("API Gateway requests", lambda u: u.api_requests),
        row("Lambda invocations", lambda u: u.invocations),
        *(row(f"  {fn}", lambda u, fn=fn: u.lambda_invocations.get(fn, 0)) for fn in functions),
        row("Lambda billed ms (measured locally)", lambda u: u.billed_ms),
        row("DynamoDB read requests", lambda u: u.ddb_reads()),
        row("DynamoDB items read", lambda u: u.ddb_items_read),
        row("DynamoDB read request units", lambda u: f"{u.ddb_read_units:.1f}"),
        row("DynamoDB write requests", lambda u: u.ddb_writes()),
        row("DynamoDB items in transactions", lambda u: u.ddb_transaction_items),
        row("DynamoDB write request units", lambda u: u.ddb_write_units),
        *(row(f"  calls: {op}", lambda u, op=op: u.ddb_calls.get(op, 0)) for op in ddb_ops),
        row("Step Functions state transitions", lambda u: u.sfn_transitions),
        row("AWS API requests reaching moto", lambda u: u.moto_requests),
        row("409 answers retried by the client", lambda u: u.client_retries),
    ]
    rows.append(["cases measured", *(len(r.cases) for r in measured)])
    rows.append(["closed as", *(", ".join(sorted(r.closed_reasons)) for r in measured)])
    headers = ["per case", *(f"({r.path.key})" for r in measured)]
    legend = "\n".join(f"   ({r.path.key}) {r.path.title}" for r in results)
    notes = (
        "   Counted from the real calls: DynamoDB by botocore hooks (request units from item sizes: 1 KB per WRU,\n"
        "   x2 in transactions; 4 KB per RRU, half for eventually consistent reads), Lambda by the local runtime's\n"
        "   invocation counter (API handlers run in-process behind the local API Gateway), Step Functions by\n"
        "   StateEntered events in the case's execution history. The benchmark's status polls are excluded.\n"
        f"   Mean of {PATH_REPEATS} cases per path after one warm-up case; every action waits until the workflow\n"
        "   has parked its callback token, as it would with people in the loop."
    )
    for r in results:
        if r.varies:
            notes += f"\n   Path ({r.path.key}): counts varied between cases (mean shown)."
    title = "3a. AWS operations per case, by path"
    return render_table(title, headers, rows) + "\n" + legend + "\n" + notes


def cost_table(results: list[PathResult]) -> str:
    measured = [r for r in results if r.cases]
    costs = [{k: v * 1000 for k, v in cost_per_case(r.usage).items()} for r in measured]
    totals = [sum(c.values()) for c in costs]
    rows: list[list[object]] = []
    for service in costs[0] if costs else []:
        cells = [
            f"{usd(c[service])} {c[service] / total * 100 if total else 0:5.1f}%"
            for c, total in zip(costs, totals, strict=True)
        ]
        rows.append([service, *cells])
    rows.append(["total per 1,000 cases", *(usd(t) for t in totals)])
    headers = ["USD per 1,000 cases (share)", *(f"({r.path.key})" for r in measured)]
    prices = (
        "   List prices (us-east-1 style, SMS excluded): Step Functions Standard $0.025 per 1,000 state\n"
        "   transitions; Lambda arm64 $0.20 per 1M requests + $0.0000133334 per GB-s at 512 MB, duration = the\n"
        "   billed ms measured per invocation in this run (in-process against moto, rounded up to 1 ms);\n"
        "   DynamoDB on-demand $0.625 per 1M WRU, $0.125 per 1M RRU; API Gateway REST $3.50 per 1M requests."
    )
    lines = [render_table("3b. AWS cost per 1,000 cases, by path and service", headers, rows), prices]
    main = next((r for r in measured if r.path.key == "a"), None)
    if main is not None:
        total = sum(cost_per_case(main.usage).values()) * 1000
        at_100 = sum(cost_per_case(main.usage, ASSUMED_LAMBDA_MS).values()) * 1000
        top = max(cost_per_case(main.usage).items(), key=lambda kv: kv[1])
        verdict = "yes" if total <= MAIN_PATH_BUDGET else "NO"
        lines.append(
            f"   Main path (a): {usd(total)} per 1,000 cases; within ${MAIN_PATH_BUDGET:.2f}: {verdict}. "
            f"Largest share: {top[0]} ({top[1] * 1000 / total * 100:.0f}%)."
        )
        lines.append(
            f"   With {ASSUMED_LAMBDA_MS} ms per Lambda invocation instead of the measured duration: "
            f"{usd(at_100)} per 1,000 cases on path (a)."
        )
    return "\n".join(lines)


def problems_text(results: list[PathResult]) -> str:
    lines = [f"   ({r.path.key}) {p}" for r in results for p in dict.fromkeys(r.problems)]
    return ("   Problems seen while driving the paths:\n" + "\n".join(lines)) if lines else ""


# =================================================================================================
# 2. Local API throughput
# =================================================================================================


@dataclass
class Throughput:
    requests: int
    threads: int
    seconds: float
    latencies_ms: list[float]
    statuses: Counter[int]
    backlog_seconds: float | None  # time for the background workflows to go quiet afterwards


def measure_submit_throughput(base_url: str, meters: Meters) -> Throughput:
    api = ApiClient(base_url)
    token = api.token("citizen", sub="bench-load-citizen")
    for _ in range(SUBMIT_WARMUP):
        api.post("/v1/requests", token, REQUEST_BODY)
    meters.settle(timeout=15)

    tickets = itertools.count()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    start_line = threading.Barrier(SUBMIT_THREADS + 1)

    def worker() -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {token}"}
        start_line.wait()
        while next(tickets) < SUBMIT_REQUESTS:
            t0 = time.perf_counter()
            try:
                status = http.post(f"{base_url}/v1/requests", json=REQUEST_BODY, headers=headers, timeout=60).status_code
            except requests.RequestException:
                status = 0
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1

    workers = [threading.Thread(target=worker, name=f"bench-load-{i}") for i in range(SUBMIT_THREADS)]
    for w in workers:
        w.start()
    start_line.wait()
    started = time.perf_counter()
    for w in workers:
        w.join()
    seconds = time.perf_counter() - started
    log(f"load: {SUBMIT_REQUESTS} submits in {seconds:.1f}s; waiting for the background workflows")
    drained_at = time.perf_counter()
    backlog = time.perf_counter() - drained_at if meters.settle(quiet=1.0, timeout=90) else None
    return Throughput(SUBMIT_REQUESTS, SUBMIT_THREADS, seconds, latencies, statuses, backlog)


def throughput_table(t: Throughput) -> str:
    ok = t.statuses.get(201, 0)
    rows = [
        ["requests sent (after warm-up)", t.requests],
        ["client threads", t.threads],
        ["answered 201", ok],
        ["other answers", ", ".join(f"{s}: {n}" for s, n in sorted(t.statuses.items()) if s != 201) or "none"],
        ["wall time s", f"{t.seconds:.1f}"],
        ["throughput requests/s", f"{t.requests / t.seconds:.1f}"],
        ["latency p50 ms", f"{percentile(t.latencies_ms, 50):.1f}"],
        ["latency p99 ms", f"{percentile(t.latencies_ms, 99):.1f}"],
        ["latency mean ms", f"{statistics.fmean(t.latencies_ms):.1f}"],
        ["latency max ms", f"{max(t.latencies_ms):.1f}"],
        [
            "workflow backlog drained after s",
            f"{t.backlog_seconds:.1f}" if t.backlog_seconds is not None else "not within 90",
        ],
    ]
    title = "2. Local API: POST /v1/requests on the in-process LocalRuntime (embedded moto)"
    note = (
        f"   {SUBMIT_WARMUP} unmeasured warm-up submits first. Each submit also starts a workflow execution that\n"
        "   routes and parks in the background, competing for the same process (and moto's single lock)."
    )
    return render_table(title, ["metric", "value"], rows) + "\n" + note


# =================================================================================================
# Main
# =================================================================================================


def start_runtime(dynamo: DynamoMeter) -> Any:
    os.environ.setdefault("MINYI_LOG_LEVEL", "ERROR")  # keep handler logs out of the tables
    from infra.local.runtime import LocalRuntime

    runtime = LocalRuntime(host="127.0.0.1", port=0)  # port 0: a free port
    dynamo.install()  # before runtime.start() creates the first boto3 client
    return runtime.start()


def main() -> int:
    started = time.perf_counter()
    region = os.environ.get("AWS_REGION") or "ap-east-1"
    sections: list[str] = []

    log("1. cold start")
    baseline, functions = measure_cold_starts(region)
    sections.append(cold_start_table(baseline, functions))

    log("starting the local runtime")
    dynamo = DynamoMeter()
    runtime = start_runtime(dynamo)
    try:
        meters = Meters(runtime, dynamo)
        probe = CaseProbe(runtime, dynamo)
        log(f"runtime at {runtime.base_url}; 3. operations per case")
        paths = measure_paths(CaseDriver(runtime, meters, probe))
        log("2. local API throughput")
        throughput = measure_submit_throughput(runtime.base_url, meters)
    finally:
        runtime.stop()

    sections.append(throughput_table(throughput))
    sections.append(operations_table(paths))
    sections.append(cost_table(paths) + ("\n" + problems_text(paths) if problems_text(paths) else ""))

    header = (
        f"Minyi benchmark  {time.strftime('%Y-%m-%d %H:%M:%S')}  Python {platform.python_version()}  "
        f"{os.cpu_count()} CPUs  region {region}"
    )
    print(header + "\n\n" + "\n\n".join(sections))
    print(f"\n(benchmark ran {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
