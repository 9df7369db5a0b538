"""The OpenAPI document is the contract: Schemathesis drives the local runtime once per role.

Each role (and an anonymous caller) gets a bearer token from `POST /local/tokens` and runs the
examples, fuzzing and the stateful phase (which follows the document's links from a created case to
its reads and actions), the admin the coverage phase too, all with bounded examples (schemathesis.toml).
The run fails on any 5xx, any answer that does not match the document (status, content type, headers,
body schema), any input the API should have refused but took and any schema-valid input it refused (but
the data-dependent refusals schemathesis.toml names, each with its reason).

The counts per role (requests, 5xx, schema mismatches, undocumented statuses) are printed and written
to `tests/contract/results/counts.json` (git-ignored). `MINYI_CONTRACT_SEED` changes the seed,
`MINYI_CONTRACT_EXAMPLES` the examples per operation.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CONFIG = HERE / "schemathesis.toml"

SEED = int(os.environ.get("MINYI_CONTRACT_SEED", "20261126"))
EXAMPLES = int(os.environ.get("MINYI_CONTRACT_EXAMPLES", "0")) or None  # None: schemathesis.toml

#: Every role of the API, and nobody at all. `unit` for staff: the unit whose inbox they read.
#: (The admin first: it runs the coverage phase too.) A phone makes the account's mobile verified.
ROLES: dict[str, dict[str, str] | None] = {
    "admin": {"sub": "contract-admin", "role": "admin", "phone": "+8613800000001"},
    "anonymous": None,
    "citizen": {"sub": "contract-citizen", "role": "citizen", "phone": "+8613800000002"},
    "operator": {"sub": "contract-operator", "role": "operator", "phone": "+8613800000003"},
    "staff": {"sub": "contract-staff", "role": "staff", "unit": "futian-traffic-police"},
    "dispatcher": {"sub": "contract-dispatcher", "role": "dispatcher"},
    "supervisor": {"sub": "contract-supervisor", "role": "supervisor"},
}

#: What "matches the document" means: every check Schemathesis has (no 5xx, every status documented,
#: the documented content type, headers and body schema, invalid input refused, valid input accepted,
#: missing auth refused, deleted resources gone, one caller's objects not readable by another ...), but
#: those that do not apply to an API behind API Gateway (EXCLUDED_CHECKS).
CHECKS = ("all",)
#: Knowingly not applicable, each for its reason (README, "contract tests"):
EXCLUDED_CHECKS = (
    # expects 405 for a method an operation lacks; API Gateway (REST) cannot tell a wrong method from an
    # unknown path: both are its MISSING_AUTHENTICATION_TOKEN response, the template's 404 no_route
    # (the coverage phase still sends those methods, and the other checks hold the 404 to the document)
    "unsupported_method",
    # the Allow header of a 405, which API Gateway never sends (see above)
    "allow_header_conformance",
)

#: The coverage phase (every boundary of every parameter, unexpected methods, missing auth, other media
#: types) answers the same for every role up to the role check, so it runs for the role that passes every
#: role check; the others run the examples, fuzzing and the stateful phase.
COVERAGE_ROLES = {"admin"}

#: Schemathesis failure codes by what they mean here: a 5xx, an undocumented status, an answer whose
#: content type, headers or body the document does not describe.
SERVER_ERROR = {"ST101", "ST102"}
UNDOCUMENTED_STATUS = {"ST103"}
RESPONSE_MISMATCH = {"ST104", "ST105", "ST106", "ST107", "ST108", "ST109", "ST110", "ST111"}


@dataclass
class Counts:
    role: str
    requests: int = 0
    server_errors: int = 0
    schema_mismatches: int = 0
    undocumented_statuses: int = 0
    other_failures: int = 0
    engine_errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (
            self.server_errors
            or self.schema_mismatches
            or self.undocumented_statuses
            or self.other_failures
            or self.engine_errors
        )


def _token(base_url: str, body: dict[str, str]) -> str | None:
    resp = requests.post(f"{base_url}/local/tokens", json=body, timeout=10)
    if resp.status_code == 422:  # a role this runtime cannot sign in (yet)
        return None
    resp.raise_for_status()
    return str(resp.json()["token"])


def _run(base_url: str, role: str, token: str | None, phases: str, out: Path) -> Counts:
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--exclude-checks",
        ",".join(EXCLUDED_CHECKS),
        "--phases",
        phases,
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--report",
        "json,har",
        "--report-json-path",
        str(out / "report.json"),
        "--report-har-path",
        str(out / "requests.har"),
        "--no-color",
    ]
    if EXAMPLES:
        command += ["--max-examples", str(EXAMPLES)]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    for stale in ("report.json", "requests.har"):
        (out / stale).unlink(missing_ok=True)
    # Hypothesis keeps the character tables it builds for the string strategies (a scan of all of
    # Unicode, about a second of CPU) in its storage folder: one folder for every role and run
    env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(RESULTS / ".hypothesis")}
    started = time.monotonic()
    result = subprocess.run(command, cwd=out, env=env, capture_output=True, text=True, timeout=900)
    counts = Counts(role=role, seconds=round(time.monotonic() - started, 1))
    (out / "output.txt").write_text(result.stdout + result.stderr)
    if not (out / "report.json").exists():
        counts.engine_errors = 1
        counts.failures.append(f"no report (exit {result.returncode}): {(result.stdout + result.stderr)[-2000:]}")
        return counts
    report = json.loads((out / "report.json").read_text())
    for failure in report.get("failures", []):
        code, number = str(failure.get("code")), int(failure.get("count", 1))
        where = ", ".join(failure.get("operations", [])[:8])
        counts.failures.append(f"{code} {failure.get('title')} x{number}: {where}")
        if code in UNDOCUMENTED_STATUS:
            counts.undocumented_statuses += number
        elif code in RESPONSE_MISMATCH:
            counts.schema_mismatches += number
        elif code not in SERVER_ERROR:  # 5xx are counted from the answers themselves
            counts.other_failures += number
    for error in report.get("errors", []):
        counts.engine_errors += 1
        counts.failures.append(f"error: {json.dumps(error)[:500]}")
    har = json.loads((out / "requests.har").read_text())
    for entry in har.get("log", {}).get("entries", []):
        status = int(entry.get("response", {}).get("status", 0))
        counts.requests += 1
        counts.statuses[str(status)] = counts.statuses.get(str(status), 0) + 1
        if status >= 500:
            counts.server_errors += 1
    if result.returncode != 0 and counts.clean:
        counts.engine_errors += 1
        counts.failures.append(f"schemathesis exited {result.returncode}: {(result.stdout + result.stderr)[-2000:]}")
    return counts


def _table(all_counts: list[Counts]) -> str:
    lines = [
        "Schemathesis per role (requests, 5xx, schema mismatches, undocumented statuses, other failures)",
        f"{'role':<12}{'requests':>9}{'5xx':>5}{'schema':>8}{'undoc':>7}{'other':>7}{'secs':>7}  statuses",
    ]
    for c in all_counts:
        if c.skipped:
            lines.append(f"{c.role:<12}skipped: {c.skipped}")
            continue
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(c.statuses.items()))
        lines.append(
            f"{c.role:<12}{c.requests:>9}{c.server_errors:>5}{c.schema_mismatches:>8}"
            f"{c.undocumented_statuses:>7}{c.other_failures + c.engine_errors:>7}{c.seconds:>7}  {statuses}"
        )
    return "\n".join(lines)


def _report(request: pytest.FixtureRequest, counts: Counts) -> None:
    """One role's row, printed at once and kept in tests/contract/results/<role>/counts.json (the
    session merges them into results/counts.json), so each role can run on its own worker."""
    folder = RESULTS / counts.role
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "counts.json").write_text(json.dumps(asdict(counts), indent=2) + "\n")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\n" + _table([counts]), flush=True)


@pytest.mark.contract
@pytest.mark.parametrize("role", list(ROLES))
def test_every_answer_is_documented(runtime: str, request: pytest.FixtureRequest, role: str) -> None:
    body = ROLES[role]
    token = _token(runtime, body) if body else None
    if body and token is None:
        _report(request, Counts(role=role, skipped="POST /local/tokens does not issue this role"))
        pytest.skip(f"POST /local/tokens does not issue the role {role}")
    phases = "examples,coverage,fuzzing,stateful" if role in COVERAGE_ROLES else "examples,fuzzing,stateful"
    counts = _run(runtime, role, token, phases, RESULTS / role)
    _report(request, counts)
    assert counts.clean, f"{_table([counts])}\n\n" + "\n".join(counts.failures) + f"\n\nsee {RESULTS / role}"
