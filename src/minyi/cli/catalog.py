"""The catalogue and its routing rules, as `minyi catalog import` and `minyi rules import` handle them.

`import_catalog` checks a document here first (the same validation the API runs), shows what it
changes (`PUT /v1/admin/catalog?dry_run=true`), then sends it; the stack keeps it as a new version.
The local runtime seeds itself through it too. `import_rules` puts a spreadsheet's rules
(`rules_csv`) into the stack's catalogue or a catalogue file: the rules of the file replace those of
the same topic and district and leave the others as they are, or (replace) make the file the whole
rule set. Its dry run prints the difference and the warnings (`rule_warnings`): units without a staff
account, topic and district pairs no rule covers, rows naming units that do not exist.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from minyi.cli import CliError
from minyi.cli.http import AdminApi
from minyi.cli.rules_csv import parse_rules_csv
from minyi.cli.yaml_files import dump_yaml, read_document
from minyi.domain.catalog_doc import CatalogDocument, InvalidDocument, RuleEntry, diff, parse_document

# --- progress and the difference, for people --------------------------------------------------------


class Progress:
    """A one-line progress bar on a terminal (stderr); plain lines when it is not a terminal."""

    WIDTH = 24

    def __init__(self, total: int, out: TextIO | None = None):
        self.total = total
        self.done = 0
        self.out = out or sys.stderr

    def step(self, label: str) -> None:
        self.done += 1
        filled = round(self.WIDTH * self.done / self.total)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        tty = getattr(self.out, "isatty", lambda: False)()
        end = "\n" if (not tty or self.done == self.total) else ""
        self.out.write(f"{chr(13) if tty else ''}[{bar}] {self.done}/{self.total} {label:<40}{end}")
        self.out.flush()


def format_diff(change: dict[str, Any]) -> str:
    """The API's diff as lines: `units: +1 -0 ~2` and each id under it."""
    lines: list[str] = []
    for section, parts in change.get("diff", {}).items():
        added, removed, changed = parts.get("added", []), parts.get("removed", []), parts.get("changed", [])
        if not (added or removed or changed):
            continue
        lines.append(f"{section}: +{len(added)} -{len(removed)} ~{len(changed)}")
        lines += [f"  + {x}" for x in added] + [f"  - {x}" for x in removed] + [f"  ~ {x}" for x in changed]
    return "\n".join(lines) if lines else "no changes"


# --- the catalogue -----------------------------------------------------------------------------------


def check_document(raw: dict[str, Any], source: str) -> CatalogDocument:
    try:
        return parse_document(raw)
    except InvalidDocument as exc:
        from minyi import text
        from minyi.domain.messages import Message

        lines = [f"{source}: {len(exc.problems)} problem(s)"] + [
            f"  {path}: {text.render(p, 'en') if isinstance(p, Message) else p}" for path, p in exc.problems
        ]
        raise CliError("\n".join(lines)) from None


@dataclass
class ImportResult:
    change: dict[str, Any]
    version: int | None


def import_catalog(
    raw: dict[str, Any], api: AdminApi, dry_run: bool = False, source: str = "catalogue", out: TextIO | None = None
) -> ImportResult:
    """Check here, show the difference, then send: what `minyi catalog import` and the local seed do."""
    progress = Progress(2 if dry_run else 4, out)
    doc = check_document(raw, source)
    progress.step(f"checked {len(doc.units)} units, {len(doc.rules)} rules")
    document = doc.as_json()
    preview = api.put(document, dry_run=True)
    progress.step(f"{preview.get('changes', 0)} change(s) against version {preview.get('previous_version')}")
    if dry_run:
        return ImportResult(preview, None)
    if preview.get("changes", 0) == 0 and preview.get("previous_version", 0) > 0:
        progress.step("nothing to send")
        progress.step("done")
        return ImportResult(preview, None)
    result = api.put(document, dry_run=False)
    progress.step(f"accepted as version {result.get('version')}")
    current = api.current()
    if current is None or current.get("version") != result.get("version"):
        raise CliError("the stack does not show the new version; run `minyi catalog export` to see what it has")
    progress.step("verified")
    return ImportResult(result, result.get("version"))


# --- routing rules into a catalogue ------------------------------------------------------------------


