"""The catalogue under one partition (`CATALOG`): topics, districts, units, routing rules, deadline days,
and the `VERSION` item naming the accepted document in force; every accepted document is kept under
its version in `CATALOG#DOCUMENTS` (gzipped JSON).

A few hundred small items read with one query; callers cache the result in the warm container while the
`VERSION` item (read alone, one GetItem) stays the same.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Sequence
from typing import Any

from minyi.adapters.dynamo.table import Table
from minyi.domain.catalog_doc import CatalogVersion, StoredCatalog
from minyi.domain.errors import ConcurrentUpdate
from minyi.domain.hotspots import DEFAULT_MIN_REPORTS
from minyi.domain.models import Bounds, Catalog, Category, KnowledgeEntry, ReplyTemplate, RoutingRule, Unit

CATALOG_PARTITION = "CATALOG"
DOCUMENTS_PARTITION = "CATALOG#DOCUMENTS"
VERSION_KEY = "VERSION"
BATCH_WRITE_LIMIT = 25
BATCH_RETRIES = 8


def _document_key(version: int) -> str:
    return f"V#{version:08d}"


def _bytes(value: Any) -> bytes:
    return bytes(getattr(value, "value", value))


class DynamoCatalogRepository:
    """`minyi.ports.CatalogRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    @staticmethod
    def _items(catalog: Catalog, rules: Sequence[RoutingRule]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for code, names in catalog.topics.items():
            keywords = catalog.topic_keywords.get(code)
            items.append({"SK": f"TOPIC#{code}", "code": code, **names, **({"keywords": keywords} if keywords else {})})
        for code, names in catalog.districts.items():
            area = catalog.district_areas.get(code)
            items.append({"SK": f"DISTRICT#{code}", "code": code, **names, **({"area": area} if area else {})})
        for unit in catalog.units.values():
            items.append({"SK": f"UNIT#{unit.id}", **unit.model_dump(exclude_none=True)})
        for rule in rules:
            items.append({"SK": f"RULE#{rule.topic}#{rule.district}", **rule.model_dump(exclude_none=True)})
        items.append(
            {
                "SK": "DEADLINES",
                "days": {c.value: d for c, d in catalog.deadline_days.items()},
                "urgent_hours": catalog.urgent_hours,
                "hotspot_min_reports": catalog.hotspot_min_reports,
            }
        )
        if catalog.bounds is not None:
            items.append({"SK": "BOUNDS", **catalog.bounds.model_dump()})
        for entry in catalog.knowledge:
            items.append({"SK": f"KNOWLEDGE#{entry.id}", **entry.model_dump(exclude_none=True)})
        for template in catalog.reply_templates:
            items.append({"SK": f"REPLY_TEMPLATE#{template.id}", **template.model_dump(exclude_none=True)})
        return items

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem in chunks, retrying what DynamoDB left unprocessed."""
        for i in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending: dict[str, Any] = {self.table.name: requests[i : i + BATCH_WRITE_LIMIT]}
            for attempt in range(BATCH_RETRIES):
                resp = self.table.ddb.batch_write_item(RequestItems=pending)
                pending = resp.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError("the catalogue could not be written completely (throttled); try again")

    def _put_all(self, items: list[dict[str, Any]]) -> None:
        self._batch([{"PutRequest": {"Item": self.table.codec.item({"PK": CATALOG_PARTITION, **it})}} for it in items])

    def seed(self, catalog: Catalog, rules: Sequence[RoutingRule]) -> None:
        """Write a catalogue without a document or version (tests); `publish` is how stacks load one."""
        self._put_all(self._items(catalog, rules))

    def current_document(self) -> StoredCatalog | None:
        head = self.table.get(CATALOG_PARTITION, VERSION_KEY, consistent=True)
        if head is None:
            return None
        item = self.table.get(DOCUMENTS_PARTITION, _document_key(int(head["version"])), consistent=True)
        if item is None:
            return None
        return StoredCatalog(
            version=int(head["version"]),
            document=json.loads(gzip.decompress(_bytes(item["document"]))),
            published_at=item["published_at"],
            published_by=item["published_by"],
        )

    def publish(self, stored: StoredCatalog, catalog: Catalog, rules: Sequence[RoutingRule]) -> None:
        """Keep the document under its version, write its items, remove what it no longer has, then move
        `VERSION` on (conditional on the previous version, so of two concurrent publishers one loses).
        Readers see the new items as they are written; the version changes last."""
        previous = stored.version - 1
        head = self.table.get(CATALOG_PARTITION, VERSION_KEY, consistent=True)
        if (int(head["version"]) if head else 0) != previous:
            raise ConcurrentUpdate("error.catalogue_changed")
        meta = {"published_at": stored.published_at.isoformat(), "published_by": stored.published_by}
        body = gzip.compress(json.dumps(stored.document, ensure_ascii=False, separators=(",", ":")).encode())
        self.table.ddb.put_item(
            TableName=self.table.name,
            Item=self.table.codec.item(
                {"PK": DOCUMENTS_PARTITION, "SK": _document_key(stored.version), "document": body, **meta}
            ),
        )
        items = self._items(catalog, rules)
        keep = {it["SK"] for it in items} | {VERSION_KEY}
        stale = [
            item["SK"]
            for item in self.table.query_all(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": CATALOG_PARTITION}},
                ProjectionExpression="SK",
                ConsistentRead=True,
            )
            if item["SK"] not in keep
        ]
        self._put_all(items)
        self._batch(
            [{"DeleteRequest": {"Key": self.table.codec.item({"PK": CATALOG_PARTITION, "SK": sk})}} for sk in stale]
        )
        condition = "attribute_not_exists(PK)" if previous == 0 else "version = :previous"
        values = {} if previous == 0 else {"ExpressionAttributeValues": self.table.codec.item({":previous": previous})}
        try:
            self.table.ddb.put_item(
                TableName=self.table.name,
                Item=self.table.codec.item(
                    {"PK": CATALOG_PARTITION, "SK": VERSION_KEY, "version": stored.version, **meta}
                ),
                ConditionExpression=condition,
                **values,
            )
        except self.table.ddb.exceptions.ConditionalCheckFailedException as exc:
            raise ConcurrentUpdate("error.catalogue_changed") from exc

    def load(self) -> Catalog:
        """One strongly consistent query for the whole catalogue."""
        topics: dict[str, dict[str, str]] = {}
        keywords: dict[str, list[str]] = {}
        districts: dict[str, dict[str, str]] = {}
        areas: dict[str, list[list[float]]] = {}
        units: dict[str, Unit] = {}
        deadline_days: dict[Category, int] = {}
        bounds: Bounds | None = None
        urgent: dict[str, float] = {}
        min_reports = DEFAULT_MIN_REPORTS
        version = 0
        knowledge: list[KnowledgeEntry] = []
        reply_templates: list[ReplyTemplate] = []
        for item in self.table.query_all(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": CATALOG_PARTITION}},
            ConsistentRead=True,  # loaded when the version moved: its items must be there
        ):
            kind = item["SK"].split("#", 1)[0]
            if kind == "TOPIC":
                topics[item["code"]] = {"zh": item["zh"], "en": item["en"]}
                if item.get("keywords"):
                    keywords[item["code"]] = [str(k) for k in item["keywords"]]
            elif kind == "DISTRICT":
                districts[item["code"]] = {"zh": item["zh"], "en": item["en"]}
                if item.get("area"):
                    areas[item["code"]] = [[float(lat), float(lon)] for lat, lon in item["area"]]
            elif kind == "UNIT":
                units[item["id"]] = Unit.model_validate(item)
            elif kind == "DEADLINES":
                deadline_days = {Category(k): int(v) for k, v in item["days"].items()}
                if item.get("urgent_hours") is not None:  # catalogues stored before urgent cases have none
                    urgent["urgent_hours"] = float(item["urgent_hours"])
                if item.get("hotspot_min_reports") is not None:  # nor those stored before hotspots
                    min_reports = int(item["hotspot_min_reports"])
            elif kind == "BOUNDS":
                bounds = Bounds.model_validate(item)
            elif kind == VERSION_KEY:
                version = int(item["version"])
            elif kind == "KNOWLEDGE":
                knowledge.append(KnowledgeEntry.model_validate(item))
            elif kind == "REPLY_TEMPLATE":
                reply_templates.append(ReplyTemplate.model_validate(item))
        return Catalog(
            categories=list(Category),
            topics=topics,
            districts=districts,
            units=units,
            deadline_days=deadline_days,
            bounds=bounds,
            district_areas=areas,
            topic_keywords=keywords,
            version=version,
            knowledge=knowledge,
            reply_templates=reply_templates,
            hotspot_min_reports=min_reports,
            **urgent,
        )

    def version(self) -> int:
        """One strongly consistent GetItem of the small `VERSION` item (its number only)."""
        resp = self.table.ddb.get_item(
            TableName=self.table.name,
            Key=self.table.codec.item({"PK": CATALOG_PARTITION, "SK": VERSION_KEY}),
            ConsistentRead=True,
            ProjectionExpression="version",
        )
        item = resp.get("Item")
        return int(self.table.codec.plain(item)["version"]) if item else 0

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None:
        """Strongly consistent: a rule accepted a moment ago routes the next case."""
        item = self.table.get(CATALOG_PARTITION, f"RULE#{topic}#{district}", consistent=True)
        return RoutingRule.model_validate(item) if item else None

    def history(self) -> list[CatalogVersion]:
        """The kept documents' keys and metadata, newest first, without their bodies."""
        return [
            CatalogVersion(
                version=int(item["SK"].removeprefix("V#")),
                published_at=item["published_at"],
                published_by=item["published_by"],
            )
            for item in self.table.query_all(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": DOCUMENTS_PARTITION}},
                ProjectionExpression="SK, published_at, published_by",
                ScanIndexForward=False,
            )
        ]
