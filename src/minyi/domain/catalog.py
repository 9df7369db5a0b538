"""The units every catalogue has, and the Shenzhen catalogue, which ships as data.

The catalogue itself (districts, topics, units with duty phones, routing rules, deadline days, the
city's bounding box) is a document: `data/catalog/shenzhen.yaml`, validated by
`minyi.domain.catalog_doc` and loaded into a stack by `PUT /v1/admin/catalog` (the `minyi` CLI), which
is also how the local runtime seeds itself. The helpers below read that file for tests and tools;
functions in AWS read the catalogue from the table.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minyi.domain.models import DISPATCH_QUEUE, Catalog, RoutingRule, Unit

if TYPE_CHECKING:
    from minyi.domain.catalog_doc import CatalogDocument

#: The city dispatch centre's queue: cases with no matching rule, or returned as misrouted.
DISPATCH_CENTRE_ID = DISPATCH_QUEUE
#: Supervisors (督办): told of escalations and special supervision on this unit's duty phone.
SUPERVISION_OFFICE_ID = "supervision-office"

#: The Shenzhen catalogue in the repository (not shipped to Lambda).
SHENZHEN_FILE = Path(__file__).resolve().parents[3] / "data" / "catalog" / "shenzhen.yaml"


def load_document_file(path: Path) -> CatalogDocument:
    """A catalogue document from a YAML (or JSON) file, validated as a whole."""
    import yaml

    from minyi.domain.catalog_doc import parse_document

    with path.open(encoding="utf-8") as fh:
        return parse_document(yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))


@cache
def shenzhen_document() -> CatalogDocument:
    return load_document_file(SHENZHEN_FILE)


def shenzhen_catalog() -> Catalog:
    return shenzhen_document().catalog()


def shenzhen_units_and_rules() -> tuple[list[Unit], list[RoutingRule]]:
    doc = shenzhen_document()
    return doc.all_units(), doc.routing_rules()


def __getattr__(name: str) -> Any:
    """`DISPATCH_CENTRE`, `SUPERVISION_OFFICE` and `SHENZHEN_BOUNDS` of the Shenzhen file (tests, tools)."""
    if name in {"DISPATCH_CENTRE", "SUPERVISION_OFFICE"}:
        wanted = DISPATCH_CENTRE_ID if name == "DISPATCH_CENTRE" else SUPERVISION_OFFICE_ID
        return shenzhen_catalog().units[wanted]
    if name == "SHENZHEN_BOUNDS":
        return shenzhen_catalog().bounds
    raise AttributeError(name)
