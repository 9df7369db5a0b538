"""PUT /v1/admin/catalog as a use case (minyi.services.catalog_admin) on fakes: admins only, the document
checked as a whole, a dry run writes nothing, each accepted document a new version; and an empty
catalogue refuses submissions with 503 `catalog_empty` while the first import applies at once."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from minyi import bootstrap
from minyi.adapters.catalog_file import shenzhen_document
from minyi.config import CatalogAdminSettings
from minyi.domain.catalog_doc import InvalidDocument
from minyi.domain.errors import CatalogEmpty, ConcurrentUpdate, Forbidden, NotFound
from minyi.domain.models import Actor, Category, Role
from minyi.services.catalog import CatalogCache
from minyi.services.catalog_admin import CatalogAdminService
from minyi.services.results import NewRequest
from tests.fakes import FakeCatalogRepository, Fakes, fake_settings

ADMIN = Actor(role=Role.ADMIN, id="admin-1")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def document() -> dict[str, Any]:
    return copy.deepcopy(shenzhen_document().as_json())


def service(repo: FakeCatalogRepository) -> CatalogAdminService:
    return bootstrap.catalog_admin_service(fake_settings(CatalogAdminSettings), repo=repo, clock=lambda: NOW)


@pytest.mark.parametrize("role", [r for r in Role if r not in (Role.ADMIN,)])
def test_only_admins_manage_the_catalogue(role: Role) -> None:
    svc = service(FakeCatalogRepository())
    with pytest.raises(Forbidden):
        svc.put(Actor(role=role, id="x", unit_id="futian-traffic-police"), document())
    with pytest.raises(Forbidden):
        svc.current(Actor(role=role, id="x"))


def test_a_fresh_stack_has_no_document() -> None:
    with pytest.raises(NotFound):
        service(FakeCatalogRepository()).current(ADMIN)


def test_a_dry_run_answers_the_difference_and_writes_nothing() -> None:
    repo = FakeCatalogRepository()
    change = service(repo).put(ADMIN, document(), dry_run=True)
    assert change.dry_run and change.version is None and change.previous_version == 0
    assert len(change.diff.sections["units"].added) == 90
    assert repo.documents == [] and repo.catalog.topics == {}


def test_each_accepted_document_becomes_the_next_version() -> None:
    repo = FakeCatalogRepository()
    svc = service(repo)
    first = svc.put(ADMIN, document())
    assert first.version == 1 and first.previous_version == 0
    assert repo.catalog.version == 1 and len(repo.catalog.topics) == 10
    assert repo.rules[("traffic", "futian")].catalog_version == 1
    stored = svc.current(ADMIN)
    assert stored.version == 1 and stored.published_by == "admin-1" and stored.published_at == NOW
    # the same document again changes nothing and makes no version
    same = svc.put(ADMIN, document())
    assert same.version is None and same.diff.changes == 0 and len(repo.documents) == 1
    # a changed one becomes version 2
    changed = document()
    changed["deadline_days"]["complaint"] = 7
    second = svc.put(ADMIN, changed)
    assert second.version == 2 and second.previous_version == 1
    assert second.diff.sections["deadline_days"].changed == ["complaint: 5 -> 7"]
    assert repo.catalog.deadline_days[Category.COMPLAINT] == 7


def test_an_invalid_document_changes_nothing() -> None:
    repo = FakeCatalogRepository()
    broken = document()
    broken["rules"][0]["unit"] = "no-such-unit"
    with pytest.raises(InvalidDocument) as caught:
        service(repo).put(ADMIN, broken)
    assert caught.value.problems == [("rules[0].unit", "unknown unit no-such-unit")]
    assert repo.documents == []


def test_of_two_concurrent_publishers_one_loses() -> None:
    repo = FakeCatalogRepository()
    svc = service(repo)
    svc.put(ADMIN, document())
    stored = repo.current_document()
    assert stored is not None
    doc = shenzhen_document()
    with pytest.raises(ConcurrentUpdate):
        repo.publish(stored, doc.catalog(1), doc.routing_rules(1))  # version 1 again


def test_an_empty_catalogue_refuses_submissions_and_the_first_import_applies_at_once() -> None:
    fakes = Fakes(catalog_repo=FakeCatalogRepository())
    requests = fakes.request_service()
    citizen = Actor(role=Role.CITIZEN, id="c-1", phone="+8613812345678")
    request = NewRequest(category=Category.COMPLAINT, topic="traffic", district="futian", description="违停")
    with pytest.raises(CatalogEmpty) as caught:
        requests.submit(citizen, request)
    assert caught.value.code == "catalog_empty"
    service(fakes.catalog_repo).put(ADMIN, document())
    # the cache did not keep the empty catalogue: the next submission sees version 1
    case = requests.submit(citizen, request)
    assert case.phone == "+8613812345678"


def test_the_cache_keeps_a_loaded_catalogue_while_its_version_stays() -> None:
    repo = FakeCatalogRepository.shenzhen()
    cache = CatalogCache(repo)
    cache.get()
    cache.get()
    assert repo.loads == 1


def test_an_accepted_document_applies_to_the_next_request_of_a_warm_container() -> None:
    # Given a warm container that has loaded version 1 and routed by it
    repo = FakeCatalogRepository()
    svc = service(repo)
    svc.put(ADMIN, document())
    cache = CatalogCache(repo)
    assert "noise-night" not in cache.get().topics
    # When an admin accepts version 2 with a new topic, a new unit and its rule
    changed = document()
    changed["topics"]["noise-night"] = {"zh": "夜间施工噪音", "en": "Night construction noise"}
    changed["units"].append(
        {"id": "futian-night-noise", "name": "福田区夜间施工巡查组", "name_en": "Futian night works patrol",
         "district": "futian", "duty_phone": "+8613900000777", "topics": ["noise-night"]}
    )  # fmt: skip
    changed["rules"].append({"topic": "noise-night", "district": "futian", "unit": "futian-night-noise"})
    svc.put(ADMIN, changed)
    # Then the very next read offers the topic and knows the unit its rule names (no timer to wait out)
    catalog = cache.get()
    assert catalog.version == 2 and "noise-night" in catalog.topics
    rule = cache.routing_rule("noise-night", "futian")
    assert rule is not None and rule.unit_id in catalog.units
    assert repo.loads == 2


def test_a_document_in_force_that_no_longer_validates_is_compared_with_nothing() -> None:
    repo = FakeCatalogRepository()
    service(repo).put(ADMIN, document())
    repo.documents[-1] = repo.documents[-1].model_copy(update={"document": {"schema": 0}})
    change = service(repo).put(ADMIN, document())
    assert change.version == 2 and len(change.diff.sections["units"].added) == 90
