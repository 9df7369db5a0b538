"""template.yaml against what AWS enforces and moto does not (issue 17, "day one in the real cloud"): a
stack that creates cleanly on a new account and degrades safely. Each test names the blocker it guards.

Pure: reads template.yaml with the loader of tests/unit/test_template_contract.py."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.unit.test_template_contract import TEMPLATE, CloudFormationLoader, functions

#: Types of resource that may hold citizens' data or the keys to it.
DATA_TYPES = {
    "AWS::Cognito::UserPool",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::SecretsManager::Secret",
}
#: Those that do: kept when the stack is deleted or the resource replaced, but deleted when the stack's
#: first creation rolls back (there is nothing to keep yet, and a kept pool, table, bucket, key or secret
#: would be left behind, billed, and in the way of the next attempt).
STATEFUL = {
    "UserPool",
    "StaffUserPool",
    "CasesTable",
    "AttachmentsBucket",
    "ModelsBucket",
    "OperationsKey",
    "CodeKey",
    "RatingLinkSecret",
    "SmsProviderSecret",
}
#: Those that do not: rebuilt from the repository (the web clients), ephemeral (idempotency records live
#: an hour) or regenerated with the stack (CloudFront's origin header, held only by CloudFront and WAF).
DISPOSABLE = {"WebBucket", "IdempotencyTable", "OriginVerifySecret"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    with TEMPLATE.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=CloudFormationLoader)
    return loaded


def _get_att(value: Any) -> list[str]:
    """`!GetAtt A.B` (a string) or `Fn::GetAtt: [A, B]` as [A, B]; [] for anything else."""
    att = value.get("Fn::GetAtt") if isinstance(value, dict) else None
    return att.split(".", 1) if isinstance(att, str) else list(att or [])


def stream_readers(template: dict[str, Any]) -> dict[str, list[str]]:
    """Table logical id -> the functions with an event source mapping on its stream (SAM events and
    plain AWS::Lambda::EventSourceMapping resources alike)."""
    readers: dict[str, list[str]] = {}
    for name, spec in functions(template).items():
        for event in spec["Properties"].get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                table, _ = _get_att(event["Properties"]["Stream"])
                readers.setdefault(table, []).append(name)
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            att = _get_att(resource["Properties"].get("EventSourceArn"))
            if att[1:] == ["StreamArn"]:
                readers.setdefault(att[0], []).append(name)
    return readers


# --- blocker: reserved concurrency fails the stack on a new account -----------------------------------


def test_no_function_reserves_concurrency(template: dict[str, Any]) -> None:
    # Given an account whose concurrency quota is 10 (new accounts), of which 100 must stay unreserved
    # When the template is read / Then no function (nor the Globals) reserves any
    reserving = [
        name for name, spec in functions(template).items() if "ReservedConcurrentExecutions" in spec["Properties"]
    ]
    assert reserving == []
    assert "ReservedConcurrentExecutions" not in template.get("Globals", {}).get("Function", {})


def test_the_sweep_is_given_a_lease_longer_than_its_timeout(template: dict[str, Any]) -> None:
    # Given the sweep, which keeps to one run at a time by a lease in the table instead
    sweep = functions(template)["SweepFunction"]["Properties"]
    # Then a crashed run's lease expires only once that run can no longer be running
    lease = int(sweep["Environment"]["Variables"]["SWEEP_LEASE_SECONDS"])
    assert lease > int(sweep["Timeout"])


# --- blocker: three Lambda readers on one DynamoDB stream ------------------------------------------------


def test_at_most_two_functions_read_each_table_stream(template: dict[str, Any]) -> None:
    # Given DynamoDB, which throttles a shard read by more than two processes at once
    readers = stream_readers(template)
    # Then each stream has two readers at most: the SMS notices and the projections
    assert readers, "the cases table's stream has readers"
    assert {table: names for table, names in readers.items() if len(names) > 2} == {}
    assert sorted(readers["CasesTable"]) == ["NotifyFunction", "ProjectionsFunction"]


def test_the_projections_consumer_reports_partial_batch_failures(template: dict[str, Any]) -> None:
    # Given the one consumer that keeps the scoreboard and the Open311 feed
    [event] = functions(template)["ProjectionsFunction"]["Properties"]["Events"].values()
    props = event["Properties"]
    # Then a failed record retries from that record (not the whole batch), and what fails for good is kept
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    assert props["DestinationConfig"]["OnFailure"]["Type"] == "SQS"


# --- blocker: DeletionPolicy Retain leaves resources behind when the first create rolls back -----------


def test_stateful_resources_are_retained_except_when_their_creation_rolls_back(template: dict[str, Any]) -> None:
    # Given every resource of a type that may hold data or keys, each either stateful or disposable
    resources = template["Resources"]
    holding = {n for n, r in resources.items() if r["Type"] in DATA_TYPES}
    assert holding == STATEFUL | DISPOSABLE, "a new resource: add it to STATEFUL or DISPOSABLE"
    # Then each stateful one is kept on stack deletion and replacement, but not after a failed first create
    policies = {n: (resources[n].get("DeletionPolicy"), resources[n].get("UpdateReplacePolicy")) for n in STATEFUL}
    assert policies == dict.fromkeys(STATEFUL, ("RetainExceptOnCreate", "Retain"))


def test_nothing_is_kept_when_the_first_create_rolls_back(template: dict[str, Any]) -> None:
    # Given every resource of the template / Then none is retained when its creation rolls back
    assert [n for n, r in template["Resources"].items() if r.get("DeletionPolicy") == "Retain"] == [
        "ApiGatewayCloudWatchRole"  # API Gateway's account-wide logging role: other APIs of the account use it
    ]


# --- blocker: WAF keys on a forgeable header, and the execute-api address is reachable around CloudFront --


def _distribution(template: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = template["Resources"]["WebDistribution"]["Properties"]["DistributionConfig"]
    return config


def _web_acl_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = template["Resources"]["ApiWebAcl"]["Properties"]["Rules"]
    return sorted(rules, key=lambda r: r["Priority"])


def _secret_reference(value: Any) -> str:
    """`!Sub "{{resolve:secretsmanager:${X}:SecretString}}"` as the secret's logical id X."""
    assert isinstance(value, dict) and "Fn::Sub" in value, value
    match = re.fullmatch(r"\{\{resolve:secretsmanager:\$\{(\w+)\}:SecretString\}\}", value["Fn::Sub"])
    assert match, value
    return match.group(1)