def with_rules(document: dict[str, Any], rules: Sequence[RuleEntry], replace: bool = True) -> dict[str, Any]:
    """The document with these rules: all its rules replaced, or (merge) only those of the same topic
    and district, in place, and the others added at the end."""
    if replace:
        return {**document, "rules": [r.model_dump() for r in rules]}
    incoming = {(r.topic, r.district): r for r in rules}
    merged: list[dict[str, Any]] = []
    for rule in document.get("rules") or []:
        new = incoming.pop((rule.get("topic"), rule.get("district")), None)
        merged.append(new.model_dump() if new is not None else rule)
    merged += [r.model_dump() for r in incoming.values()]
    return {**document, "rules": merged}


#: Lists in warnings show this many entries, then how many more.
WARNING_LIST_LIMIT = 12


def _some(items: Sequence[str]) -> str:
    shown = ", ".join(items[:WARNING_LIST_LIMIT])
    return shown + (f" ... and {len(items) - WARNING_LIST_LIMIT} more" if len(items) > WARNING_LIST_LIMIT else "")


def rule_warnings(doc: CatalogDocument, staff: Sequence[dict[str, Any]] | None) -> list[str]:
    """What a catalogue allows but a centre should hear about: topic and district pairs no rule covers,
    and (given the staff accounts) units nobody can sign in for."""
    covered = {(r.topic, r.district) for r in doc.rules}
    uncovered = [f"{t}/{d}" for t in doc.topics for d in doc.districts if (t, d) not in covered]
    warnings: list[str] = []
    if uncovered:
        warnings.append(
            f"{len(uncovered)} topic x district pair(s) have no rule (their cases wait in the dispatch queue): "
            + _some(uncovered)
        )
    if staff is not None:
        staffed = {a.get("unit_id") for a in staff if a.get("enabled", True) and a.get("role") in (None, "staff")}
        lonely = [u.id for u in doc.units if u.id not in staffed]
        if lonely:
            warnings.append(f"{len(lonely)} unit(s) have no staff account (nobody reads their cases): " + _some(lonely))
    return warnings


def _local_change(before: CatalogDocument | None, after: CatalogDocument) -> dict[str, Any]:
    """The difference as the API's dry run words it, computed here."""
    change = diff(before, after)
    return {"changes": change.changes, "diff": {k: v.model_dump() for k, v in change.sections.items()}}


def import_rules(
    path: Path,
    api: AdminApi | None,
    catalog_file: str | None = None,
    output: str | None = None,
    replace: bool = False,
    dry_run: bool = False,
) -> int:
    """`minyi rules import`: into the stack's catalogue (api) or a catalogue file, printing what it does."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    document: dict[str, Any] | None = None
    if api is not None:
        current = api.current()
        if current is None:
            raise CliError("the stack has no catalogue yet: import one first (`minyi catalog import`)")
        document = current["document"]
    elif catalog_file:
        document = read_document(Path(catalog_file))
    catalog = check_document(document, "catalogue") if document is not None else None
    parsed = parse_rules_csv(data, catalog)
    preview = dry_run and document is not None
    if parsed.problems and not preview:
        for problem in parsed.problems:
            print(f"{path}:{problem}", file=sys.stderr)
        raise CliError(f"{len(parsed.problems)} bad row(s) in {path}; nothing was changed")
    if document is None:
        print(f"{path}: {len(parsed.rules)} rules, no bad rows (give --catalog or --api to load them)")
        return 0
    updated = with_rules(document, parsed.rules, replace=replace)
    new = check_document(updated, str(path))
    how = "replace every rule" if replace else f"replace the rules of {len(parsed.rules)} topic x district pair(s)"
    if preview:
        staff = api.staff() if api is not None else None
        print(format_diff(_local_change(catalog, new)))
        for problem in parsed.problems:
            print(f"warning: {path}:{problem} (left out)")
        for warning in rule_warnings(new, staff):
            print(f"warning: {warning}")
        if staff is None:
            print("warning: staff accounts not checked (give --api to check them)")
        print(f"dry run: nothing was changed (the file would {how})")
        return 0
    if api is not None:
        result = import_catalog(updated, api, dry_run=False, source=str(path))
        print(format_diff(result.change))
        for warning in rule_warnings(new, api.staff()):
            print(f"warning: {warning}")
        print(f"version {result.version} is in force" if result.version else "no changes")
        return 0
    target = Path(output or catalog_file or path)
    target.write_text(dump_yaml(updated), encoding="utf-8")
    for warning in rule_warnings(new, None):
        print(f"warning: {warning}")
    print(f"wrote {len(parsed.rules)} rules to {target} ({'replacing every rule' if replace else 'merged'})")
    return 0
