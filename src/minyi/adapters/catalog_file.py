"""Catalogue documents read from files, and the Shenzhen catalogue the repository ships as data.

The catalogue itself (districts, topics, units with duty phones, routing rules, deadline days, the
city's bounding box) is a document: `data/catalog/shenzhen.yaml`, validated by
`minyi.domain.catalog_doc` and loaded into a stack by `PUT /v1/admin/catalog` (the `minyi` CLI), which
is also how the local runtime seeds itself. Reading YAML and files is input/output, so it lives here and
not in the pure domain, which takes the parsed mapping. Tests, the bench and tools read the Shenzhen file
through these helpers; functions in AWS read the catalogue from the table (the file is not in the layer).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minyi.domain.models import DISPATCH_QUEUE, SUPERVISION_OFFICE_ID, Catalog, RoutingRule, Unit

if TYPE_CHECKING:
    from minyi.domain.catalog_doc import CatalogDocument

#: The Shenzhen catalogue in the repository (not shipped to Lambda).
SHENZHEN_FILE = Path(__file__).resolve().parents[3] / "data" / "catalog" / "shenzhen.yaml"


def read_yaml(path: Path) -> Any:
    """A YAML (or JSON) file, parsed (libyaml's loader where installed: ten times faster)."""
    import yaml

    with path.open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_document_file(path: Path) -> CatalogDocument:
    """A catalogue document from a YAML (or JSON) file, validated as a whole."""
    from minyi.domain.catalog_doc import parse_document

    return parse_document(read_yaml(path))


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
        wanted = DISPATCH_QUEUE if name == "DISPATCH_CENTRE" else SUPERVISION_OFFICE_ID
        return shenzhen_catalog().units[wanted]
    if name == "SHENZHEN_BOUNDS":
        return shenzhen_catalog().bounds
    raise AttributeError(name)
