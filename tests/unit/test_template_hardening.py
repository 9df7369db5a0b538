"""template.yaml against what AWS enforces and moto does not (issue 17, "day one in the real cloud"): a
stack that creates cleanly on a new account and degrades safely. Each test names the blocker it guards.

Pure: reads template.yaml with the loader of tests/unit/test_template_contract.py."""

from __future__ import annotations

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
    "OperationsKey",
    "RatingLinkSecret",
    "SmsProviderSecret",
}
#: Those that do not: rebuilt from the repository (the web clients) or ephemeral (idempotency records
#: live an hour).
DISPOSABLE = {"WebBucket", "IdempotencyTable"}


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
