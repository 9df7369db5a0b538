"""The catalogue under one partition (`CATALOG`): topics, districts, units, routing rules, deadline days.

A few hundred small items read with one query; callers cache the result in the warm container.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minyi.adapters.dynamo.table import Table
from minyi.domain.models import Bounds, Catalog, Category, RoutingRule, Unit

CATALOG_PARTITION = "CATALOG"
BATCH_WRITE_LIMIT = 25


class DynamoCatalogRepository:
    """`minyi.ports.CatalogRepository` on the single table."""

    def __init__(self, table: Table):
        self.table = table

    def seed(self, catalog: Catalog, rules: Sequence[RoutingRule]) -> None:
        items: list[dict[str, Any]] = []
        for code, names in catalog.topics.items():
            items.append({"SK": f"TOPIC#{code}", "code": code, **names})
        for code, names in catalog.districts.items():
            items.append({"SK": f"DISTRICT#{code}", "code": code, **names})
        for unit in catalog.units.values():
            items.append({"SK": f"UNIT#{unit.id}", **unit.model_dump(exclude_none=True)})
        for rule in rules:
            items.append({"SK": f"RULE#{rule.topic}#{rule.district}", **rule.model_dump()})
        items.append({"SK": "DEADLINES", "days": {c.value: d for c, d in catalog.deadline_days.items()}})
        if catalog.bounds is not None:
            items.append({"SK": "BOUNDS", **catalog.bounds.model_dump()})
        for i in range(0, len(items), BATCH_WRITE_LIMIT):
            chunk = [
                {"PutRequest": {"Item": self.table.codec.item({"PK": CATALOG_PARTITION, **it})}}
                for it in items[i : i + BATCH_WRITE_LIMIT]
            ]
            self.table.ddb.batch_write_item(RequestItems={self.table.name: chunk})

    def load(self) -> Catalog:
        """One query for the whole catalogue."""
        topics: dict[str, dict[str, str]] = {}
        districts: dict[str, dict[str, str]] = {}
        units: dict[str, Unit] = {}
        deadline_days: dict[Category, int] = {}
        bounds: Bounds | None = None
        for item in self.table.query_all(
            KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": CATALOG_PARTITION}}
        ):
            kind = item["SK"].split("#", 1)[0]
            if kind == "TOPIC":
                topics[item["code"]] = {"zh": item["zh"], "en": item["en"]}
            elif kind == "DISTRICT":
                districts[item["code"]] = {"zh": item["zh"], "en": item["en"]}
            elif kind == "UNIT":
                units[item["id"]] = Unit.model_validate(item)
            elif kind == "DEADLINES":
                deadline_days = {Category(k): int(v) for k, v in item["days"].items()}
            elif kind == "BOUNDS":
                bounds = Bounds.model_validate(item)
        return Catalog(
            categories=list(Category),
            topics=topics,
            districts=districts,
            units=units,
            deadline_days=deadline_days,
            bounds=bounds,
        )

    def routing_rule(self, topic: str, district: str) -> RoutingRule | None:
        item = self.table.get(CATALOG_PARTITION, f"RULE#{topic}#{district}")
        return RoutingRule.model_validate(item) if item else None
