"""Cold start: the import time of each function's handler module (functions/*/app.py) in a fresh
interpreter with the function's environment from template.yaml, as a ratio to a bare `import boto3`
measured the same way in the same run (target: at most 1.3x). What a Lambda cold start costs
before the first line of the handler runs, comparable from machine to machine."""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.bench.report import BenchError, notes, render_table

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
COLD_START_TARGET = 1.3  # handler import / bare `import boto3`


#: Runs in a fresh interpreter: times the import of one handler module (or of boto3), then building the
#: handler's service (its `service()`, what the first request does before its first AWS call); prints
#: both in seconds (the second "nan" where there is none, or building it needs AWS itself).
_IMPORT_PROBE = """
import importlib.util, sys, time
target = sys.argv[1]
service = float("nan")
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
    if callable(getattr(module, "service", None)):
        start = time.perf_counter()
        try:
            module.service()
            service = time.perf_counter() - start
        except Exception:
            pass
print(repr(elapsed), repr(service))
"""


@dataclass
class ColdStart:
    name: str  # functions/<name>, or the baseline
    logical_id: str
    samples_ms: list[float] = field(default_factory=list)
    service_ms: list[float] = field(default_factory=list)  # building the service after the import
    error: str | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def service_median_ms(self) -> float | None:
        return statistics.median(self.service_ms) if self.service_ms else None


def function_dirs() -> list[Path]:
    return sorted(p for p in FUNCTIONS_DIR.iterdir() if (p / "app.py").is_file())


def lambda_base_environment(region: str) -> dict[str, str]:
    """What every probe interpreter gets: a Lambda-like environment without an X-Ray daemon, whose AWS
    calls (a service that reads a secret while it is built) fail at once on a closed local port."""
    return {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_MAX_ATTEMPTS": "1",
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


def time_import(target: str, code_dir: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds the probe interpreter spent importing `target` (a handler file, or "boto3"), and then
    building the handler's service (nan: none, or it needs AWS)."""
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
    imported, service = proc.stdout.strip().splitlines()[-1].split()
    return float(imported), float(service)


def measure_cold_starts(region: str, runs: int) -> tuple[ColdStart, list[ColdStart]]:
    """Median import times. The runs of all targets are interleaved, so drift affects them alike."""
    base = lambda_base_environment(region)
    targets: list[tuple[ColdStart, str, Path, dict[str, str]]] = [
        (ColdStart("import boto3", "(baseline)"), "boto3", FUNCTIONS_DIR, base)
    ]
    for code_dir in function_dirs():
        logical_id, env = function_environment(code_dir, region)
        targets.append((ColdStart(code_dir.name, logical_id), str(code_dir / "app.py"), code_dir, {**base, **env}))
    for run in range(runs + 1):  # run 0 warms the bytecode and file caches, not counted
        for result, target, code_dir, env in targets:
            if result.error:
                continue
            try:
                seconds, service = time_import(target, code_dir, env)
            except (BenchError, subprocess.TimeoutExpired) as exc:
                result.error = str(exc)
                continue
            if run > 0:
                result.samples_ms.append(seconds * 1000)
                if not math.isnan(service):
                    result.service_ms.append(service * 1000)
    baseline, *functions = (t[0] for t in targets)
    return baseline, functions


def cold_start_table(baseline: ColdStart, functions: list[ColdStart], runs: int) -> str:
    title = (
        f"1. Cold start: handler module import, median of {runs} fresh interpreters, "
        f"relative to a bare `import boto3` (target <= {COLD_START_TARGET}x)"
    )
    if baseline.error:
        return render_table(title, ["import boto3"], [[f"failed: {baseline.error}"]])
    fastest_boto3 = min(baseline.samples_ms)
    boto3_times = [f"{baseline.median_ms:.0f}", f"{fastest_boto3:.0f}", "1.00x", "1.00x"]
    rows: list[list[object]] = [["import boto3 (baseline)", "-", *boto3_times, "-", "-"]]
    within = 0
    for fn in functions:
        module = f"functions/{fn.name}/app.py"
        if fn.error:
            rows.append([module, fn.logical_id, "failed", "-", "-", "-", f"no: {fn.error[:70]}", "-"])
            continue
        ratio = fn.median_ms / baseline.median_ms
        within += ratio <= COLD_START_TARGET
        times = [f"{fn.median_ms:.0f}", f"{min(fn.samples_ms):.0f}", f"{ratio:.2f}x"]
        service = fn.service_median_ms
        rows.append(
            [
                module,
                fn.logical_id,
                *times,
                f"{min(fn.samples_ms) / fastest_boto3:.2f}x",
                ratio_verdict(ratio),
                "-" if service is None else f"{service:.0f}",
            ]
        )
    headers = [
        "module",
        "function",
        "median ms",
        "min ms",
        "ratio",
        "min ratio",
        f"ratio <= {COLD_START_TARGET}x",
        "+ service() ms",
    ]
    return (
        render_table(title, headers, rows)
        + "\n"
        + notes(
            f"{within} of {len(functions)} handlers within target. ratio = median / median of `import boto3`;",
            "min ratio = fastest / fastest `import boto3`, a check on noise from other load on the machine.",
            "Environment: template.yaml Globals + the function's variables (references resolved to dummy names),",
            "AWS_REGION, POWERTOOLS_TRACE_DISABLED=true; perf_counter around the import only; the runs of all",
            "modules interleaved, after one unmeasured warm-up run each. + service(): then building the handler's",
            "service (adapters, boto3 clients, what the wiring imports on demand), as the first request does",
            "before its first AWS call; '-' where there is none or building it reads a secret from AWS.",
            "Libraries a request loads only when it needs them (holidays, phonenumbers) are not in either.",
        )
    )


def ratio_verdict(ratio: float) -> str:
    return "yes" if ratio <= COLD_START_TARGET else "no"
