"""The IAM check (infra/iam_check.py): every AWS call each function makes in a compact set of flows that
reaches every function, evaluated against that function's role in the transformed template.

moto enforces no IAM here (and its enforcement could not match a table ARN anyway: platform notes), so
this is the only test that sees a role missing a permission before AWS does. `make iam` runs this module.
The flows: submit with an upload, the workflow's tasks (route, park, overdue by the sweep), accept, reply,
an unsatisfied rating (rollback) and a satisfied one, the staff and supervision views, the stream
consumers (notify, scoreboard, Open311 feed), the sweep, stats, Open311 submit/read with an API key,
admin keys, catalogue and staff accounts, the sign-up triggers and the custom SMS sender.
"""

from __future__ import annotations

import copy
import json
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from infra import iam_check
from infra.iam_check import Call, CallRecorder, Verdict, evaluate, role_policies
from infra.local.accounts import create_user_pools, pool_environment
from infra.local.cognito_sms import create_code_keys, encrypt_code, key_environment, sender_event
from infra.local.gateway import LocalGateway
from infra.local.lambdas import current_function
from infra.local.schedules import scheduled_event
from infra.local.streams import StreamPoller
from minyi.adapters.aws import client, reset_clients
from minyi.adapters.catalog_file import shenzhen_document
from tests.integration.conftest import Stack, citizen, staff

# before this module's stack starts mock_aws (which makes boto3's default session, the one moto's Step
# Functions interpreter uses): sessions made earlier do not run the hooks. Idle unless a recorder is active.
iam_check.install_hooks()

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(8))
ADMIN = {"sub": "admin-iam", "cognito:groups": "admin"}
SUPERVISOR = {"sub": "sup-iam", "cognito:groups": "supervisor"}
REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Broken traffic light at Fuhua Road",
}
LOW = {"speed": 1, "effectiveness": 1, "experience": 1, "feedback_quality": 1}
HIGH = {"speed": 5, "effectiveness": 5, "experience": 5, "feedback_quality": 5}


def ok(answer: tuple[int, Any], *expected: int) -> Any:
    status, body = answer
    assert status in (expected or (200,)), (status, body)
    return body


def post_form(stack: Stack, path: str, fields: dict[str, Any]) -> tuple[int, Any]:
    """A form-encoded POST, as Open311 clients send it (Stack.request sends JSON)."""
    route, params = next((r, p) for r in stack.routes if (p := r.match("POST", path)) is not None)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    raw = urllib.parse.urlencode(fields).encode()
    event = LocalGateway._proxy_event(route, "POST", path, "", headers, raw, params, None, "127.0.0.1")
    result = stack.lambdas.invoke(route.function, event)
    return result["statusCode"], json.loads(result["body"]) if result.get("body") else None


def wait_phase(stack: Stack, case_id: str, phase: str) -> None:
    stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == phase)


def drain_streams(poller: StreamPoller) -> None:
    idle = 0
    while idle < 2:
        idle = idle + 1 if poller.poll_once() == 0 else 0


