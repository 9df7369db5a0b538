"""In-process Lambda: loads each function's handler from its CodeUri, as Lambda would, and routes
`lambda:Invoke` calls (from app code and from moto's Step Functions interpreter) to it.

No Docker here, so moto's own Lambda cannot run code; botocore event hooks answer Invoke instead
(see ../shared/platform-notes.md). Install the hooks before any boto3 client is created.

In AWS each function is a process of its own; here all share one interpreter, so the shared
`minyi` package's Powertools Logger is one object for every function. Each invocation therefore
runs with its function's service name (POWERTOOLS_SERVICE_NAME from template.yaml) as a
thread-local log key, so a log line says which function wrote it. Metrics are disabled locally
(there is no CloudWatch to read EMF): Powertools keeps a disabled metric set without ever
clearing it and prints it as EMF JSON once a metric reaches 100 values, so the set is cleared
after every invocation.

In AWS the API's functions and the background ones (workflow tasks, stream batches, schedules) run
on separate compute, so a burst of workflow work does not slow an API answer. Here they share one
interpreter lock, so the runtime gives the API the CPU first (`ApiFirst`): background invocations run
at most BACKGROUND_CONCURRENCY at a time (like a reserved concurrency), and while any API request is
being answered, a background invocation waits before it starts and before each AWS call it makes, for
at most MAX_DEFER_SECONDS each time (so it still moves under a constant load). Background work queues
instead, and drains as soon as the API is quiet. Measured on `make bench`'s load run: two thirds of a
submission's CPU is background work (notices, projections, the workflow's tasks), which competed with
the API's answers for the one interpreter lock.

A Lambda container handles one event at a time, and the handlers count on it: Powertools' resolver
keeps the event being answered on the app object (`app.current_event`), the batch processor its
records on the processor. Each function here is one container, so it runs one invocation at a time
(other threads wait for it); without that, two parallel requests to one function could read each
other's event, caller included.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from infra.local.template import FunctionSpec, Template

Handler = Callable[[dict[str, Any], Any], Any]

#: The Powertools setting that names a function's service in its logs and metrics.
SERVICE_NAME_VARIABLE = "POWERTOOLS_SERVICE_NAME"
#: Background invocations (anything but API Gateway requests) running at once.
BACKGROUND_CONCURRENCY = 2
#: The longest a background invocation waits for the API to be idle, before it starts and before each AWS call.
MAX_DEFER_SECONDS = 0.5


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    aws_request_id: str = ""
    deadline: float = 0.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) * 1000))


class InvocationCounter:
    """Counts invocations per function (the benchmark reads it)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, name: str) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + 1


