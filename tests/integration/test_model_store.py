"""The intake topic models on moto (issue 18): the S3 store keeps versions and the pointer, the training
function runs on the stack, the stored catalogue keeps the topics' keywords."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.local.schedules import scheduled_event
from minyi.adapters.dynamo import DynamoCatalogRepository, Table
from minyi.adapters.topic_models import S3ModelStore
from minyi.domain.intake_model import ModelKind, TopicModel
from minyi.domain.model_registry import InForce, ModelChange, ModelRecord
from minyi.services.model_ops import ModelCache
from tests.integration.conftest import Stack

T = datetime(2026, 3, 1, tzinfo=UTC)


def a_model(version: str) -> TopicModel:
    return TopicModel(version=version, kind=ModelKind.LINEAR, topics=["traffic", "water"], bias=[0.5, 0.0],
                      weights={"灯": [1.0, 2.0, -1.0]}, metrics={"top1": 0.9, "examples": 80.0})  # fmt: skip


def test_the_store_keeps_versions_and_the_pointer(stack: Stack) -> None:
    # Given the stack's models bucket
    store = S3ModelStore(stack.resources["ModelsBucket"])
    assert store.in_force() is None and store.load("20990101-none") is None
    # When two versions are saved and one is put in force
    for day, version in ((1, "20260101-aaaa"), (2, "20260201-bbbb")):
        store.save(a_model(version), ModelRecord.of(a_model(version), T.replace(month=day), 10))
    store.put_in_force(InForce(version="20260101-aaaa", since=T, by="admin-1", change=ModelChange.PROMOTED))
    # Then they read back: the records newest first, the model byte for byte, the pointer
    assert [r.version for r in store.records()] == ["20260201-bbbb", "20260101-aaaa"]
    assert store.load("20260101-aaaa").to_json() == a_model("20260101-aaaa").to_json()  # type: ignore[union-attr]
    assert store.in_force().version == "20260101-aaaa"  # type: ignore[union-attr]
    # And the cache serves the one in force
    assert ModelCache(store, lambda: None, lambda: T).in_force().version == "20260101-aaaa"  # type: ignore[union-attr]


def test_the_stored_catalogue_keeps_the_topics_keywords(stack: Stack) -> None:
    # Given the Shenzhen catalogue seeded into the table / When loaded back
    loaded = DynamoCatalogRepository(Table(stack.resources["CasesTable"])).load()
    # Then every topic's keywords are there for the cold start
    assert loaded.topic_keywords and all(loaded.topic_keywords.values())
    assert set(loaded.topic_keywords) <= set(loaded.topics)


def test_the_monthly_function_trains_stores_and_reports(stack: Stack) -> None:
    # Given a stack with its catalogue and no model in force / When the schedule fires the function
    result = stack.lambdas.invoke("TrainModelFunction", scheduled_event("ap-east-1", "Monthly"))
    # Then a version is stored with its numbers, in force when it beat the incumbent (the packaged model)
    store = S3ModelStore(stack.resources["ModelsBucket"])
    record = store.record(result["version"])
    assert record is not None and record.top1 == result["top1"] and record.held_out_examples > 0
    assert (store.in_force() is not None) == result["promoted"]
