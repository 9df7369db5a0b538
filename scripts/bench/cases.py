"""AWS operations and cost per case, by lifecycle path: one case at a time is driven over HTTP through
a path (satisfied at once; rollback then satisfied; rollback, supervision, closed), every call it
causes is metered, Step Functions transitions are counted from the execution's history, and the
usage is priced at public list prices. Path (a) carries two of issue 8's targets: its transitions
and its cost per 1,000 cases."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from scripts.bench.meters import POLLING_CALLS, READ_OPS, WRITE_OPS, AwsMeter, Meters, Usage
from scripts.bench.report import BenchError, log, notes, num, render_table, usd

STAFF_UNIT = "futian-traffic-police"  # where the routing rules send traffic complaints in Futian
CITIZEN_PHONE = "+8613812345678"  # the verified mobile a citizen's token carries
SATISFIED = {"speed": 5, "effectiveness": 4, "experience": 5, "feedback_quality": 4}
UNSATISFIED = {"speed": 2, "effectiveness": 3, "experience": 3, "feedback_quality": 3}  # any score <= 2
REQUEST_BODY: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Illegal parking blocks the bus lane on Shennan Road every morning",
    "phone": "13812345678",
    "address": "深南大道 6008",
    "location": {"lat": 22.5431, "lon": 114.0579},
}


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
MAIN_PATH_BUDGET = 0.20  # USD per 1,000 cases on path (a) (issue 8)
MAIN_PATH_TRANSITIONS = 6  # Step Functions state transitions on path (a) (issue 8)


class ApiClient:
    """What the mobile and staff apps do: HTTP with bearer tokens from the local token endpoint."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()
        self.retries = 0

    def token(self, role: str, sub: str, unit: str | None = None, phone: str | None = None) -> str:
        body: dict[str, Any] = {"sub": sub, "role": role}
        if unit:
            body["unit"] = unit
        if phone:
            body["phone"] = phone
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
        citizen = self.api.token("citizen", sub=f"bench-citizen-{uuid.uuid4().hex[:8]}", phone=CITIZEN_PHONE)
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


def measure_paths(driver: CaseDriver, repeats: int) -> list[PathResult]:
    try:  # warm-up: the first calls load the catalogue and create clients in each function
        driver.measure(PATHS[-1], PathResult(PATHS[-1]))
    except BenchError as exc:
        log(f"warm-up case failed: {exc}")
    results = []
    for path in PATHS:
        result = PathResult(path)
        for i in range(repeats):
            try:
                result.cases.append(driver.measure(path, result))
            except BenchError as exc:
                result.problems.append(str(exc))
                break
            log(f"path ({path.key}) case {i + 1}/{repeats} measured")
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


def operations_table(results: list[PathResult], repeats: int) -> str:
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
            f"Mean of {repeats} case(s) per path after one warm-up case; each action waits until the workflow has",
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