class ApiFirst:
    """API requests before background work: counts the API requests being answered, and lets background
    work wait until there are none (or `max_defer` seconds have passed)."""

    def __init__(self, max_defer: float = MAX_DEFER_SECONDS) -> None:
        self.max_defer = max_defer
        self._idle = threading.Condition()
        self._answering = 0
        self.deferrals = 0  # background waits that found the API busy (the benchmark reports them)

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Around one API request."""
        with self._idle:
            self._answering += 1
        try:
            yield
        finally:
            with self._idle:
                self._answering -= 1
                if not self._answering:
                    self._idle.notify_all()

    def wait_for_idle_api(self) -> None:
        """Background work's turn: at once if no API request is being answered, else when none is (or
        after `max_defer` seconds)."""
        with self._idle:
            if self._answering:
                self.deferrals += 1
                self._idle.wait_for(lambda: not self._answering, timeout=self.max_defer)


class LocalLambdas:
    def __init__(self, template: Template, env_overrides: dict[str, str]):
        self.template = template
        self.specs: dict[str, FunctionSpec] = template.functions()
        self.env_overrides = env_overrides
        self._modules: dict[str, ModuleType] = {}
        self._powertools: dict[str, tuple[list[Any], list[Any]]] = {}  # function -> (loggers, metrics)
        self._service_names: dict[str, str] = {}
        self._import_lock = threading.RLock()
        self._background = threading.BoundedSemaphore(BACKGROUND_CONCURRENCY)
        self._in_background = threading.local()  # a background invocation's own nested calls pass
        self.api_first = ApiFirst()
        self._containers: dict[str, threading.RLock] = {}  # one event at a time per function
        self.invocations = InvocationCounter()

    def service_name(self, name: str) -> str:
        """The function's Powertools service name as template.yaml sets it (else its logical id)."""
        if name not in self._service_names:
            self._service_names[name] = self.environment(name).get(SERVICE_NAME_VARIABLE) or name
        return self._service_names[name]

    def environment(self, name: str) -> dict[str, str]:
        spec = self.specs[name]
        env = {k: str(self.template.resolve(v)) for k, v in spec.environment.items()}
        env.update({k: v for k, v in self.env_overrides.items() if k in env or k == "WORKING_DAY_SECONDS"})
        return env

    def module(self, name: str) -> ModuleType:
        """Cold start: import the handler module from the function's CodeUri with its environment."""
        with self._import_lock:
            if name in self._modules:
                return self._modules[name]
            spec = self.specs[name]
            module_file, _ = spec.handler.rsplit(".", 1)
            os.environ.update(self.environment(name))
            path = spec.code_dir / f"{module_file}.py"
            module_name = f"minyi_local_fn_{name}"
            loader_spec = importlib.util.spec_from_file_location(module_name, path)
            assert loader_spec is not None and loader_spec.loader is not None
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[module_name] = module
            loader_spec.loader.exec_module(module)
            self._powertools[name] = _powertools_objects(module)
            self._modules[name] = module
            return module

    def handler(self, name: str) -> Handler:
        spec = self.specs[name]
        _, attr = spec.handler.rsplit(".", 1)
        return getattr(self.module(name), attr)  # type: ignore[no-any-return]

    def invoke(self, name: str, event: Any) -> Any:
        handler = self.handler(name)
        context = LambdaContext(
            function_name=name,
            invoked_function_arn=self.template.arn(name),
            aws_request_id=str(uuid.uuid4()),
            deadline=time.time() + 900,
        )
        self.invocations.add(name)
        with self._lane(event), self._container(name), self._as_function(name), _running(name):
            return handler(event, context)

    def _container(self, name: str) -> threading.RLock:
        """The function's one container: held for the whole invocation (re-entrant for a function whose
        own code invokes it again in the same thread)."""
        with self._import_lock:
            return self._containers.setdefault(name, threading.RLock())

    @contextlib.contextmanager
    def _lane(self, event: Any) -> Iterator[None]:
        """API Gateway requests run at once; background invocations wait for one of their slots, then for
        the API to be idle (ApiFirst)."""
        if getattr(self._in_background, "active", False):  # a background invocation's nested invocation
            yield
            return
        if isinstance(event, dict) and "httpMethod" in event:
            with self.api_first.answering():
                yield
            return
        with self._background:
            self.api_first.wait_for_idle_api()
            self._in_background.active = True
            try:
                yield
            finally:
                self._in_background.active = False

    def yield_to_the_api(self) -> None:
        """Called before each AWS call: a background invocation's call waits for the API to be idle."""
        if getattr(self._in_background, "active", False):
            self.api_first.wait_for_idle_api()

    @contextlib.contextmanager
    def _as_function(self, name: str) -> Iterator[None]:
        """Run with the function's service name in its log lines; drop the metrics nobody publishes."""
        loggers, metrics = self._powertools.get(name, ([], []))
        service = self.service_name(name)
        previous = [logger.thread_safe_get_current_keys().get("service") for logger in loggers]
        for logger in loggers:
            logger.thread_safe_append_keys(service=service)
        try:
            yield
        finally:
            for logger, before in zip(loggers, previous, strict=True):
                if before is None:
                    logger.thread_safe_remove_keys(["service"])
                else:  # an invocation inside another one (a function calling a function)
                    logger.thread_safe_append_keys(service=before)
            if _metrics_disabled():
                for metric_set in metrics:
                    metric_set.clear_metrics()

    def warm_all(self) -> None:
        for name in self.specs:
            self.module(name)

    @contextlib.contextmanager
    def configured(self, overrides: dict[str, str]) -> Iterator[None]:
        """Run with these environment variables changed, as `update-function-configuration` would: every
        function starts cold with them (settings are read at import, as in a Lambda container), and again
        with the previous ones afterwards, so that no test leaves its configuration to the next."""
        with self._import_lock:
            before = dict(self.env_overrides)
            self.env_overrides.update(overrides)
            self._modules.clear()
        try:
            yield
        finally:
            with self._import_lock:
                self.env_overrides.clear()
                self.env_overrides.update(before)
                self._modules.clear()

    # --- botocore hook -----------------------------------------------------------------------------

    def function_name_from(self, ref: str) -> str:
        name = ref.rsplit(":function:", 1)[-1].split(":", 1)[0] if ":function:" in ref else ref
        if name not in self.specs:
            raise KeyError(f"no local function {ref}")
        return name

    def install_botocore_hook(self) -> None:
        """Answer lambda:Invoke in process for every botocore client created from now on."""
        global _ACTIVE
        _ACTIVE = self
        _install_hooks()


