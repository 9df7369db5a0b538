"""Runs the benchmark sections in order and prints the report (see the package docstring).

Per-case counting needs a quiet runtime, so the paths are driven before the load test leaves
hundreds of workflow executions parked in the background. The SMS, sweep and stats benchmarks build
their own embedded AWS, in a process of their own. Progress goes to stderr, the report to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from scripts.bench import cases, cold_start, intake, sms, startup, stats, suggestions, sweep, throughput
from scripts.bench.meters import AwsMeter, Meters
from scripts.bench.report import BenchError, Target, elapsed, log, targets_table

TIME_BUDGET = 240.0  # seconds for the whole runtime part: the load run stops early rather than overrun
MIN_LOAD_SECONDS = 30.0


@dataclass(frozen=True)
class Plan:
    """How much to measure: the full run, or a quick look."""

    cold_start_runs: int = 3
    path_repeats: int = 2
    submit_requests: int = 1000
    sms_cases: tuple[int, int] = (100, 300)
    sweep_open_cases: tuple[int, ...] = (1_000, 20_000)
    stats_cases: tuple[int, ...] = (100, 1_000, 5_000)
    suggestion_requests: int = 300


FULL = Plan()
QUICK = Plan(
    cold_start_runs=1,
    path_repeats=1,
    submit_requests=300,
    sms_cases=(30, 60),
    sweep_open_cases=(1_000,),
    stats_cases=(100, 500),
    suggestion_requests=100,
)


def start_runtime(aws: AwsMeter) -> Any:
    os.environ.setdefault("MINYI_LOG_LEVEL", "ERROR")  # handler logs would bury the progress
    os.environ["LOCAL_SCHEDULE_SECONDS"] = "0"  # no escalation sweep: a fixed cost, not a per-case one
    from infra.local.runtime import LocalRuntime

    runtime = LocalRuntime(host="127.0.0.1", port=0, print_sms=False)  # port 0: a free port
    aws.install()  # before runtime.start() creates the first boto3 client
    runtime.start()
    from infra.local.heap import freeze_long_lived_objects

    freeze_long_lived_objects()  # as `python -m infra.local` does (infra/local/heap.py)
    return runtime


def ops_sections(plan: Plan) -> list[str]:
    """SMS, sweep, stats and intake-model benchmarks (run in a process of their own)."""
    lines: list[str] = []
    for title, section in (
        ("SMS", lambda: sms.report(*plan.sms_cases)),
        ("sweep", lambda: sweep.report(plan.sweep_open_cases)),
        ("stats", lambda: stats.report(plan.stats_cases)),
        ("intake", intake.report),
    ):
        log(f"{title} benchmark")
        try:
            lines += ["", *section()]
        except Exception as exc:  # one broken section must not hide the others
            lines += ["", f"== {title}: not measured ({type(exc).__name__}: {exc}) =="]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer and smaller samples (a minute or two)")
    parser.add_argument("--ops-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.ops_only:
        # Services called directly record metrics that no invocation clears; handlers print SMS:
        # none of it belongs on the console, only the report does.
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            lines = ops_sections(plan)
        print("\n".join(lines), flush=True)
        return 0

    region = os.environ.get("AWS_REGION") or "ap-east-1"
    lam = cases.LambdaPricing.from_template(region)
    log(
        "start-up: " + ("" if args.quick else "the runtime set into a new venv, then ") + "the runtime to /openapi.json"
    )
    started = startup.measure_startup(fresh_install=not args.quick)
    log("1. cold start")
    baseline, functions = cold_start.measure_cold_starts(region, plan.cold_start_runs)

    log("starting the local runtime")
    aws = AwsMeter(region)
    paths: list[cases.PathResult] = []
    load: throughput.LoadRun | None = None
    suggested: suggestions.SuggestionRun | None = None
    with contextlib.redirect_stdout(sys.stderr):  # handlers print (SMS): keep stdout for the report
        runtime = start_runtime(aws)
        try:
            meters = Meters(runtime, aws)
            log(f"runtime at {runtime.base_url}; 3. operations per case")
            paths = cases.measure_paths(
                cases.CaseDriver(runtime, meters, cases.CaseProbe(runtime, aws)), plan.path_repeats
            )
            log("suggestions through the local API (issue 18)")
            try:  # before the load run: its thousand open cases at one point would be every neighbour
                suggested = suggestions.measure_suggestions(runtime, meters, plan.suggestion_requests)
            except BenchError as exc:
                log(f"suggestion benchmark stopped: {exc}")
            log("2. local API throughput")
            time_left = max(MIN_LOAD_SECONDS, TIME_BUDGET - elapsed())
            load = throughput.measure_submit_throughput(runtime, meters, plan.submit_requests, time_left)
        except BenchError as exc:
            log(f"runtime benchmarks stopped: {exc}")
        finally:
            runtime.stop()

    main_path = next((r for r in paths if r.path.key == "a" and r.cases), None)
    transitions = main_path.usage.sfn_transitions if main_path else None
    cost = sum(cases.cost_per_case(main_path.usage, lam).values()) * 1000 if main_path else None
    measured_load = load if load is not None and load.requests else None
    targets = [
        Target(
            "fresh clone -> /openapi.json",
            started.fresh_clone_seconds,
            startup.FRESH_CLONE_TARGET_S,
            "s",
            note=startup.note(started),
        ),
        Target(
            "local API submits, 4 clients",
            measured_load.per_second if measured_load else None,
            throughput.SUBMITS_PER_S_TARGET,
            "req/s",
            at_most=False,
        ),
        Target(
            "local API submit latency p99",
            measured_load.p99_ms if measured_load else None,
            throughput.P99_TARGET_MS,
            "ms",
        ),
        Target("Step Functions transitions, path (a)", transitions, cases.MAIN_PATH_TRANSITIONS, "transitions"),
        Target("AWS cost per 1,000 cases, path (a)", cost, cases.MAIN_PATH_BUDGET, "USD"),
    ]
    sections = [
        targets_table(targets),
        cold_start.cold_start_table(baseline, functions, plan.cold_start_runs),
    ]
    if load is not None:
        sections += [throughput.throughput_table(load), throughput.moto_breakdown_table(load)]
    sections += [cases.operations_table(paths, plan.path_repeats), cases.cost_table(paths, lam)]
    sections.append(suggestions.suggestions_table(suggested))
    mode = "quick" if args.quick else "full"
    header = (
        f"Minyi benchmark ({mode})  {time.strftime('%Y-%m-%d %H:%M:%S')}  Python {platform.python_version()}  "
        f"{os.cpu_count()} CPUs  load {os.getloadavg()[0]:.1f}  region {region}"
    )
    print(header + "\n\n" + "\n\n".join(sections), flush=True)
    ops = [sys.executable, "-m", "scripts.bench", "--ops-only", *(["--quick"] if args.quick else [])]
    subprocess.run(ops, check=False)
    print(f"\n(benchmark ran {elapsed():.0f} s)")
    return 0


if __name__ == "__main__":
    exit_code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: finalising hundreds of parked workflow threads and moto's heap
    # takes seconds and measures nothing.
    os._exit(exit_code)