def run_flows(stack: Stack, pools: dict[str, str], code_key: str) -> None:
    """Every function at least once, along the paths a case takes."""
    # a citizen uploads a photo (presigned POST; the phone's upload is the harness's put_object) and submits
    who = citizen()
    ticket = ok(stack.request("POST", "/v1/uploads", who, {"content_type": "image/png", "size": len(PNG)}), 200, 201)
    client("s3").put_object(
        Bucket=stack.resources["AttachmentsBucket"], Key=ticket["fields"]["key"], Body=PNG, ContentType="image/png"
    )
    created = ok(stack.request("POST", "/v1/requests", who, {**REQUEST, "attachments": [ticket["upload_id"]]}), 201)
    case_id, number = created["id"], created["tracking_no"]
    ok(stack.request("GET", "/v1/requests", who))
    ok(stack.request("GET", f"/v1/requests/{case_id}", who))
    ok(stack.request("GET", f"/v1/requests/{case_id}/timeline", who))
    ok(stack.request("GET", "/v1/catalog", None))
    # the workflow routes it (AssignFunction, invoked by the state machine); the unit handles it
    wait_phase(stack, case_id, "handling")
    unit = staff()
    ok(stack.request("GET", f"/v1/units/{unit['custom:unit_id']}/cases", unit))
    ok(stack.request("GET", f"/v1/cases/{case_id}", unit))
    ok(stack.request("POST", f"/v1/cases/{case_id}/accept", unit))
    ok(stack.request("POST", f"/v1/cases/{case_id}/notes", unit, {"text": "On site at 10:00."}), 200, 201)
    ok(stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Repaired."}))
    # unsatisfied: rolled back to the unit; then satisfied
    wait_phase(stack, case_id, "rating")
    ok(stack.request("POST", f"/v1/requests/{case_id}/rating", who, LOW))
    wait_phase(stack, case_id, "handling")
    ok(stack.request("POST", f"/v1/cases/{case_id}/accept", unit))
    ok(stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "Repaired again."}))
    wait_phase(stack, case_id, "rating")
    ok(stack.request("GET", f"/v1/track/{number}/rating?t=not-the-token", None), 200, 400, 403, 404, 422)
    ok(stack.request("POST", f"/v1/requests/{case_id}/rating", who, HIGH))
    ok(stack.request("GET", "/v1/supervision", SUPERVISOR))
    ok(stack.request("GET", "/v1/units", SUPERVISOR))
    # the stream consumers read the timeline (notify, scoreboard, open311 feed); the sweep runs on schedule
    drain_streams(StreamPoller(stack.lambdas.template, stack.lambdas, stack.resources))
    stack.lambdas.invoke("SweepFunction", scheduled_event(stack.lambdas.template.region, "EveryQuarterHour"))
    ok(stack.request("GET", "/v1/public/stats", None))
    ok(stack.request("GET", "/v1/stats", SUPERVISOR))
    # admin: an Open311 key, used to submit and read, then revoked
    key = ok(stack.request("POST", "/v1/admin/open311-keys", ADMIN, {"name": "iam-check"}), 200, 201)
    ok(stack.request("GET", "/v1/admin/open311-keys", ADMIN))
    report = {
        "api_key": key["api_key"],
        "service_code": "traffic",
        "attribute[category]": "complaint",
        "lat": "22.5431",
        "long": "114.0579",
        "description": "Traffic light out at Fuhua Road",
    }
    ok(post_form(stack, "/open311/v2/requests.json", report), 200, 201)
    ok(stack.request("GET", "/open311/v2/services.json", None))
    ok(stack.request("GET", "/open311/v2/requests.json", None))
    ok(stack.request("DELETE", f"/v1/admin/open311-keys/{key['key_id']}", ADMIN), 200, 204)
    # the intake topic model: the monthly training, then the admin's list, promotion and a refused rollback
    trained = stack.lambdas.invoke("TrainModelFunction", scheduled_event(stack.lambdas.template.region, "Monthly"))
    ok(stack.request("GET", "/v1/admin/models", ADMIN))
    ok(stack.request("POST", f"/v1/admin/models/{trained['version']}/promote", ADMIN))
    ok(stack.request("POST", f"/v1/admin/models/{trained['version']}/rollback", ADMIN), 422)
    # admin: the catalogue as data, staff accounts in the staff pool
    ok(stack.request("GET", "/v1/admin/catalog", ADMIN), 200, 404)
    ok(stack.request("PUT", "/v1/admin/catalog", ADMIN, copy.deepcopy(shenzhen_document().as_json())), 200, 201)
    body = {"phone": "13911119004", "name": "赵警官", "role": "staff", "unit_id": "futian-traffic-police"}
    account = ok(stack.request("POST", "/v1/admin/staff", ADMIN, body), 201)
    ok(stack.request("GET", "/v1/admin/staff", ADMIN))
    ok(stack.request("POST", f"/v1/admin/staff/{account['username']}/disable", ADMIN))
    # Cognito's sign-up triggers on the citizens' pool
    idp = client("cognito-idp")
    username = f"+86138{uuid.uuid4().int % 10**8:08d}"
    idp.admin_create_user(UserPoolId=pools["UserPool"], Username=username, MessageAction="SUPPRESS")
    for source in ("PreSignUp_SignUp", "PostConfirmation_ConfirmSignUp"):
        event = {
            "version": "1",
            "triggerSource": source,
            "region": stack.lambdas.template.region,
            "userPoolId": pools["UserPool"],
            "userName": username,
            "callerContext": {"awsSdkVersion": "x", "clientId": "client"},
            "request": {"userAttributes": {"phone_number": username}},
            "response": {},
        }
        stack.lambdas.invoke("AccountsTriggerFunction", event)
    # Cognito's custom SMS sender: a sign-up code, encrypted under the code key as Cognito encrypts it
    user = {
        "Username": username,
        "UserStatus": "UNCONFIRMED",
        "Attributes": [{"Name": "phone_number", "Value": username}],
    }
    code = encrypt_code("123456", code_key, pools["UserPool"])
    stack.lambdas.invoke("SmsSenderFunction", sender_event("CustomSMSSender_SignUp", pools["UserPool"], user, code))