def _powertools_objects(module: ModuleType) -> tuple[list[Any], list[Any]]:
    """The Powertools Logger and Metrics objects a handler module holds (imported or its own)."""
    from aws_lambda_powertools import Logger, Metrics

    values = list(vars(module).values())
    loggers = [v for v in values if isinstance(v, Logger)]
    metrics = [v for v in values if isinstance(v, Metrics)]
    return loggers, metrics


def _metrics_disabled() -> bool:
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    return bool(is_metrics_disabled())


_ACTIVE: LocalLambdas | None = None

#: The functions running in this thread, innermost last (the IAM check charges each AWS call to the last).
_RUNNING = threading.local()


def current_function() -> str | None:
    """The function whose code is running in this thread, if any (infra/iam_check.py records by it)."""
    stack: list[str] = getattr(_RUNNING, "stack", [])
    return stack[-1] if stack else None


@contextlib.contextmanager
def _running(name: str) -> Iterator[None]:
    stack: list[str] = _RUNNING.__dict__.setdefault("stack", [])
    stack.append(name)
    try:
        yield
    finally:
        stack.pop()


_HOOKS_INSTALLED = False


def _install_hooks() -> None:
    global _HOOKS_INSTALLED
    if _HOOKS_INSTALLED:
        return
    _HOOKS_INSTALLED = True

    def remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["minyi_invoke"] = dict(params)

    def answer_invoke(context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        params = context.get("minyi_invoke")
        runtime = _ACTIVE
        if params is None or runtime is None:
            return None
        name = runtime.function_name_from(params["FunctionName"])
        raw = params.get("Payload") or b"{}"
        event = json.loads(raw.decode() if isinstance(raw, bytes | bytearray) else raw)
        headers: dict[str, str] = {}
        try:
            result = runtime.invoke(name, event)
            body = json.dumps(result).encode()
            parsed: dict[str, Any] = {"StatusCode": 200}
        except Exception as exc:  # reported to the caller as Lambda does
            body = json.dumps(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception(exc)[-5:],
                }
            ).encode()
            parsed = {"StatusCode": 200, "FunctionError": "Unhandled"}
            headers["X-Amz-Function-Error"] = "Unhandled"
        parsed["Payload"] = StreamingBody(io.BytesIO(body), len(body))
        parsed["ExecutedVersion"] = "$LATEST"
        response = AWSResponse(url="local://lambda", status_code=200, headers=headers, raw=None)  # type: ignore[arg-type]
        return response, parsed

    def api_first(**_: Any) -> None:
        runtime = _ACTIVE
        if runtime is not None:
            runtime.yield_to_the_api()

    botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build.lambda.Invoke", remember_params))
    botocore.handlers.BUILTIN_HANDLERS.append(("before-call.lambda.Invoke", answer_invoke))
    botocore.handlers.BUILTIN_HANDLERS.append(("before-call", api_first))
