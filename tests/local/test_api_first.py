"""In-process Lambdas give the API the CPU first (infra/local/lambdas.py, ApiFirst): background
invocations wait while an API request is being answered, for a bounded time."""

from __future__ import annotations

import threading
import time
import types
from typing import Any

from infra.local.lambdas import ApiFirst, LocalLambdas
from infra.local.template import Template

REGION = "ap-east-1"
API_EVENT = {"httpMethod": "POST", "path": "/v1/requests"}
STREAM_EVENT = {"Records": []}


def runtime_with(handlers: dict[str, Any], max_defer: float) -> LocalLambdas:
    runtime = LocalLambdas(Template(REGION), {})
    runtime.api_first = ApiFirst(max_defer=max_defer)
    for name, handler in handlers.items():
        module = types.ModuleType(name)
        module.handler = handler  # type: ignore[attr-defined]
        runtime._modules[name] = module
        runtime._powertools[name] = ([], [])
        runtime.specs[name].handler = "app.handler"
    return runtime


def test_a_background_invocation_starts_once_the_api_request_is_answered() -> None:
    # Given an API request being answered, and a stream batch for another function meanwhile
    order: list[str] = []
    answering, release = threading.Event(), threading.Event()

    def api(event: Any, context: Any) -> None:
        answering.set()
        release.wait(5)
        order.append("api answered")

    def batch(event: Any, context: Any) -> None:
        order.append("batch ran")

    runtime = runtime_with({"SubmitFunction": api, "NotifyFunction": batch}, max_defer=10)
    request = threading.Thread(target=runtime.invoke, args=("SubmitFunction", API_EVENT))
    request.start()
    answering.wait(5)
    background = threading.Thread(target=runtime.invoke, args=("NotifyFunction", STREAM_EVENT))
    background.start()
    time.sleep(0.2)
    # When the API request is answered
    assert order == []
    release.set()
    request.join(5)
    background.join(5)
    # Then the batch ran after it, having waited once
    assert order == ["api answered", "batch ran"]
    assert runtime.api_first.deferrals == 1


def test_background_work_waits_at_most_max_defer_for_a_busy_api() -> None:
    # Given an API request that is never answered while the batch waits
    answering, release = threading.Event(), threading.Event()
    ran = threading.Event()

    def api(event: Any, context: Any) -> None:
        answering.set()
        release.wait(5)

    runtime = runtime_with({"SubmitFunction": api, "NotifyFunction": lambda e, c: ran.set()}, max_defer=0.1)
    request = threading.Thread(target=runtime.invoke, args=("SubmitFunction", API_EVENT))
    request.start()
    answering.wait(5)
    # When a batch arrives, Then it runs anyway once its wait is over, the API still busy
    runtime.invoke("NotifyFunction", STREAM_EVENT)
    assert ran.is_set() and request.is_alive()
    release.set()
    request.join(5)


def test_an_api_request_never_waits_for_background_work() -> None:
    # Given a background invocation running
    running, release = threading.Event(), threading.Event()

    def batch(event: Any, context: Any) -> None:
        running.set()
        release.wait(5)

    runtime = runtime_with({"NotifyFunction": batch, "SubmitFunction": lambda e, c: "answered"}, max_defer=10)
    background = threading.Thread(target=runtime.invoke, args=("NotifyFunction", STREAM_EVENT))
    background.start()
    running.wait(5)
    # When an API request arrives, Then it is answered while the batch still runs
    assert runtime.invoke("SubmitFunction", API_EVENT) == "answered"
    assert background.is_alive()
    release.set()
    background.join(5)
