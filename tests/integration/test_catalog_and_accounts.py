"""The catalogue and the accounts on moto: `PUT /v1/admin/catalog` through its handler (versions kept,
stale items removed, a case routed with its version), the Cognito adapter on user pools made from
template.yaml, and the local token endpoint's account lookup.

One stack for the module; the catalogue tests run in order on it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.local.accounts import create_user_pools, derived_phone, pool_environment, token_claims
from infra.local.template import Template
from minyi.adapters.aws import client
from minyi.adapters.catalog_file import shenzhen_document
from minyi.adapters.cognito import CognitoUserDirectory
from minyi.domain.accounts import NewAccount
from minyi.domain.errors import AlreadyExists, ConcurrentUpdate
from minyi.domain.models import Role
from tests.integration.conftest import REGION, Stack, citizen

ADMIN = {"sub": "admin-1", "cognito:groups": "admin"}


def document() -> dict[str, Any]:
    return copy.deepcopy(shenzhen_document().as_json())


def test_a_document_becomes_a_version_and_a_case_is_routed_with_it(stack: Stack) -> None:
    # Given the stack's catalogue (seeded without a document)
    status, _ = stack.request("GET", "/v1/admin/catalog", ADMIN)
    assert status == 404
    # When an admin puts the Shenzhen document with one rule changed: a dry run first
    doc = document()
    doc["rules"] = [r for r in doc["rules"] if not (r["topic"] == "housing" and r["district"] == "futian")]
    status, dry = stack.request("PUT", "/v1/admin/catalog?dry_run=true", ADMIN, doc)
    assert status == 200, dry
    assert dry["dry_run"] is True and dry["version"] is None and dry["previous_version"] == 0
    assert stack.catalog.current_document() is None
    status, put = stack.request("PUT", "/v1/admin/catalog", ADMIN, doc)
    assert status == 200, put
    assert put["version"] == 1
    # Then it is kept as version 1, and the rule it lacks is gone from the catalogue in force
    stored = stack.catalog.current_document()
    assert stored is not None and stored.version == 1 and stored.published_by == "admin-1"
    assert stored.document == shenzhen_document().as_json() | {"rules": doc["rules"]}
    assert stack.catalog.routing_rule("housing", "futian") is None
    rule = stack.catalog.routing_rule("traffic", "futian")
    assert rule is not None and rule.catalog_version == 1
    assert stack.catalog.load().version == 1
    status, got = stack.request("GET", "/v1/admin/catalog", ADMIN)
    assert status == 200 and got["version"] == 1 and got["document"]["rules"] == doc["rules"]
    # And a case filed now keeps the version it was routed with
    status, created = stack.request(
        "POST",
        "/v1/requests",
        citizen(),
        {"category": "complaint", "topic": "traffic", "district": "futian", "description": "违停占用公交车道"},
    )
    assert status == 201, created
    case = stack.wait_for(lambda: (c := stack.repo.get_case(created["id"])) and c.unit_id and c)
    assert case.unit_id == "futian-traffic-police" and case.catalog_version == 1


def test_a_second_document_is_version_2_and_a_stale_publisher_loses(stack: Stack) -> None:
    status, put = stack.request("PUT", "/v1/admin/catalog", ADMIN, document())
    assert (
        status == 200 and put["version"] == 2 and put["diff"]["rules"]["added"] == ["housing/futian -> futian-housing"]
    )
    assert stack.catalog.routing_rule("housing", "futian") is not None
    # the same document again makes no version
    status, same = stack.request("PUT", "/v1/admin/catalog", ADMIN, document())
    assert status == 200 and same["version"] is None and same["changes"] == 0
    stale = stack.catalog.current_document()
    assert stale is not None
    doc = shenzhen_document()
    with pytest.raises(ConcurrentUpdate):
        stack.catalog.publish(stale, doc.catalog(2), doc.routing_rules(2))


def test_a_new_document_routes_the_very_next_submission(stack: Stack) -> None:
    # Given warm functions that have served version 2 (a case filed and routed by it)
    status, created = stack.request(
        "POST",
        "/v1/requests",
        citizen(),
        {"category": "complaint", "topic": "traffic", "district": "futian", "description": "违停占用公交车道"},
    )
    assert status == 201, created
    stack.wait_for(lambda: (c := stack.repo.get_case(created["id"])) and c.unit_id and c)
    # When an admin accepts version 3: a new topic, a new unit and the rule between them
    doc = document()
    doc["topics"]["night-works"] = {"zh": "夜间施工", "en": "Night construction"}
    doc["units"].append(
        {"id": "futian-night-works", "name": "福田区夜间施工巡查组", "name_en": "Futian night works patrol",
         "district": "futian", "duty_phone": "+8613900000777", "topics": ["night-works"]}
    )  # fmt: skip
    doc["rules"].append({"topic": "night-works", "district": "futian", "unit": "futian-night-works"})
    status, put = stack.request("PUT", "/v1/admin/catalog", ADMIN, doc)
    assert status == 200 and put["version"] == 3, put
    # Then the very next submission offers the topic and is routed by its rule (not queued)
    status, created = stack.request(
        "POST",
        "/v1/requests",
        citizen(),
        {"category": "complaint", "topic": "night-works", "district": "futian", "description": "深夜施工噪音扰民"},
    )
    assert status == 201, created
    case = stack.wait_for(
        lambda: (c := stack.repo.get_case(created["id"])) and (c.unit_id or c.in_dispatch_queue) and c
    )
    assert case.unit_id == "futian-night-works" and not case.in_dispatch_queue and case.catalog_version == 3


def test_the_history_lists_every_version_with_who_and_when(stack: Stack) -> None:
    status, body = stack.request("GET", "/v1/admin/catalog/versions", ADMIN)
    assert status == 200, body
    assert [v["version"] for v in body["versions"]] == [3, 2, 1]
    assert {v["published_by"] for v in body["versions"]} == {"admin-1"}
    assert all(v["published_at"] for v in body["versions"]) and body["current"] == 3
    status, _ = stack.request("GET", "/v1/admin/catalog/versions", {"sub": "s", "cognito:groups": "supervisor"})
    assert status == 403


def test_an_invalid_document_is_refused_naming_every_path(stack: Stack) -> None:
    doc = document()
    doc["units"][3]["duty_phone"] = "not a phone"
    doc["rules"][5]["unit"] = "nowhere"
    status, body = stack.request("PUT", "/v1/admin/catalog", ADMIN, doc)
    assert status == 422
    assert body["error"] == "invalid_catalog"
    assert {p["field"] for p in body["problems"]} == {"units[3].duty_phone", "rules[5].unit"}
    status, _ = stack.request("PUT", "/v1/admin/catalog", {"sub": "s", "cognito:groups": "supervisor"}, document())
    assert status == 403


# --- accounts -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pools(stack: Stack) -> dict[str, str]:
    return create_user_pools(Template(REGION))


def test_the_pools_follow_the_template(pools: dict[str, str]) -> None:
    idp = client("cognito-idp")
    assert set(pools) == {"UserPool", "StaffUserPool"}
    staff_pool = idp.describe_user_pool(UserPoolId=pools["StaffUserPool"])["UserPool"]
    assert staff_pool["MfaConfiguration"] == "ON"
    groups = {g["GroupName"] for g in idp.list_groups(UserPoolId=pools["StaffUserPool"])["Groups"]}
    assert groups == {"staff", "dispatcher", "supervisor", "operator", "admin"}
    citizens = {g["GroupName"] for g in idp.list_groups(UserPoolId=pools["UserPool"])["Groups"]}
    assert citizens == {"citizen"}
    assert pool_environment(Template(REGION), pools) == {
        "USER_POOL_ID": pools["StaffUserPool"],
        "STAFF_USER_POOL_ID": pools["StaffUserPool"],
        "CITIZEN_USER_POOL_ID": pools["UserPool"],
    }


def test_the_cognito_directory_creates_lists_finds_and_disables(pools: dict[str, str]) -> None:
    directory = CognitoUserDirectory(pools["StaffUserPool"])
    account = directory.create(
        NewAccount(phone="+8613911110001", name="王警官", role=Role.STAFF, unit_id="futian-traffic-police")
    )
    assert account.role == Role.STAFF and account.unit_id == "futian-traffic-police"
    assert account.status == "FORCE_CHANGE_PASSWORD" and account.enabled
    with pytest.raises(AlreadyExists):
        directory.create(NewAccount(phone="+8613911110001", name="又一个", role=Role.DISPATCHER))
    dispatcher = directory.create(NewAccount(phone="+8613911110002", name="李调度", role=Role.DISPATCHER))
    listed = {a.username: a for a in directory.accounts([Role.STAFF, Role.DISPATCHER])}
    assert listed[account.username].role == Role.STAFF and listed[dispatcher.username].role == Role.DISPATCHER
    found = directory.find_by_phone("+8613911110001")
    assert found is not None and found.username == account.username
    assert directory.find_by_phone('+86" or 1=1') is None
    assert directory.get("nobody") is None
    disabled = directory.disable(account.username)
    assert disabled is not None and disabled.enabled is False
    assert directory.disable("nobody") is None


def test_local_tokens_sign_in_created_accounts_and_give_citizens_a_phone(pools: dict[str, str]) -> None:
    directory = CognitoUserDirectory(pools["StaffUserPool"])
    account = directory.create(NewAccount(phone="+8613911110003", name="张主任", role=Role.SUPERVISOR))
    claims, problems = token_claims({"phone": "139 1111 0003"}, pools)
    assert problems == [] and claims == {
        "sub": account.username,
        "role": "supervisor",
        "unit": None,
        "phone": "+8613911110003",
    }
    claims, _ = token_claims({"username": account.username}, pools)
    assert claims is not None and claims["sub"] == account.username
    directory.disable(account.username)
    claims, problems = token_claims({"username": account.username}, pools)
    assert claims is None and problems[0]["problem"] == "the account is disabled"
    claims, problems = token_claims({"phone": "+8613911119999"}, pools)
    assert claims is None and problems[0]["field"] == "phone"
    claims, _ = token_claims({"sub": "citizen-7", "role": "citizen"}, pools)
    assert claims is not None and claims["phone"] == derived_phone("citizen-7")
    assert derived_phone("citizen-7") == derived_phone("citizen-7") != derived_phone("citizen-8")
    claims, problems = token_claims({"sub": "s", "role": "staff"}, pools)
    assert claims is None and problems == [{"field": "unit", "problem": "staff tokens carry their unit id"}]


def test_the_accounts_api_on_its_handler(stack: Stack, pools: dict[str, str]) -> None:
    # the function's USER_POOL_ID is the pool moto made (as the local runtime sets it)
    # (the staff pool only: the session's citizens stay those of the template's citizen pool)
    with stack.lambdas.configured({"USER_POOL_ID": pool_environment(Template(REGION), pools)["USER_POOL_ID"]}):
        accounts_api_on_its_handler(stack)


def accounts_api_on_its_handler(stack: Stack) -> None:
    body = {"phone": "13911110004", "name": "赵警官", "role": "staff", "unit_id": "futian-traffic-police"}
    status, created = stack.request("POST", "/v1/admin/staff", ADMIN, body)
    assert status == 201, created
    assert created["phone"] == "+8613911110004" and created["role"] == "staff"
    status, again = stack.request("POST", "/v1/admin/staff", ADMIN, body)
    assert status == 409 and again["error"] == "already_exists"
    assert again["message"] == "该手机号已有账号"  # what it is, not a bare "已存在" (issue 21)
    status, bad = stack.request("POST", "/v1/admin/staff", ADMIN, {**body, "phone": "13911110005", "unit_id": "x"})
    assert status == 422 and bad["problems"][0]["field"] == "unit_id"
    status, listed = stack.request("GET", "/v1/admin/staff", ADMIN)
    assert status == 200 and created["username"] in {a["username"] for a in listed["items"]}
    status, disabled = stack.request("POST", f"/v1/admin/staff/{created['username']}/disable", ADMIN)
    assert status == 200 and disabled["enabled"] is False
    status, _ = stack.request("GET", "/v1/admin/staff", {"sub": "d", "cognito:groups": "dispatcher"})
    assert status == 403
