"""In-process Lambdas (`infra/local/lambdas.py`): functions that share one interpreter, and so one
Powertools Logger and metric set, still log under their own service name, and no EMF reaches the
console."""

from __future__ import annotations

import io
import json
import logging
import types
import uuid
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics

from infra.local.lambdas import LocalLambdas, _powertools_objects
from infra.local.template import Template

REGION = "ap-east-1"
#: More values than Powertools buffers before it prints a metric set on its own.
MANY_METRIC_VALUES = 150


def shared_module(name: str, logger: Logger, metrics: Metrics) -> types.ModuleType:
    """A handler module as every function's app.py is: it imports the package's shared logger and metrics."""
    module = types.ModuleType(name)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        logger.warning("handled", extra={"step": event["step"]})
        for _ in range(event.get("metrics", 0)):
            metrics.add_metric(name="CasesSubmitted", unit="Count", value=1)
        return {"ok": True}

    module.logger = logger  # type: ignore[attr-defined]
    module.metrics = metrics  # type: ignore[attr-defined]
    module.handler = handler  # type: ignore[attr-defined]
    return module


@pytest.fixture
def console() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def lambdas(monkeypatch: pytest.MonkeyPatch, console: io.StringIO) -> LocalLambdas:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    runtime = LocalLambdas(Template(REGION), {})
    # the logger's own service is whichever function was imported first
    logger = Logger(service=f"first-imported-{uuid.uuid4().hex[:6]}", logger_handler=logging.StreamHandler(console))
    metrics = Metrics(namespace="MinyiTest")
    for name in ("SubmitFunction", "RateFunction", "CasesFunction"):
        module = shared_module(name, logger, metrics)
        runtime._modules[name] = module
        runtime._powertools[name] = _powertools_objects(module)
        runtime.specs[name].handler = "app.handler"
    return runtime


def log_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_each_function_logs_under_its_own_service_name(lambdas: LocalLambdas, console: io.StringIO) -> None:
    # Given three functions sharing one Powertools logger
    # When each is invoked
    for step, name in enumerate(("SubmitFunction", "RateFunction", "CasesFunction")):
        lambdas.invoke(name, {"step": step})
    # Then each line carries the service name template.yaml gives that function
    lines = log_lines(console.getvalue())
    assert [(line["step"], line["service"]) for line in lines] == [(0, "submit"), (1, "rate"), (2, "cases")]


def test_the_service_name_does_not_outlive_the_invocation(lambdas: LocalLambdas, console: io.StringIO) -> None:
    # Given the rate function ran on this thread
    lambdas.invoke("RateFunction", {"step": 1})
    console.truncate(0)
    console.seek(0)
    # When the shared logger writes outside any invocation
    lambdas._powertools["RateFunction"][0][0].warning("between invocations", extra={"step": 9})
    # Then it is back to the logger's own service
    assert log_lines(console.getvalue())[0]["service"].startswith("first-imported-")


def test_no_emf_reaches_the_console(lambdas: LocalLambdas, capsys: pytest.CaptureFixture[str]) -> None:
    # Given metrics are disabled, as in the local runtime
    # When invocations record more metric values than Powertools buffers
    for _ in range(3):
        lambdas.invoke("SubmitFunction", {"step": 0, "metrics": MANY_METRIC_VALUES // 3 + 1})
    # Then no EMF document is printed
    assert '"_aws"' not in capsys.readouterr().out


def test_a_function_answers_one_event_at_a_time_as_one_lambda_container_does(lambdas: LocalLambdas) -> None:
    # Given a handler that keeps its event on a shared object while it works, as Powertools' resolver does
    import threading
    import time

    app = types.SimpleNamespace(current_event=None)
    mixed: list[tuple[int, int]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        app.current_event = event
        time.sleep(0.002)  # another request arrives meanwhile
        seen = app.current_event["step"]
        if seen != event["step"]:
            mixed.append((event["step"], seen))
        return {"step": seen}

    lambdas._modules["SubmitFunction"].handler = handler  # type: ignore[attr-defined]
    answers: list[Any] = []
    # When twenty requests reach the function at once
    threads = [
        threading.Thread(
            target=lambda n=n: answers.append(lambdas.invoke("SubmitFunction", {"httpMethod": "GET", "step": n}))
        )
        for n in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then each was answered from its own event
    assert mixed == []
    assert sorted(a["step"] for a in answers) == list(range(20))