@pytest.fixture(scope="module")
def recorded(stack: Stack) -> Iterator[tuple[CallRecorder, dict[str, str]]]:
    pools = create_user_pools(stack.lambdas.template)
    # every pool the functions call is the real one; which pool makes a caller a citizen stays the one the
    # integration claims name (tests.integration.conftest.citizen), as the functions read it once per process
    environment = pool_environment(stack.lambdas.template, pools)
    environment.pop("CITIZEN_USER_POOL_ID", None)
    keys = create_code_keys(stack.lambdas.template)
    environment.update(key_environment(stack.lambdas.template, keys))
    recorder = CallRecorder(stack.lambdas.template, current_function)
    reset_clients()  # clients made before the hooks would not report their calls
    with stack.lambdas.configured(environment), recorder.recording():
        run_flows(stack, pools, keys["CodeKey"])
    yield recorder, {**stack.resources, **pools, **keys}


@pytest.fixture(scope="module")
def policies(stack: Stack, recorded: tuple[CallRecorder, dict[str, str]]) -> dict[str, list[dict[str, Any]]]:
    return role_policies(stack.lambdas.template, recorded[1])


def test_every_call_of_every_function_is_allowed_by_its_role(
    stack: Stack, recorded: tuple[CallRecorder, dict[str, str]], policies: dict[str, list[dict[str, Any]]]
) -> None:
    recorder, _ = recorded
    # Given the flows above, recorded: every function of the template made calls (a new function needs a flow)
    functions = set(stack.lambdas.specs)
    assert functions <= {c.principal for c in recorder.calls}, functions - {c.principal for c in recorder.calls}
    # and the state machine's own calls count against its role
    assert Call("CaseWorkflow", "lambda:InvokeFunction", stack.lambdas.template.arn("AssignFunction")) in recorder.calls
    # When each call is evaluated against its principal's role in the transformed template
    denials = evaluate(recorder.calls, policies)
    # Then IAM would allow every one
    assert denials == [], iam_check.report(recorder.calls, denials)


def test_calls_are_recorded_as_iam_authorises_them(stack: Stack, recorded: tuple[CallRecorder, dict[str, str]]) -> None:
    recorder, resources = recorded
    actions = {(c.principal, c.action) for c in recorder.calls}
    bucket = resources["AttachmentsBucket"]
    # a transaction is its items' actions, never TransactWriteItems itself
    assert not any(a.endswith(":TransactWriteItems") for _, a in actions)
    assert ("SubmitFunction", "dynamodb:PutItem") in actions
    # the presigned POST is the phone's s3:PutObject on the key it names
    puts = [c for c in recorder.calls if c.principal == "SubmitFunction" and c.action == "s3:PutObject"]
    assert any(c.resource.startswith(f"arn:aws:s3:::{bucket}/uploads/") for c in puts), puts
    # DynamoDB calls carry their partition keys (for dynamodb:LeadingKeys conditions)
    stats = [c for c in recorder.calls if c.principal == "StatsFunction" and c.action.startswith("dynamodb:")]
    assert stats and all(c.leading_keys for c in stats), stats


def test_a_role_without_put_item_fails_naming_the_function_and_the_action(
    stack: Stack, recorded: tuple[CallRecorder, dict[str, str]]
) -> None:
    recorder, resources = recorded
    # Given a template copy whose SubmitFunction may no longer dynamodb:PutItem
    raw = copy.deepcopy(stack.lambdas.template.raw)
    for policy in raw["Resources"]["SubmitFunction"]["Properties"]["Policies"]:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            statement["Action"] = [a for a in actions if a != "dynamodb:PutItem"] or ["dynamodb:GetItem"]
    # When the same calls are evaluated against it
    denials = evaluate(recorder.calls, role_policies(stack.lambdas.template, resources, raw=raw))
    # Then the check fails naming the function, the action and the table
    table = stack.lambdas.template.arn("CasesTable")
    assert denials and {(d.call.principal, d.call.action) for d in denials} == {("SubmitFunction", "dynamodb:PutItem")}
    assert any(d.call.resource == table and d.verdict == Verdict.IMPLICITLY_DENIED for d in denials)
    text = iam_check.report(recorder.calls, denials)
    assert f"DENIED SubmitFunction: dynamodb:PutItem on {table}" in text