def test_cloudfront_sends_the_secret_origin_header_the_apis_web_acl_requires_first(template: dict[str, Any]) -> None:
    # Given the API origin of the distribution
    [api] = [o for o in _distribution(template)["Origins"] if o["Id"] == "api"]
    [header] = api["OriginCustomHeaders"]
    assert header["HeaderName"].lower() == "x-origin-verify"
    sent = _secret_reference(header["HeaderValue"])
    assert template["Resources"][sent]["Type"] == "AWS::SecretsManager::Secret"
    assert "GenerateSecretString" in template["Resources"][sent]["Properties"]

    # When the web ACL's rules are read in order
    first = _web_acl_rules(template)[0]

    # Then the first blocks every request whose header is not exactly that secret
    assert first["Action"] == {"Block": {}}
    match = first["Statement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"SingleHeader": {"Name": "x-origin-verify"}}
    assert match["PositionalConstraint"] == "EXACTLY"
    assert _secret_reference(match["SearchString"]) == sent
    assert match["TextTransformations"] == [{"Priority": 0, "Type": "NONE"}]
    # And WAF's logs never show it
    redacted = template["Resources"]["ApiWafLogging"]["Properties"]["RedactedFields"]
    assert {"SingleHeader": {"Name": "x-origin-verify"}} in redacted


def test_rate_limits_key_on_the_viewer_address_cloudfront_writes_not_on_a_callers_header(
    template: dict[str, Any],
) -> None:
    # Given the header the viewer-request function of the API behaviours overwrites with the viewer's address
    code = template["Resources"]["ApiViewerFunction"]["Properties"]["FunctionCode"]
    written = re.search(r"request\.headers\['([a-z0-9-]+)'\] = \{ value: event\.viewer\.ip \}", code)
    assert written, code
    # Then every rate rule keys on that header or on the connecting IP, never on X-Forwarded-For
    keys = []
    for rule in _web_acl_rules(template):
        rate = rule["Statement"].get("RateBasedStatement")
        if rate is None:
            continue
        if rate["AggregateKeyType"] == "FORWARDED_IP":
            keys.append(rate["ForwardedIPConfig"]["HeaderName"].lower())
        else:
            assert rate["AggregateKeyType"] == "IP", rule["Name"]
    assert keys and set(keys) == {written.group(1)}


def test_every_api_route_is_reached_through_cloudfront_with_the_viewer_function(template: dict[str, Any]) -> None:
    # Given the API's routes (the web ACL refuses them unless CloudFront forwards them)
    prefixes = set()
    for spec in functions(template).values():
        for event in spec["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                prefixes.add("/" + event["Properties"]["Path"].strip("/").split("/")[0])
    api_behaviours = [b for b in _distribution(template)["CacheBehaviors"] if b["TargetOriginId"] == "api"]
    # Then each route's first path segment has a behaviour to the API origin
    patterns = {b["PathPattern"] for b in api_behaviours}
    assert {p for p in prefixes if f"{p}/*" not in patterns} == set()
    # And every such behaviour runs the function that writes the viewer's address
    for behaviour in api_behaviours:
        [association] = behaviour["FunctionAssociations"]
        assert association["EventType"] == "viewer-request"
        assert association["FunctionARN"] == {"Fn::GetAtt": "ApiViewerFunction.FunctionMetadata.FunctionARN"}
    # And the stack's outputs send callers through CloudFront, not to the execute-api address
    for name in ("ApiUrl", "Open311Url"):
        assert "execute-api" not in str(template["Outputs"][name]["Value"]), name


def test_each_function_reading_the_models_bucket_may_list_it(template: dict[str, Any]) -> None:
    """S3 answers 403, not 404, for a missing key without s3:ListBucket (moto answers 404 anyway): a stack
    with no model in force yet must read "none" (the packaged model serves), not an access error."""

    def statements(function: dict[str, Any]) -> list[dict[str, Any]]:
        found = []
        for policy in function["Properties"].get("Policies") or []:
            if isinstance(policy, dict):
                found += policy.get("Statement") or []
        return found

    def names_models_bucket(resource: Any) -> bool:
        return "ModelsBucket" in str(resource)

    # Given every function whose role reads an object of the models bucket
    readers = {
        name: statements(function)
        for name, function in functions(template).items()
        if any(
            "s3:GetObject" in str(s.get("Action")) and names_models_bucket(s.get("Resource"))
            for s in statements(function)
        )
    }
    assert readers, "no function reads the models bucket"
    # Then each may also list that bucket
    for name, granted in readers.items():
        assert any(
            "s3:ListBucket" in str(s.get("Action")) and names_models_bucket(s.get("Resource")) for s in granted
        ), name
