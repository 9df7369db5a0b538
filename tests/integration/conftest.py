"""Integration fixtures: the real handlers (loaded from template.yaml) on in-process moto, with the
Step Functions interpreter executing the case workflow and its Lambda tasks routed in process."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from infra.local import moto_patches
from infra.local.gateway import LocalGateway
from infra.local.lambdas import LambdaContext, LocalLambdas
from infra.local.template import Route, Template
from minyi.adapters.aws import reset_clients
from minyi.adapters.catalog_file import shenzhen_catalog, shenzhen_units_and_rules
from minyi.adapters.dynamo import (
    DynamoCaseRepository,
    DynamoCatalogRepository,
    DynamoOutboxRepository,
    DynamoScoreboardRepository,
    DynamoUploadRepository,
    Table,
)
from minyi.config import EnvSettings
from minyi.domain.models import Catalog, RoutingRule

REGION = "ap-east-1"
S = TypeVar("S", bound=EnvSettings)

# moto's in-process backends are not atomic across threads (HTTP handlers vs workflow threads).
_MOTO_LOCK = threading.RLock()
_original_call = BotocoreStubber.__call__


def _serialised_call(self: BotocoreStubber, *args: Any, **kwargs: Any) -> Any:
    with _MOTO_LOCK:
        return _original_call(self, *args, **kwargs)


BotocoreStubber.__call__ = _serialised_call  # type: ignore[method-assign]


class Stack:
    """The deployed stack, in process: call handlers with API Gateway events, read the table."""

    def __init__(self, lambdas: LocalLambdas, resources: dict[str, str]):
        self.lambdas = lambdas
        self.resources = resources
        self.table = Table(resources["CasesTable"])
        self.repo = DynamoCaseRepository(self.table)
        self.outbox = DynamoOutboxRepository(self.table)
        self.uploads = DynamoUploadRepository(self.table)
        self.counters = DynamoScoreboardRepository(self.table)
        self.catalog = DynamoCatalogRepository(self.table)
        self.routes: list[Route] = sorted(
            (r for s in lambdas.specs.values() for r in s.routes), key=lambda r: r.path.count("{")
        )

    def request(
        self,
        method: str,
        path: str,
        claims: dict[str, str] | None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        route, params = next((r, p) for r in self.routes if (p := r.match(method, path.split("?")[0])) is not None)
        raw = json.dumps(body).encode() if body is not None else b""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        query = path.split("?", 1)[1] if "?" in path else ""
        event = LocalGateway._proxy_event(
            route, method, path.split("?")[0], query, all_headers, raw, params, claims, "127.0.0.1"
        )
        result = self.lambdas.invoke(route.function, event)
        return result["statusCode"], json.loads(result["body"]) if result.get("body") else None

    def wait_for(self, probe: Callable[[], Any], timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := probe():
                return value
            time.sleep(0.05)
        raise AssertionError("condition not met in time")

    def status(self, case_id: str) -> str:
        case = self.repo.get_case(case_id)
        assert case is not None
        return case.status.value

    def settings(self, settings_class: type[S], function: str) -> S:
        """A function's settings from the environment the template gives it (for `minyi.bootstrap`)."""
        env = self.lambdas.environment(function)
        return settings_class.model_validate(
            {name: env[name.upper()] for name in settings_class.model_fields if name.upper() in env}
        )

    def context(self, function: str) -> LambdaContext:
        return LambdaContext(
            function_name=function,
            invoked_function_arn=self.lambdas.template.arn(function),
            aws_request_id=uuid.uuid4().hex,
            deadline=time.time() + 900,
        )


@functools.cache
def citizen_pool_issuer() -> str:
    """The `iss` of the citizen pool's tokens, as the functions' CITIZEN_USER_POOL_ID names the pool."""
    return f"https://cognito-idp.{REGION}.amazonaws.com/{Template(REGION).resolve({'Ref': 'UserPool'})}"


