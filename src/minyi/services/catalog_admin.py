"""The catalogue as data: read the document in force, check a new one and its difference, accept it as
the next version. `PUT /v1/admin/catalog`, the `minyi` CLI and the local runtime's seed all end here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minyi import policy
from minyi.domain.catalog_doc import (
    CatalogDiff,
    CatalogVersion,
    InvalidDocument,
    StoredCatalog,
    diff,
    parse_document,
)
from minyi.domain.errors import NotFound
from minyi.domain.models import Actor
from minyi.observability import logger
from minyi.policy import Action
from minyi.ports import CatalogRepository, Clock


@dataclass(frozen=True)
class CatalogChange:
    """What a document changes; `version` is the version it became (None on a dry run or no change)."""

    diff: CatalogDiff
    previous_version: int
    version: int | None
    dry_run: bool


class CatalogAdminService:
    def __init__(self, repo: CatalogRepository, clock: Clock):
        self.repo = repo
        self.clock = clock

    def current(self, actor: Actor) -> StoredCatalog:
        policy.require(actor, Action.MANAGE_CATALOG)
        stored = self.repo.current_document()
        if stored is None:
            raise NotFound("error.no_catalogue_imported")
        return stored

    def history(self, actor: Actor) -> list[CatalogVersion]:
        """Every accepted version, newest first, with who accepted it and when."""
        policy.require(actor, Action.MANAGE_CATALOG)
        return self.repo.history()

    def put(self, actor: Actor, raw: Any, dry_run: bool = False) -> CatalogChange:
        """Validate the whole document (InvalidDocument names every problem), compare it with the one in
        force, and unless it is a dry run or changes nothing, accept it as the next version."""
        policy.require(actor, Action.MANAGE_CATALOG)
        doc = parse_document(raw)
        stored = self.repo.current_document()
        previous = None
        if stored is not None:
            try:
                previous = parse_document(stored.document)
            except InvalidDocument:
                # kept by an older release whose rules differ: compare with nothing rather than refuse
                logger.warning("the catalogue in force no longer validates", extra={"version": stored.version})
        change = diff(previous, doc)
        previous_version = stored.version if stored else 0
        if dry_run or (stored is not None and change.changes == 0):
            return CatalogChange(diff=change, previous_version=previous_version, version=None, dry_run=dry_run)
        version = previous_version + 1
        new = StoredCatalog(version=version, document=doc.as_json(), published_at=self.clock(), published_by=actor.id)
        self.repo.publish(new, doc.catalog(version), doc.routing_rules(version))
        logger.info("catalogue accepted", extra={"version": version, "changes": change.changes, "by": actor.id})
        return CatalogChange(diff=change, previous_version=previous_version, version=version, dry_run=False)
