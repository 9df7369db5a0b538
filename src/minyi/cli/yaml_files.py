"""Catalogue documents as YAML files: read (libyaml when present) and written back (`minyi catalog export`).

PyYAML is imported inside each function: `minyi sms templates` and `minyi smoke` never load it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minyi.cli import CliError


def read_document(path: Path) -> dict[str, Any]:
    import yaml

    try:
        with path.open(encoding="utf-8") as fh:
            raw = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 10x faster
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CliError(f"{path} is not YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise CliError(f"{path}: a catalogue is a mapping (districts, topics, units, rules, ...)")
    return raw


def dump_yaml(document: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120))
