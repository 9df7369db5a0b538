"""The benchmark's timer of moto's work (`scripts/bench/moto_timer.py`): it counts what moto answers while
its block runs, and only then; it is not one of the local runtime's patches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import BaseResponse

from infra.local import moto_patches
from scripts.bench.moto_timer import timed_operations

REGION = "ap-east-1"


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
        yield boto3.client("dynamodb")


def test_the_timer_counts_each_operation_moto_answers_inside_its_block_only(ddb: Any) -> None:
    # Given moto's dispatch as it is before the block
    dispatch = BaseResponse.call_action
    ddb.list_tables()  # before the block: not counted
    # When two calls of one operation and one of another run inside the block
    with timed_operations() as times:
        ddb.list_tables()
        ddb.list_tables()
        ddb.describe_limits()
        calls, seconds, cpu_seconds = times.snapshot()
    ddb.list_tables()  # after the block: not counted
    # Then each operation is counted by its service and name, with its time
    assert calls == {"dynamodb.ListTables": 2, "dynamodb.DescribeLimits": 1}
    assert set(seconds) == set(cpu_seconds) == set(calls)
    assert all(value >= 0 for value in [*seconds.values(), *cpu_seconds.values()])
    # And the calls after the block changed nothing: moto's dispatch is restored
    assert times.snapshot()[0] == calls
    assert BaseResponse.call_action is dispatch


def test_the_patches_module_holds_no_timer() -> None:
    # Given the local runtime's patches / Then the benchmark's timer is not one of them
    assert not hasattr(moto_patches, "timed_operations")
    assert not hasattr(moto_patches, "OperationTimes")
