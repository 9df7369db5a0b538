"""Suggestions while writing through the local API (issue 18, part 6): POST /v1/intake/suggestions on
the in-process local runtime, as the citizen app calls it while people type.

A few located traffic complaints are filed first around one crossing, so every suggestion reads open
cases from the nearby index and ranks real duplicate candidates. Then:

- **reads**: a metered pass counts the DynamoDB calls each suggestion actually makes (the AWS meter's
  botocore hooks, the same as the per-case tables) and their read request units from the items
  returned. Issue 18 asks for at most 10 queries and 30 RRU per suggestion; every DynamoDB read counts
  as a query here (GetItem too), so the bound is no looser than the issue's.
- **latency**: an unmetered pass from one client (the meter costs CPU on every call), p50 and p99 of
  the HTTP round trip. Target p99 <= 100 ms locally.

It runs before the load run, while the runtime is quiet (the load run leaves a thousand open cases at
one point, which would be every suggestion's neighbours).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from scripts.bench.cases import CITIZEN_PHONE, ApiClient
from scripts.bench.meters import READ_OPS, Meters
from scripts.bench.report import BenchError, Target, log, notes, percentile, render_table

ROOT = Path(__file__).resolve().parents[2]
HELD_OUT = ROOT / "data" / "intake" / "heldout.jsonl"

P99_TARGET_MS = 100.0
QUERIES_TARGET = 10.0
RRU_TARGET = 30.0
FILED_CASES = 12  # open, located cases near the crossing: the suggestions' neighbours
METERED = 20  # suggestions whose DynamoDB reads are counted
WARM_UP = 10  # uncounted: the handler's clients, the catalogue, the model in force
CROSSING = (22.5405, 114.0550)  # 彩田路 x 福华路, Futian
SPREAD_DEG = 0.0008  # filed cases lie within about 90 m of the crossing


@dataclass
class SuggestionRun:
    filed: int
    latencies_ms: list[float]
    statuses: dict[int, int]
    metered: int
    reads_per_suggestion: float  # every DynamoDB read call
    queries_per_suggestion: float  # Query calls alone
    rru_per_suggestion: float
    candidates_per_suggestion: float  # duplicates in the answers (the reads found something)

    @property
    def p50_ms(self) -> float | None:
        return percentile(self.latencies_ms, 50) if self.latencies_ms else None

    @property
    def p99_ms(self) -> float | None:
        return percentile(self.latencies_ms, 99) if self.latencies_ms else None


def complaints(topic: str = "traffic") -> list[str]:
    """Held-out complaints of one topic: the words residents write, never trained on."""
    rows = [json.loads(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows if r["topic"] == topic]


def body(text: str, i: int) -> dict[str, Any]:
    """A suggestion request a few metres from the crossing (the app sends the phone's position)."""
    lat, lon = CROSSING
    return {"description": text, "lat": round(lat + (i % 5) * 0.00005, 6), "lon": round(lon + (i % 3) * 0.00005, 6)}


def file_cases(client: ApiClient, token: str, texts: list[str]) -> int:
    lat, lon = CROSSING
    for i in range(FILED_CASES):
        offset = (i % 4 - 1.5) * SPREAD_DEG / 2, (i % 3 - 1) * SPREAD_DEG / 2
        client.post(
            "/v1/requests",
            token,
            {
                "category": "complaint",
                "topic": "traffic",
                "district": "futian",
                "description": texts[i % len(texts)],
                "location": {"lat": round(lat + offset[0], 6), "lon": round(lon + offset[1], 6)},
            },
        )
    return FILED_CASES


def measure_suggestions(runtime: Any, meters: Meters, requests_total: int) -> SuggestionRun:
    """File the neighbours, then the metered pass (reads) and the unmetered one (latency)."""
    client = ApiClient(runtime.base_url)
    token = client.token("citizen", sub="bench-suggest-citizen", phone=CITIZEN_PHONE)
    texts = complaints()
    if not texts:
        raise BenchError(f"no traffic complaints in {HELD_OUT}")
    filed = file_cases(client, token, texts)
    url = f"{runtime.base_url}/v1/intake/suggestions"
    headers = {"Authorization": f"Bearer {token}"}
    http = requests.Session()

    def suggest(i: int) -> requests.Response:
        return http.post(url, json=body(texts[i % len(texts)], i), headers=headers, timeout=60)

    for i in range(WARM_UP):
        resp = suggest(i)
        if resp.status_code != 200:
            raise BenchError(f"POST /v1/intake/suggestions -> {resp.status_code}: {resp.text[:300]}")
    meters.settle(quiet=1.0, timeout=20.0)  # the filed cases' workflows and stream deliveries are done

    before = meters.reading()
    candidates = 0
    for i in range(METERED):
        resp = suggest(i)
        if resp.status_code == 200:
            candidates += len(resp.json()["duplicates"])
    spent = meters.reading().plus(before, -1)
    if candidates == 0:
        raise BenchError("the suggestions found none of the filed cases: the reads measured nothing")

    meters.aws.enabled = False
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    try:
        for i in range(requests_total):
            began = time.perf_counter()
            status = suggest(i).status_code
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        meters.aws.enabled = True
    log(f"suggestions: {len(latencies)} through the local API, {METERED} metered")
    return SuggestionRun(
        filed=filed,
        latencies_ms=latencies,
        statuses=statuses,
        metered=METERED,
        reads_per_suggestion=spent.ddb(READ_OPS) / METERED,
        queries_per_suggestion=spent.ddb({"Query"}) / METERED,
        rru_per_suggestion=spent.ddb_read_units / METERED,
        candidates_per_suggestion=candidates / METERED,
    )


def targets(run: SuggestionRun | None) -> list[Target]:
    return [
        Target("suggestion latency p99, local API", run.p99_ms if run else None, P99_TARGET_MS, "ms"),
        Target(
            "DynamoDB reads per suggestion",
            run.reads_per_suggestion if run else None,
            QUERIES_TARGET,
            "queries",
        ),
        Target("read units per suggestion", run.rru_per_suggestion if run else None, RRU_TARGET, "RRU"),
    ]


def suggestions_table(run: SuggestionRun | None) -> str:
    rows = [t.cells() for t in targets(run)]
    table = render_table(
        "Issue 18 targets: POST /v1/intake/suggestions on the in-process LocalRuntime",
        ["target", "measured", "target", "verdict"],
        rows,
    )
    if run is None:
        return table + "\n" + notes("not measured (see the progress lines)")
    others = ", ".join(f"{s}: {n}" for s, n in sorted(run.statuses.items()) if s != 200) or "none"
    return (
        table
        + "\n"
        + notes(
            f"{len(run.latencies_ms)} suggestions from one client (other answers: {others}), p50 {run.p50_ms:.0f} ms;",
            f"{run.filed} open traffic complaints filed first within about 90 m, so each suggestion reads and ranks",
            f"them ({run.candidates_per_suggestion:.1f} duplicates per answer). Reads counted over {run.metered}"
            f" suggestions: every DynamoDB read call ({run.queries_per_suggestion:.1f} of them Query), read units from",
            "the items returned (eventually consistent: 0.5 per 4 KB, at least 0.5 a call).",
        )
    )