def citizen(sub: str | None = None, phone: str = "+8613812345678") -> dict[str, str]:
    """A citizen's claims, with the mobile number Cognito verified at sign-in, signed by the citizen pool."""
    return {
        "sub": sub or f"c-{uuid.uuid4().hex[:8]}",
        "iss": citizen_pool_issuer(),
        "cognito:groups": "citizen",
        "phone_number": phone,
        "phone_number_verified": "true",
    }


def staff(unit: str = "futian-traffic-police") -> dict[str, str]:
    return {"sub": f"s-{uuid.uuid4().hex[:8]}", "cognito:groups": "staff", "custom:unit_id": unit}


def template() -> Template:
    """template.yaml as the local runtime reads it (read once for the session)."""
    return _runtime()[0]


@functools.cache
def _runtime() -> tuple[Template, LocalLambdas]:
    """The template and the loaded functions, shared by every stack of the session: each stack's moto
    resources get the same names, the functions read their settings once at import (as a warm Lambda
    container does) and fetch their boto3 clients anew after `reset_clients()`."""
    template = Template(REGION)
    return template, LocalLambdas(template, {"POWERTOOLS_LOG_LEVEL": "WARNING"})


@functools.cache
def _catalog() -> tuple[Catalog, list[RoutingRule]]:
    _, rules = shenzhen_units_and_rules()
    return shenzhen_catalog(), rules


def _build_stack(mp: pytest.MonkeyPatch) -> Iterator[Stack]:
    for key, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        mp.setenv(key, value)
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    template, lambdas = _runtime()
    lambdas.install_botocore_hook()
    moto_patches.install()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        reset_clients()
        from infra.local.aws import EmbeddedAws

        resources = EmbeddedAws(template).create_resources()
        catalog, rules = _catalog()
        DynamoCatalogRepository(Table(resources["CasesTable"])).seed(catalog, rules)
        stack = Stack(lambdas, resources)
        try:
            yield stack
        finally:
            _end_waiting_executions(stack)
    reset_clients()


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """One stack per test module: tests use their own ids (citizens, cases) and read only what they wrote.
    A test that reads the whole table (the sweep's index, exact totals) lives in a module of its own."""
    with pytest.MonkeyPatch.context() as mp:
        yield from _build_stack(mp)


@pytest.fixture
def fresh_stack() -> Iterator[Stack]:
    """A stack for this test alone (it deletes the table, or reads all of it). Only in a module whose
    tests do not use `stack`: moto's mock does not nest."""
    with pytest.MonkeyPatch.context() as mp:
        yield from _build_stack(mp)


#: How long a stack's teardown waits for its executions to park or finish before mock_aws stops.
TEARDOWN_QUIET_SECONDS = 10.0


def _end_waiting_executions(stack: Stack) -> None:
    """Executions parked on a callback outlive mock_aws unless their task fails (platform notes). Those
    still on their way to a wait (a task queued behind the API's requests, infra/local/lambdas.py ApiFirst)
    are waited for, so that no workflow thread calls AWS after the stack is gone, in the next module's."""
    from minyi.adapters.aws import client

    sfn = client("stepfunctions")
    deadline = time.monotonic() + TEARDOWN_QUIET_SECONDS
    while True:
        running = sfn.list_executions(stateMachineArn=stack.resources["CaseWorkflow"], statusFilter="RUNNING")
        if not running["executions"] or time.monotonic() > deadline:
            return
        for execution in running["executions"]:
            # executions are named by the case id, or `<id>-r<n>` after the sweep restarted one
            name = execution["name"]
            case = stack.repo.get_case(re.sub(r"-r\d+$", "", name))
            if case is not None and case.wait is not None and (case.execution_name or case.id) == name:
                # a used token means the execution is moving on: it parks again or finishes
                with contextlib.suppress(sfn.exceptions.ClientError):
                    sfn.send_task_failure(taskToken=case.wait.token, error="TestTeardown", cause="end of test")
        time.sleep(0.05)
