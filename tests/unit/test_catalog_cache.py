"""The catalogue cache (minyi.services.catalog): fresh at every request, read once within one."""

from __future__ import annotations

from typing import Any

from minyi.observability import serving_invocation
from minyi.services.catalog import CatalogCache
from tests.fakes import FakeCatalogRepository


def test_within_one_invocation_the_version_is_read_once() -> None:
    # Given a warm container's cache
    repo = FakeCatalogRepository.shenzhen()
    cache = CatalogCache(repo)

    def handler(event: Any, context: Any) -> int:
        # When one request asks for the catalogue three times (a topic check, routing, a notice)
        return len({id(cache.get()) for _ in range(3)})

    # Then it reads the version pointer once and gets one catalogue
    assert serving_invocation(handler, {}, None) == 1
    assert repo.version_reads == 1


def test_every_invocation_reads_the_version_again_and_a_new_document_applies_at_once() -> None:
    # Given a cache that served one request
    repo = FakeCatalogRepository.shenzhen()
    cache = CatalogCache(repo)
    serving_invocation(lambda e, c: cache.get(), {}, None)
    # When an admin's document moves the version, and the next request asks
    repo.catalog = repo.catalog.model_copy(update={"version": repo.catalog.version + 1, "topics": {"new": {}}})
    seen = serving_invocation(lambda e, c: cache.get(), {}, None)
    # Then that request read the version again and loaded the new catalogue
    assert repo.version_reads == 2 and repo.loads == 2
    assert "new" in seen.topics


def test_outside_an_invocation_every_get_reads_the_version() -> None:
    # Given a service called directly (a CLI, a test): no invocation
    repo = FakeCatalogRepository.shenzhen()
    cache = CatalogCache(repo)
    # When it asks twice / Then it reads the version each time (and loads once)
    cache.get()
    cache.get()
    assert (repo.version_reads, repo.loads) == (2, 1)
