"""The moto patches of the local runtime (`infra/local/moto_patches.py`): transactions still roll back
while they are active, DynamoDB answers are unchanged, and they come off again."""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import moto_patches

ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-east-1"
TABLE = "patched"


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The patches installed for one test, removed after it (whatever was installed before stays)."""
    was_installed = moto_patches.installed()
    moto_patches.uninstall()
    moto_patches.install()
    yield
    moto_patches.uninstall()
    if was_installed:
        moto_patches.install()


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        yield client


def key(pk: str, sk: str = "CASE") -> dict[str, Any]:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def stream_length(client: Any) -> int:
    from moto.dynamodb.models import dynamodb_backends

    from infra.local.template import ACCOUNT

    shard = dynamodb_backends[ACCOUNT][REGION].get_table(TABLE).stream_shard
    return len(shard.items)


def test_a_cancelled_transaction_still_rolls_back_while_the_patches_are_active(patched: None, ddb: Any) -> None:
    # Given a case at version 1 and the patches in place
    ddb.put_item(TableName=TABLE, Item={**key("CASE#1"), "version": {"N": "1"}, "status": {"S": "SUBMITTED"}})
    records_before = stream_length(ddb)
    # When a transaction writes a timeline event and updates the case, but expects version 2
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("CASE#1", "EVENT#00001"), "type": {"S": "DISPATCHED"}}}},
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("CASE#1"),
                        "UpdateExpression": "SET #s = :s, version = :v",
                        "ConditionExpression": "version = :expected",
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": {
                            ":s": {"S": "DISPATCHED"},
                            ":v": {"N": "3"},
                            ":expected": {"N": "2"},
                        },
                    }
                },
            ]
        )
    # Then it is cancelled and nothing of it stays: no event, the case unchanged, no stream record
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("CASE#1", "EVENT#00001"))
    case = ddb.get_item(TableName=TABLE, Key=key("CASE#1"))["Item"]
    assert case["status"] == {"S": "SUBMITTED"} and case["version"] == {"N": "1"}
    assert stream_length(ddb) == records_before


def test_a_transaction_whose_conditions_hold_is_applied_whole(patched: None, ddb: Any) -> None:
    # Given a case at version 1
    ddb.put_item(TableName=TABLE, Item={**key("CASE#2"), "version": {"N": "1"}})
    # When a transaction expecting version 1 writes an event and bumps the version
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": TABLE, "Item": {**key("CASE#2", "EVENT#00001"), "type": {"S": "DISPATCHED"}}}},
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": key("CASE#2"),
                    "UpdateExpression": "SET version = :v",
                    "ConditionExpression": "version = :expected",
                    "ExpressionAttributeValues": {":v": {"N": "2"}, ":expected": {"N": "1"}},
                }
            },
        ]
    )
    # Then both writes are there
    assert ddb.get_item(TableName=TABLE, Key=key("CASE#2"))["Item"]["version"] == {"N": "2"}
    assert "Item" in ddb.get_item(TableName=TABLE, Key=key("CASE#2", "EVENT#00001"))


def test_item_answers_read_the_same_with_and_without_the_patches(ddb: Any) -> None:
    # Given an item with every kind of attribute value
    item = {
        **key("CASE#3"),
        "n": {"N": "42.5"},
        "flag": {"BOOL": True},
        "none": {"NULL": True},
        "tags": {"SS": ["a", "b"]},
        "nums": {"NS": ["1", "2"]},
        "wait": {"M": {"phase": {"S": "handling"}, "round": {"N": "1"}, "list": {"L": [{"S": "x"}, {"N": "2"}]}}},
        "text": {"S": "深南大道 6008"},
    }
    ddb.put_item(TableName=TABLE, Item=item)

    def answers() -> list[Any]:
        return [
            ddb.get_item(TableName=TABLE, Key=key("CASE#3"), ReturnConsumedCapacity="TOTAL"),
            ddb.query(
                TableName=TABLE,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": "CASE#3"}},
                Limit=1,
            ),
            ddb.update_item(
                TableName=TABLE,
                Key=key("CASE#3"),
                UpdateExpression="SET n = :n",
                ExpressionAttributeValues={":n": {"N": "42.5"}},
                ReturnValues="ALL_NEW",
            ),
            ddb.batch_get_item(RequestItems={TABLE: {"Keys": [key("CASE#3")]}}),
            ddb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key("CASE#3")}}]),
        ]

    def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k != "ResponseMetadata"}

    # When the same calls are answered by moto's serialiser and by the patched plain JSON
    moto_patches.uninstall()
    plain_moto = [without_metadata(a) for a in answers()]
    moto_patches.install()
    try:
        patched_answers = [without_metadata(a) for a in answers()]
    finally:
        moto_patches.uninstall()
    # Then the client reads the same answers
    assert patched_answers == plain_moto


def test_uninstall_puts_moto_back(patched: None) -> None:
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.dynamodb import models

    # Given the patches are installed
    assert moto_patches.installed()
    patched_call = BotocoreStubber.__call__
    # When they are uninstalled
    moto_patches.uninstall()
    # Then moto's own code is back
    assert not moto_patches.installed()
    assert BotocoreStubber.__call__ is not patched_call
    assert "transact_write_items" in vars(models.DynamoDBBackend)
    assert models.copy.__name__ == "copy"


def test_another_moto_version_gets_only_the_lock_and_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the patches were written for another moto release than the one installed
    was_installed = moto_patches.installed()
    moto_patches.uninstall()
    monkeypatch.setattr(moto_patches, "SUPPORTED_MOTO", "0.0.1")
    try:
        # When they are installed
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            names = moto_patches.install()
        # Then only the lock is in place, and a warning says why
        assert names == ["BotocoreStubber.__call__"]
        assert any("written for moto 0.0.1" in str(w.message) for w in caught)
    finally:
        moto_patches.uninstall()
        monkeypatch.undo()
        if was_installed:
            moto_patches.install()


@pytest.mark.parametrize("attributes", [1, 5], ids=["one large attribute", "many attributes adding up"])
def test_an_item_over_400_kb_is_still_refused(patched: None, ddb: Any, attributes: int) -> None:
    # Given an item whose attributes add up to more than DynamoDB's 400 KB
    size = 420_000 // attributes
    item = {**key("CASE#big"), **{f"a{i}": {"S": "x" * size} for i in range(attributes)}}
    # When it is written
    with pytest.raises(ClientError) as refused:
        ddb.put_item(TableName=TABLE, Item=item)
    # Then DynamoDB's size error comes back and nothing is stored
    assert "maximum allowed size" in refused.value.response["Error"]["Message"]
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("CASE#big"))


def test_the_interpreter_loads_without_moto_batch_and_ec2_and_a_batch_task_fails_plainly() -> None:
    # Given a fresh process with the patches installed before the Step Functions interpreter is loaded
    script = """
