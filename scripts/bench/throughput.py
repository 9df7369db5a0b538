"""Local API throughput: POST /v1/requests on the in-process local runtime (as `make run` serves it)
from a few client threads, with throughput and latency percentiles - issue 8's targets are 30
requests/s and a p99 of 500 ms at 4 clients on a quiet machine.

Each submit also starts a workflow execution and stream deliveries (SMS notices, scoreboard counters)
in the same process, so the run measures the whole local stack, not one handler. To show where the
time goes, the run also times every operation moto answers (moto's own work: parsing, the backend,
serialising) and the process's CPU time, and prints the breakdown operation by operation.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from scripts.bench.cases import CITIZEN_PHONE, REQUEST_BODY, ApiClient
from scripts.bench.meters import Meters
from scripts.bench.report import log, notes, percentile, render_table

SUBMIT_THREADS = 4
DRAIN_TIMEOUT = 120.0  # how long to wait for the background work after a load run
WARM_UP_REQUESTS = 20  # sent first, not counted: handler caches, clients, the catalogue
MOTO_ROWS = 12  # operations listed in the breakdown
SUBMITS_PER_S_TARGET = 30.0
P99_TARGET_MS = 500.0


@dataclass
class LoadRun:
    label: str
    threads: int
    seconds: float
    latencies_ms: list[float]  # in completion order
    statuses: Counter[int]
    table_items_at_start: int
    cpu_seconds: float = 0.0  # the process's CPU time during the run (all threads)
    moto_calls: dict[str, int] = field(default_factory=dict)
    moto_seconds: dict[str, float] = field(default_factory=dict)  # wall clock, under moto's lock
    moto_cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU of the calling thread
    backlog_seconds: float | None = None  # until the background work the run caused went quiet
    cpu_with_backlog_seconds: float | None = None  # the process's CPU from the run's start until then
    deferrals: int = 0  # background waits that found the API busy (infra/local/lambdas.py, ApiFirst)

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)

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
    from scripts.bench.moto_timer import timed_operations

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
        # the runtime is on loopback: no proxy settings to read from the environment at every request (the
        # client threads share the process whose CPU per submit is measured)
        http.trust_env = False
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
    with timed_operations() as moto_times:
        cpu_before = time.process_time()
        started = time.perf_counter()
        start_line.wait()
        for w in workers:
            w.join()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        calls, moto_seconds, moto_cpu = moto_times.snapshot()
    log(f"load ({label}): {len(latencies)} submits in {seconds:.1f} s")
    return LoadRun(label, SUBMIT_THREADS, seconds, latencies, statuses, items, cpu, calls, moto_seconds, moto_cpu)


def measure_submit_throughput(runtime: Any, meters: Meters, requests_total: int, time_limit: float) -> LoadRun:
    """`requests_total` submits on the local runtime, after a few uncounted ones."""
    token = ApiClient(runtime.base_url).token("citizen", sub="bench-load-citizen", phone=CITIZEN_PHONE)
    run_load(runtime, "warm-up", token, WARM_UP_REQUESTS, None)
    meters.settle(quiet=1.0, timeout=DRAIN_TIMEOUT)
    meters.aws.enabled = False  # the AWS call meter costs CPU on every call: off while measuring speed
    deferrals = runtime.lambdas.api_first.deferrals
    cpu_before = time.process_time()
    try:
        run = run_load(runtime, "local runtime", token, requests_total, time_limit)
    finally:
        meters.aws.enabled = True
    run.deferrals = runtime.lambdas.api_first.deferrals - deferrals
    run.backlog_seconds = meters.settle(quiet=1.0, timeout=DRAIN_TIMEOUT)
    if run.backlog_seconds is not None:
        run.cpu_with_backlog_seconds = time.process_time() - cpu_before
    return run


def throughput_table(run: LoadRun) -> str:
    def row(label: str, value: Callable[[LoadRun], object]) -> list[object]:
        return [label, value(run) if run.requests else "-"]

    def others(r: LoadRun) -> str:
        return ", ".join(f"{s}: {n}" for s, n in sorted(r.statuses.items()) if s != 201) or "none"

    rows = [
        row("requests sent", lambda r: r.requests),
        row("answered 201", lambda r: r.statuses.get(201, 0)),
        row("other answers (0 = no answer)", others),
        row("client threads", lambda r: r.threads),
        row("wall time s", lambda r: f"{r.seconds:.1f}"),
        row(f"throughput requests/s (target >= {SUBMITS_PER_S_TARGET:.0f})", lambda r: f"{r.per_second:.1f}"),
        row("latency p50 ms", lambda r: f"{percentile(r.latencies_ms, 50):.0f}"),
        row(f"latency p99 ms (target <= {P99_TARGET_MS:.0f})", lambda r: f"{r.p99_ms:.0f}"),
        row("latency max ms", lambda r: f"{max(r.latencies_ms):.0f}"),
        row("p50 of the first 10% ms", lambda r: r.p50_of(slice(0, max(1, r.requests // 10)))),
        row("p50 of the last 10% ms", lambda r: r.p50_of(slice(-max(1, r.requests // 10), None))),
        row("process CPU ms per submit (all threads)", lambda r: f"{r.cpu_seconds * 1000 / r.requests:.1f}"),
        row("items in the cases table at start", lambda r: r.table_items_at_start),
        row("background waits for the API (ApiFirst)", lambda r: r.deferrals),
        row(
            "background work quiet after s",
            lambda r: f"{r.backlog_seconds:.1f}" if r.backlog_seconds is not None else f"> {DRAIN_TIMEOUT:.0f}",
        ),
        row(
            "process CPU ms per submit, its background work included",
            lambda r: (
                f"{r.cpu_with_backlog_seconds * 1000 / r.requests:.1f}"
                if r.cpu_with_backlog_seconds is not None
                else "-"
            ),
        ),
    ]
    return (
        render_table(
            "2. Local API: POST /v1/requests on the in-process LocalRuntime (embedded moto)",
            ["metric", run.label],
            rows,
        )
        + "\n"
        + notes(
            f"{WARM_UP_REQUESTS} uncounted submits first. Each submit also starts a workflow execution and stream",
            "deliveries (SMS notices, scoreboard counters) in the same process: one interpreter, one GIL, one",
            "moto lock. As in AWS, where they run on compute of their own, that background work does not slow",
            "the API: the runtime defers it while the API answers (infra/local/lambdas.py, ApiFirst), and it",
            "drains once the load stops (its time and the CPU it took are in the last two rows).",
        )
    )


def moto_breakdown_table(run: LoadRun) -> str:
    """moto's own cost, operation by operation, during the load run."""
    if not run.requests or not run.moto_calls:
        return "2b. moto's cost per operation: not measured."
    per_submit = 1000 / run.requests
    cpu_total = run.cpu_seconds or float("nan")

    def cells(calls: int, cpu: float, wall: float) -> list[object]:
        return [
            calls,
            f"{calls / run.requests:.2f}",
            f"{cpu * 1000 / calls:.2f}" if calls else "",
            f"{cpu * per_submit:.2f}",
            f"{wall * per_submit:.2f}",
            f"{cpu / cpu_total * 100:.1f}%",
        ]

    ordered = sorted(run.moto_calls, key=lambda op: -run.moto_cpu_seconds.get(op, 0.0))
    rows: list[list[object]] = [
        [op, *cells(run.moto_calls[op], run.moto_cpu_seconds.get(op, 0.0), run.moto_seconds.get(op, 0.0))]
        for op in ordered[:MOTO_ROWS]
    ]
    rest = ordered[MOTO_ROWS:]
    if rest:
        rows.append(
            [
                "(other operations)",
                *cells(
                    sum(run.moto_calls[op] for op in rest),
                    sum(run.moto_cpu_seconds.get(op, 0.0) for op in rest),
                    sum(run.moto_seconds.get(op, 0.0) for op in rest),
                ),
            ]
        )
    moto_cpu = sum(run.moto_cpu_seconds.values())
    rows.append(
        ["moto, all operations", *cells(sum(run.moto_calls.values()), moto_cpu, sum(run.moto_seconds.values()))]
    )
    cpu_per_submit = run.cpu_seconds * per_submit
    ceiling = 1000 / (moto_cpu * per_submit) if moto_cpu else float("inf")
    headers = ["operation", "calls", "per submit", "CPU ms each", "CPU ms/submit", "wall ms/submit", "share of CPU"]
    return (
        render_table(
            "2b. Where a submit's time goes: moto's own work per operation, during the load run", headers, rows
        )
        + "\n"
        + notes(
            "moto's action dispatch (request parsing, the backend, the answer), timed inside moto's lock: CPU",
            "of the calling thread, and wall clock (which also counts waiting for the GIL on a busy machine).",
            f"Process CPU per submit (all threads): {cpu_per_submit:.1f} ms; moto's work alone would allow at most",
            f"{ceiling:.0f} submits/s in one process. The rest of the CPU: the handlers (Powertools, pydantic),",
            "botocore on the client side, the Step Functions interpreter, the stream consumers, the local API",
            "Gateway.",
        )
    )
