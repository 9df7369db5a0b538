"""The intake topic model's operations on fakes (issue 18, part 3): the cache every suggestion asks, the
training that stores every candidate and promotes only a better one, and the admin's promotion and rollback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from minyi.domain.errors import Forbidden, InvalidInput, NotFound
from minyi.domain.intake_model import ModelKind, TopicModel, keyword_model
from minyi.domain.model_registry import ModelChange, ModelRecord
from minyi.domain.models import Actor, Case, CaseStatus, Category, Role
from minyi.services.intake_training import LabelledExample
from minyi.services.model_ops import MAX_CASES, TRAINING_DAYS
from tests.fakes import T0, Fakes

ADMIN = Actor(role=Role.ADMIN, id="admin-1")
DISPATCHER = Actor(role=Role.DISPATCHER, id="dispatcher-1")

SEED = [
    LabelledExample("彩田路口红绿灯坏了，车辆乱成一团", "traffic"),
    LabelledExample("深南大道公交专用道被违停车辆占用", "traffic"),
    LabelledExample("小区楼下烧烤店油烟太大，晚上吵得睡不着", "environment"),
    LabelledExample("工地夜间施工噪音扰民，凌晨还在打桩", "environment"),
]


def model(version: str, topic: str = "traffic") -> TopicModel:
    """A tiny stored model whose only opinion is `topic`."""
    topics = ["traffic", "environment"]
    return TopicModel(
        version=version,
        kind=ModelKind.LINEAR,
        topics=topics,
        bias=[1.0 if t == topic else 0.0 for t in topics],
        metrics={"top1": 0.9, "top3": 1.0, "macro_f1": 0.88, "examples": 80},
        auto_threshold=0.8,
    )


def stored(fakes: Fakes, version: str, days_ago: int) -> None:
    fakes.models.save(model(version), ModelRecord.of(model(version), T0 - timedelta(days=days_ago), 340))


# --- the cache: what the suggestions ask ------------------------------------------------------------


def test_before_anything_is_in_force_the_packaged_model_serves() -> None:
    # Given a fresh stack: no model in force, the packaged one in the layer
    fakes = Fakes()
    packaged = model("packaged")
    # When a suggestion asks for the model in force
    served = fakes.topic_models(packaged).in_force()
    # Then the packaged model answers
    assert served is packaged


def test_the_model_in_force_is_loaded_once_and_the_pointer_rechecked_once_a_minute() -> None:
    # Given a version in force
    fakes = Fakes()
    stored(fakes, "20260101-aaaa", 30)
    fakes.model_ops().promote(ADMIN, "20260101-aaaa")
    source = fakes.topic_models(model("packaged"))
    fakes.models.pointer_reads = fakes.models.model_reads = 0
    # When many suggestions ask within a minute
    first = source.in_force()
    for _ in range(50):
        assert source.in_force() is first
    # Then the model was read once and the pointer once
    assert first is not None and first.version == "20260101-aaaa"
    assert (fakes.models.model_reads, fakes.models.pointer_reads) == (1, 1)
    # And after a minute only the pointer is read again (the model is the same)
    fakes.clock.advance(seconds=61)
    assert source.in_force() is first
    assert (fakes.models.model_reads, fakes.models.pointer_reads) == (1, 2)


def test_a_promotion_reaches_a_warm_container_within_a_minute() -> None:
    # Given a warm container serving one version
    fakes = Fakes()
    stored(fakes, "20260101-aaaa", 60)
    stored(fakes, "20260201-bbbb", 30)
    fakes.model_ops().promote(ADMIN, "20260101-aaaa")
    source = fakes.topic_models()
    assert source.in_force().version == "20260101-aaaa"  # type: ignore[union-attr]
    # When an admin promotes another
    fakes.model_ops().promote(ADMIN, "20260201-bbbb")
    # Then the container serves it after the recheck interval
    fakes.clock.advance(seconds=61)
    assert source.in_force().version == "20260201-bbbb"  # type: ignore[union-attr]


def test_an_unreadable_store_keeps_serving_what_the_container_has() -> None:
    # Given a container serving a version
    fakes = Fakes()
    stored(fakes, "20260101-aaaa", 30)
    fakes.model_ops().promote(ADMIN, "20260101-aaaa")
    source = fakes.topic_models(model("packaged"))
    assert source.in_force().version == "20260101-aaaa"  # type: ignore[union-attr]
    # When the store cannot be read at the next check
    fakes.models.unavailable = True
    fakes.clock.advance(seconds=61)
    # Then the suggestions keep the same model (no error reaches them)
    assert source.in_force().version == "20260101-aaaa"  # type: ignore[union-attr]


# --- the admin's view, promotion and rollback ------------------------------------------------------


def test_admins_see_every_version_with_its_numbers_and_which_is_in_force() -> None:
    # Given two stored versions, the older in force
    fakes = Fakes()
    stored(fakes, "20260101-aaaa", 60)
    stored(fakes, "20260201-bbbb", 30)
    fakes.model_ops().promote(ADMIN, "20260101-aaaa")
    # When an admin lists them
    listed = fakes.model_ops(model("packaged")).models(ADMIN)
    # Then the newest first, with held-out numbers, and the one in force named
    assert [r.version for r in listed.versions] == ["20260201-bbbb", "20260101-aaaa"]
    assert listed.versions[0].top1 == 0.9 and listed.versions[0].threshold == 0.8
    assert listed.in_force is not None and listed.in_force.version == "20260101-aaaa"
    assert listed.serving == "20260101-aaaa"


def test_only_admins_manage_models() -> None:
    # Given a dispatcher / When they list or promote / Then it is forbidden
    fakes = Fakes()
    stored(fakes, "20260101-aaaa", 30)
    with pytest.raises(Forbidden):
        fakes.model_ops().models(DISPATCHER)
    with pytest.raises(Forbidden):
        fakes.model_ops().promote(DISPATCHER, "20260101-aaaa")
    assert fakes.models.pointers == []


def test_promoting_an_unknown_version_is_not_found_and_moves_nothing() -> None:
    fakes = Fakes()
    with pytest.raises(NotFound):
        fakes.model_ops().promote(ADMIN, "20990101-none")
    assert fakes.models.pointers == []


def test_rollback_puts_an_older_version_back_and_refuses_a_newer_one() -> None:
    # Given an older and a newer version, the newer in force
    fakes = Fakes()
    stored(fakes, "20260101-aaaa", 60)
    stored(fakes, "20260201-bbbb", 30)
    ops = fakes.model_ops()
    ops.promote(ADMIN, "20260201-bbbb")
    # When an admin rolls back to the older
    pointer = ops.rollback(ADMIN, "20260101-aaaa")
    # Then it is in force, saying why, by whom and what it replaced
    assert (pointer.version, pointer.change, pointer.by, pointer.previous) == (
        "20260101-aaaa",
        ModelChange.ROLLED_BACK,
        "admin-1",
        "20260201-bbbb",
    )
    # And a "rollback" to the newer one is refused (that is a promotion), naming the field
    with pytest.raises(InvalidInput) as refused:
        ops.rollback(ADMIN, "20260201-bbbb")
    assert refused.value.field == "version"
    assert fakes.models.pointers[-1].version == "20260101-aaaa"


def test_promoting_the_version_in_force_again_changes_nothing() -> None:
    fakes = Fakes()
    stored(fakes, "20260101-aaaa", 30)
    first = fakes.model_ops().promote(ADMIN, "20260101-aaaa")
    fakes.clock.advance(minutes=5)
    again = fakes.model_ops().promote(ADMIN, "20260101-aaaa")
    assert again == first and len(fakes.models.pointers) == 1


# --- training ------------------------------------------------------------------------------------


def closed_case(n: int, topic: str, text: str, days_ago: float, unit: str = "futian-traffic-police") -> Case:
    at = T0 - timedelta(days=days_ago)
    return Case(
        id=f"case-{n}",
        tracking_no=f"MY2026010{n:05d}",
        citizen_id="citizen-1",
        phone="+8613812345678",
        category=Category.COMPLAINT,
        topic=topic,
        district="futian",
        description=text,
        status=CaseStatus.CLOSED,
        unit_id=unit,
        created_at=at - timedelta(days=3),
        updated_at=at,
        closed_at=at,
    )


def test_training_labels_closed_cases_with_their_final_topic_within_the_year() -> None:
    # Given closed cases: one reclassified to environment (its topic now), one older than a year
    fakes = Fakes()
    fakes.cases.put(closed_case(1, "environment", "烧烤油烟熏得家里没法开窗", 10))
    fakes.cases.put(closed_case(2, "traffic", "红绿灯不亮", 20, unit="nanshan-traffic-police"))
    fakes.cases.put(closed_case(3, "traffic", "去年的老问题", TRAINING_DAYS + 5))
    # When the training reads them
    ops = fakes.model_training()
    examples = ops.closed_examples(fakes.catalog.get(), T0 - timedelta(days=TRAINING_DAYS))
    # Then both recent cases, with their final topics, oldest first; the old one left out
    assert [(e.text, e.topic) for e in examples] == [
        ("红绿灯不亮", "traffic"),
        ("烧烤油烟熏得家里没法开窗", "environment"),
    ]
    assert MAX_CASES >= 10_000


def test_a_candidate_is_stored_always_and_put_in_force_only_when_it_beats_the_model_in_force() -> None:
    # Given the seed set and no model in force (the keyword model is the one to beat)
    fakes = Fakes()
    catalog = fakes.catalog.get()
    seed = [LabelledExample(f"{e.text}{i}", e.topic) for i in range(10) for e in SEED]
    # When the monthly training runs
    outcome = fakes.model_training(seed=seed).train()
    # Then the candidate is stored with its held-out numbers
    record = fakes.models.record(outcome.record.version)
    assert record is not None and record.held_out_examples == outcome.result.held_out_examples > 0
    assert record.baseline_top1 is not None
    # And it is in force only if it beat the incumbent, by the schedule
    if outcome.result.promoted:
        assert fakes.models.pointers[-1].version == record.version
        assert fakes.models.pointers[-1].change is ModelChange.TRAINED
        assert fakes.models.pointers[-1].by == "schedule"
    else:
        assert fakes.models.pointers == []
    assert set(fakes.models.load(record.version).topics) == set(catalog.topics)  # type: ignore[union-attr]


def test_a_candidate_that_does_not_beat_the_model_in_force_stays_out_of_force() -> None:
    # Given a perfect incumbent in force: the catalogue's keyword model on texts that are its keywords
    fakes = Fakes()
    catalog = fakes.catalog.get()
    incumbent = keyword_model(list(catalog.topics), catalog.topic_keywords, version="20251201-best")
    fakes.models.save(incumbent, ModelRecord.of(incumbent, T0 - timedelta(days=30)))
    fakes.model_ops().promote(ADMIN, "20251201-best")
    seed = [LabelledExample(k, t) for t, words in catalog.topic_keywords.items() for k in words for _ in range(5)]
    assert seed, "the Shenzhen catalogue has keywords"
    # When a candidate is trained on the same words (it can at best tie)
    outcome = fakes.model_training(seed=seed).train()
    # Then it is stored but the incumbent stays in force
    assert fakes.models.record(outcome.record.version) is not None
    assert not outcome.result.promoted
    assert fakes.models.pointers[-1].version == "20251201-best"