import sys
from infra.local import moto_patches
names = moto_patches.install()
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser  # noqa: F401
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_factory as f
loaded = sorted(m for m in ("moto.batch", "moto.ec2") if m in sys.modules)
try:
    f.StateTaskServiceBatch()
    refused = ""
except NotImplementedError as exc:
    refused = str(exc)
moto_patches.uninstall()
print(repr((loaded, refused, moto_patches.BATCH_INTEGRATION in sys.modules, any("batch" in n for n in names))))
"""
    # When the interpreter is imported and a Batch task would be built
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded, refused, stand_in_left, named = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    # Then neither moto's Batch nor its EC2 was imported, a Batch task says plainly it is not supported,
    # the stand-in is listed among the patches, and uninstall takes it out of sys.modules
    assert loaded == []
    assert "no AWS Batch integration" in refused
    assert named
    assert not stand_in_left


def test_a_query_of_the_table_reads_only_its_partition_and_answers_as_moto_does(ddb: Any) -> None:
    # Given two partitions, one with events to page through and one large enough to be slow to sort
    for n in range(12):
        ddb.put_item(TableName=TABLE, Item={**key("CASE#a", f"EVENT#{n:05d}"), "n": {"N": str(n)}})
    ddb.put_item(TableName=TABLE, Item=key("CASE#a"))
    for n in range(200):
        ddb.put_item(TableName=TABLE, Item=key(f"CASE#other-{n}"))

    def answers() -> list[Any]:
        pages, start = [], None
        while True:  # paged, newest first, on a sort key condition
            extra = {"ExclusiveStartKey": start} if start else {}
            page = ddb.query(
                TableName=TABLE,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :ev)",
                ExpressionAttributeValues={":pk": {"S": "CASE#a"}, ":ev": {"S": "EVENT#"}},
                ScanIndexForward=False,
                Limit=5,
                **extra,
            )
            pages.append((page["Items"], page.get("LastEvaluatedKey")))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        missing = ddb.query(
            TableName=TABLE, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "CASE#none"}}
        )
        return [pages, missing["Items"], missing["Count"]]

    # When the same queries are answered by moto and by the patched query
    moto_patches.uninstall()
    plain_moto = answers()
    moto_patches.install()
    try:
        from moto.dynamodb.models.table import Table

        sorted_all = []
        original_all_items = Table.all_items

        def counting_all_items(self: Any) -> Any:
            sorted_all.append(self.name)
            return original_all_items(self)

        Table.all_items = counting_all_items  # type: ignore[method-assign]
        try:
            patched_answers = answers()
        finally:
            Table.all_items = original_all_items  # type: ignore[method-assign]
    finally:
        moto_patches.uninstall()
    # Then the answers are the same, and no query sorted the whole table
    assert patched_answers == plain_moto
    assert len(plain_moto[0]) == 3 and plain_moto[1] == []
    assert sorted_all == []


def test_a_projection_converts_the_item_once_and_answers_as_moto_does(ddb: Any) -> None:
    # Given a table with a sparse index that projects a few attributes, and items of every kind on it
    ddb.update_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "NEARPK", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "Near",
                    "KeySchema": [{"AttributeName": "NEARPK", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["loc", "gone", "text", "nums"]},
                }
            }
        ],
    )
    for n in range(4):
        ddb.put_item(
            TableName=TABLE,
            Item={
                **key(f"CASE#{n}"),
                "NEARPK": {"S": "NEAR#traffic#ws10k0"},
                "loc": {"M": {"lat": {"N": "22.5405"}, "lon": {"N": "114.055"}}},
                "gone": {"NULL": True},
                "text": {"S": f"红绿灯坏了 {n}"},
                "nums": {"NS": ["1", "2.50"]},
                "big": {"L": [{"M": {"k": {"S": "v" * 50}}} for _ in range(30)]},
            },
        )

    def answers() -> list[Any]:
        query = {
            "TableName": TABLE,
            "IndexName": "Near",
            "KeyConditionExpression": "NEARPK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "NEAR#traffic#ws10k0"}},
        }
        return [
            ddb.query(**query)["Items"],
            ddb.query(**query, ProjectionExpression="#t, loc, gone", ExpressionAttributeNames={"#t": "text"})["Items"],
            # a nested path: moto's own
            ddb.query(**query, ProjectionExpression="loc.lat, #t", ExpressionAttributeNames={"#t": "text"})["Items"],
            ddb.get_item(TableName=TABLE, Key=key("CASE#1"), ProjectionExpression="big[1].k, nums")["Item"],
        ]

    # When the same reads are answered by moto and with the patch
    moto_patches.uninstall()
    plain_moto = answers()
    moto_patches.install()
    try:
        patched_answers = answers()
        patched = "Item.project" in moto_patches.patch_names()
    finally:
        moto_patches.uninstall()
    # Then the answers are the same, the index's projection and the expression applied
    assert patched and patched_answers == plain_moto
    assert "big" not in plain_moto[0][0] and set(plain_moto[1][0]) == {"text", "loc", "gone"}


def test_a_response_class_lists_its_methods_once_and_still_answers_every_action(patched: None, ddb: Any) -> None:
    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    # Given the patches are installed
    listed = responses.method_names_from_class
    # When moto answers calls of several actions
    ddb.create_table(
        TableName="methods",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="methods", Item={"PK": {"S": "a"}})
    assert ddb.get_item(TableName="methods", Key={"PK": {"S": "a"}})["Item"] == {"PK": {"S": "a"}}
    # Then the class's method names were listed once and are the same list moto's own code gives
    assert listed.cache_info().misses >= 1 and listed.cache_info().hits >= 1  # type: ignore[attr-defined]
    assert listed(DynamoHandler) == listed.__wrapped__(DynamoHandler)  # type: ignore[attr-defined]


def test_update_expressions_apply_and_fail_as_moto_applies_them(ddb: Any) -> None:
    # Given an item, and updates of every kind: SET with functions and arithmetic, ADD, REMOVE, and
    # updates moto refuses (a key attribute, overlapping paths, a missing path in an expression)
    updates: list[dict[str, Any]] = [
        {
            "UpdateExpression": "SET cases = list_append(if_not_exists(cases, :empty), :one), n = n + :two "
            "ADD reports :two REMOVE gone",
            "ExpressionAttributeValues": {":empty": {"L": []}, ":one": {"L": [{"S": "SZ-1"}]}, ":two": {"N": "2"}},
        },
        {
            "UpdateExpression": "SET #s = :s, wait.phase = :p",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": {"S": "SENT"}, ":p": {"S": "rating"}},
            "ConditionExpression": "#s <> :s",
        },
        {"UpdateExpression": "SET SK = :x", "ExpressionAttributeValues": {":x": {"S": "other"}}},
        {"UpdateExpression": "SET a = :x, a = :x", "ExpressionAttributeValues": {":x": {"S": "y"}}},
        {"UpdateExpression": "SET a = missing + :x", "ExpressionAttributeValues": {":x": {"N": "1"}}},
    ]

    def outcomes(pk: str) -> list[Any]:
        ddb.put_item(
            TableName=TABLE,
            Item={**key(pk), "n": {"N": "1"}, "gone": {"S": "x"}, "wait": {"M": {"phase": {"S": "handling"}}}},
        )
        answers: list[Any] = []
        for update in updates:
            try:
                answers.append(
                    ddb.update_item(TableName=TABLE, Key=key(pk), ReturnValues="ALL_NEW", **update)["Attributes"]
                )
            except ddb.exceptions.ClientError as exc:
                answers.append((exc.response["Error"]["Code"], exc.response["Error"]["Message"]))
        return answers

    # When moto applies them alone, and again with the patches installed
    moto_patches.uninstall()
    plain_moto = [a if isinstance(a, tuple) else {k: v for k, v in a.items() if k != "PK"} for a in outcomes("A")]
    moto_patches.install()
    try:
        patched = [a if isinstance(a, tuple) else {k: v for k, v in a.items() if k != "PK"} for a in outcomes("B")]
    finally:
        moto_patches.uninstall()
    # Then every item and every refusal is the same (and the refusals are there)
    assert patched == plain_moto
    assert sum(isinstance(a, tuple) for a in patched) >= 3
