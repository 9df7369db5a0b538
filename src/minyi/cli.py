"""`minyi`: load a stack's catalogue from data, and read it back.

    minyi catalog import FILE.yaml --api URL --token TOKEN [--dry-run]
    minyi catalog export --api URL --token TOKEN [--output FILE.yaml]
    minyi catalog check FILE.yaml
    minyi rules import FILE.csv [--catalog FILE.yaml [--output OUT.yaml] | --api URL --token TOKEN]
                                [--replace] [--dry-run]
    minyi preflight --region R [--web-domain D [--certificate-arn ARN]] [--sms-secret ARN] [--template FILE]
    minyi smoke --api WEB_URL --token TOKEN [--rating-base URL]
    minyi sms templates --base https://12345.sz.gov.cn

`catalog import` checks the document here first (the same validation the API runs), shows what it
changes (`PUT /v1/admin/catalog?dry_run=true`), then sends it; the stack keeps it as a new version.
`rules import` reads routing rules from a spreadsheet export (CSV with the columns topic, district,
unit) and reports every bad row by its line number; with `--catalog` it writes them into a catalogue
file, with `--api` into the stack's catalogue. A cell may name a topic or district by its code, its
Chinese or its English name (水务, 福田区, Futian), a unit by its id or either name. The rules of the
file replace those of the same topic and district and leave the others as they are; `--replace` makes
the file the whole rule set (a one-row file otherwise removed every other rule without a word).
`--dry-run` prints the difference and warnings: units without a staff account (from `GET
/v1/admin/staff`, with `--api`), topic and district pairs no rule covers (their cases wait in the
dispatch queue) and rows naming units that do not exist, which are left out of the preview.
The token is an admin's (`/local/tokens` locally).
The local runtime seeds itself with `import_catalog` too. `preflight` (before the first deployment) and
`smoke` (after each) are an operator's checks, in `minyi.cli_ops`; docs/deploy.md runs them in order.
`sms templates` prints every SMS template a mainland provider must have registered (JSON: key ->
text in the provider's syntax, with the rating address written in as constant text, and its
variables with their kinds and maximum lengths); `--base` is the stack's web address (the WebUrl
output, or RatingLinkBase), which must be an ICP-filed domain for Tencent Cloud SMS.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from minyi.domain.catalog_doc import (
    CatalogDocument,
    InvalidDocument,
    RuleEntry,
    diff,
    parse_document,
    rule_problems,
)

CATALOG_PATH = "/v1/admin/catalog"
STAFF_PATH = "/v1/admin/staff"
#: (method, path, body, headers) -> (status, body)
Send = Callable[[str, str, bytes | None, dict[str, str]], tuple[int, bytes]]


class CliError(Exception):
    """What went wrong, worded for the person at the terminal."""


# --- talking to the API ----------------------------------------------------------------------------


def _urllib_send(base_url: str, timeout: float = 60.0) -> Send:
    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
        request = urllib.request.Request(base_url.rstrip("/") + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return int(resp.status), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()
        except urllib.error.URLError as exc:
            raise CliError(f"cannot reach {base_url}: {exc.reason}") from exc

    return send


class AdminApi:
    """The admin routes of a stack, with a bearer token (an admin's)."""

    def __init__(self, base_url: str, token: str, send: Send | None = None):
        self.token = token
        self.send = send or _urllib_send(base_url)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        status, raw = self.send(method, path, data, headers)
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = {"message": raw[:200].decode(errors="replace")}
        return status, payload

    def current(self) -> dict[str, Any] | None:
        status, payload = self.call("GET", CATALOG_PATH)
        if status == 404:
            return None
        _raise_for(status, payload)
        return payload  # type: ignore[no-any-return]

    def staff(self) -> list[dict[str, Any]]:
        """Every staff account (`GET /v1/admin/staff`)."""
        status, payload = self.call("GET", STAFF_PATH)
        _raise_for(status, payload)
        return list(payload.get("items", [])) if isinstance(payload, dict) else []

    def put(self, document: dict[str, Any], dry_run: bool) -> dict[str, Any]:
        status, payload = self.call("PUT", CATALOG_PATH + ("?dry_run=true" if dry_run else ""), document)
        _raise_for(status, payload)
        return payload  # type: ignore[no-any-return]


def _raise_for(status: int, payload: Any) -> None:
    if 200 <= status < 300:
        return
    if not isinstance(payload, dict):
        raise CliError(f"HTTP {status}")
    problems = payload.get("problems") or []
    lines = [f"HTTP {status} {payload.get('error', '')}: {payload.get('message', '')}".rstrip(": ")]
    lines += [f"  {p.get('field')}: {p.get('problem')}" for p in problems if isinstance(p, dict)]
    raise CliError("\n".join(lines))


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


def dump_yaml(document: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120))


# --- routing rules from a spreadsheet ----------------------------------------------------------------

#: Accepted column headings (a spreadsheet export may carry Chinese ones).
_COLUMNS = {
    "topic": "topic",
    "主题": "topic",
    "district": "district",
    "区": "district",
    "辖区": "district",
    "unit": "unit",
    "unit_id": "unit",
    "单位": "unit",
    "责任单位": "unit",
}


@dataclass
class RowProblem:
    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.problem}"


@dataclass
class RulesFile:
    rules: list[RuleEntry] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """Spreadsheets export UTF-8 (often with a byte order mark) or, from Chinese Excel, GB18030."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _aliases(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for code, names in entries:
        for name in names:
            if name:
                out.setdefault(_key(name), set()).add(code)
    return out


class CatalogNames:
    """What a spreadsheet may call a topic or district (its code, Chinese or English name; 福田 for
    福田区) or a unit (its id, Chinese or English name), each mapped to its code."""

    def __init__(self, catalog: CatalogDocument):
        self.codes = {
            "topic": set(catalog.topics),
            "district": set(catalog.districts),
            "unit": {u.id for u in catalog.units},
        }
        self.names = {
            "topic": _aliases((code, (code, n.zh, n.en)) for code, n in catalog.topics.items()),
            "district": _aliases(
                (code, (code, n.zh, n.en, n.zh.removesuffix("区"))) for code, n in catalog.districts.items()
            ),
            "unit": _aliases((u.id, (u.id, u.name, u.name_en)) for u in catalog.units),
        }

    def resolve(self, kind: str, value: str) -> tuple[str | None, str | None]:
        """(the code, None), or (None, the problem): unknown, or a name that several share."""
        if value in self.codes[kind]:
            return value, None
        found = self.names[kind].get(_key(value), set())
        if len(found) == 1:
            return next(iter(found)), None
        if found:
            return None, f"{value} names {', '.join(sorted(found))}: write the {'id' if kind == 'unit' else 'code'}"
        return None, f"unknown {kind} {value}"


def parse_rules_csv(data: bytes, catalog: CatalogDocument | None = None) -> RulesFile:
    """Every row's rule and every bad row's problem, by the line it is on (the header is line 1). With
    a catalogue, each cell may be a code or a name (CatalogNames) and is checked against it."""
    names = CatalogNames(catalog) if catalog is not None else None
    text = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    result = RulesFile()
    header = next(reader, None)
    if header is None:
        result.problems.append(RowProblem(1, "header", "the file is empty; expected the columns topic, district, unit"))
        return result
    columns = {_COLUMNS.get(h.strip().lower()): i for i, h in enumerate(header) if _COLUMNS.get(h.strip().lower())}
    missing = [c for c in ("topic", "district", "unit") if c not in columns]
    if missing:
        result.problems.append(RowProblem(1, "header", f"missing column(s) {', '.join(missing)}"))
        return result
    entries: list[tuple[int, RuleEntry]] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        values = {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items() if name}
        bad = False
        for name in ("topic", "district", "unit"):
            if not values[name]:
                result.problems.append(RowProblem(line, name, "empty"))
                bad = True
        if bad:
            continue
        if names is not None:
            for name in ("topic", "district", "unit"):
                code, problem = names.resolve(name, values[name])
                if problem is not None:
                    result.problems.append(RowProblem(line, name, problem))
                    bad = True
                values[name] = code or values[name]
            if bad:
                continue
        try:
            entries.append((line, RuleEntry(topic=values["topic"], district=values["district"], unit=values["unit"])))
        except ValueError as exc:
            for err in getattr(exc, "errors", lambda: [])():
                name = str(err["loc"][0]) if err.get("loc") else "row"
                result.problems.append(RowProblem(line, name, "lower-case letters, digits, - and _ only"))
    lines = [line for line, _ in entries]
    rules = [rule for _, rule in entries]
    topics: set[str]
    districts: set[str]
    if catalog is not None:
        topics, districts = set(catalog.topics), set(catalog.districts)
        units = {u.id for u in catalog.units}
    else:
        topics = {r.topic for r in rules}
        districts = {r.district for r in rules}
        units = {r.unit for r in rules}
    triples = [(r.topic, r.district, r.unit) for r in rules]
    for path, problem in rule_problems(triples, topics, districts, units, "rules"):
        index = int(path.split("[", 1)[1].split("]", 1)[0])
        name = path.split(".", 1)[1] if "." in path else "row"
        if "first: rules[" in problem:
            first = int(problem.rsplit("rules[", 1)[1].rstrip("])"))
            problem = problem.split(" (first", 1)[0] + f" (first on line {lines[first]})"
        result.problems.append(RowProblem(lines[index], name, problem))
    result.problems.sort(key=lambda p: p.line)
    result.rules, result.lines = rules, lines
    return result


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


# --- the command line --------------------------------------------------------------------------------


def _api(args: argparse.Namespace) -> AdminApi:
    url = args.api or os.environ.get("MINYI_API")
    token = args.token or os.environ.get("MINYI_TOKEN")
    if not url or not token:
        raise CliError("give --api URL and --token TOKEN (or MINYI_API and MINYI_TOKEN)")
    return AdminApi(url, token)


def _catalog_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    result = import_catalog(read_document(path), _api(args), dry_run=args.dry_run, source=str(path))
    print(format_diff(result.change))
    if args.dry_run:
        print(f"dry run: nothing was changed (version {result.change.get('previous_version')} stays in force)")
    elif result.version is None:
        print(f"no changes: version {result.change.get('previous_version')} stays in force")
    else:
        print(f"version {result.version} is in force")
    return 0


def _catalog_export(args: argparse.Namespace) -> int:
    current = _api(args).current()
    if current is None:
        raise CliError("the stack has no catalogue yet (import one with `minyi catalog import`)")
    header = f"# version {current['version']}, accepted {current['published_at']} by {current['published_by']}\n"
    text = header + dump_yaml(current["document"])
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote version {current['version']} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _catalog_check(args: argparse.Namespace) -> int:
    doc = check_document(read_document(Path(args.file)), args.file)
    print(f"{args.file}: ok ({len(doc.districts)} districts, {len(doc.topics)} topics, {len(doc.units)} units, "
          f"{len(doc.rules)} rules)")  # fmt: skip
    return 0


def _rules_import(args: argparse.Namespace) -> int:
    api = _api(args) if (args.api or args.token) else None
    return import_rules(Path(args.file), api, args.catalog, args.output, replace=args.replace, dry_run=args.dry_run)


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


def _preflight(args: argparse.Namespace) -> int:
    from minyi import bootstrap
    from minyi.cli_ops import PreflightOptions, preflight, report, reserved_by_template

    reserved = reserved_by_template(Path(args.template))
    if reserved is None:
        print(f"minyi: {args.template} not found: the stack's reserved concurrency counts as 0", file=sys.stderr)
    options = PreflightOptions(
        region=args.region,
        web_domain=args.web_domain,
        certificate_arn=args.certificate_arn,
        sms_secret=args.sms_secret,
        reserved=reserved or 0,
    )
    return report(preflight(bootstrap.deploy_facts(args.region, args.web_domain), options), sys.stdout)


def _smoke(args: argparse.Namespace) -> int:
    from minyi.cli_ops import Smoke, report, urllib_http

    url = args.api or os.environ.get("MINYI_API")
    token = args.token or os.environ.get("MINYI_TOKEN")
    if not url or not token:
        raise CliError("give --api WEB_URL and --token TOKEN (a citizen's; or MINYI_API and MINYI_TOKEN)")
    return report(Smoke(url, token, urllib_http(), rating_base=args.rating_base).run(), sys.stdout)


def _sms_templates(args: argparse.Namespace) -> int:
    from minyi.adapters.sms_templates import registrations
    from minyi.domain.rating_links import MAX_HOST_LENGTH, display_address

    address = display_address(args.base)
    if not args.base.startswith(("https://", "http://")) or len(address) > MAX_HOST_LENGTH + 2:
        raise CliError(f"--base must be http(s)://<host> with at most {MAX_HOST_LENGTH} characters after the scheme")
    json.dump(registrations(address), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="minyi", description="A Minyi stack: its catalogue, its SMS templates, preflight and smoke checks."
    )
    sub = top.add_subparsers(dest="noun", required=True)

    def api_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--api", help="the stack's API URL (or MINYI_API), e.g. http://127.0.0.1:3000")
        p.add_argument("--token", help="an admin's bearer token (or MINYI_TOKEN)")

    catalog = sub.add_parser("catalog", help="the catalogue document").add_subparsers(dest="verb", required=True)
    imp = catalog.add_parser("import", help="check a YAML catalogue, show its changes, make it the next version")
    imp.add_argument("file")
    imp.add_argument("--dry-run", action="store_true", help="show the changes only")
    api_options(imp)
    imp.set_defaults(run=_catalog_import)
    exp = catalog.add_parser("export", help="the catalogue in force, as YAML")
    exp.add_argument("--output", "-o", help="write to this file instead of stdout")
    api_options(exp)
    exp.set_defaults(run=_catalog_export)
    chk = catalog.add_parser("check", help="validate a YAML catalogue here (no stack needed)")
    chk.add_argument("file")
    chk.set_defaults(run=_catalog_check)

    rules = sub.add_parser("rules", help="routing rules").add_subparsers(dest="verb", required=True)
    rim = rules.add_parser("import", help="routing rules from a CSV (topic, district, unit: codes or names)")
    rim.add_argument("file")
    rim.add_argument("--catalog", help="check against and write into this catalogue file")
    rim.add_argument("--output", "-o", help="with --catalog: write here instead of into the catalogue file")
    rim.add_argument("--dry-run", action="store_true", help="show the changes and warnings only")
    rim.add_argument(
        "--replace", action="store_true", help="the file is every rule (default: it replaces its own pairs only)"
    )
    api_options(rim)
    rim.set_defaults(run=_rules_import)

    pre = sub.add_parser("preflight", help="read-only checks of an account before the first deployment")
    pre.add_argument("--region", required=True, help="the stack's region, e.g. ap-east-1")
    pre.add_argument("--web-domain", help="WebDomainName: the ACM certificate in us-east-1 must cover it")
    pre.add_argument("--certificate-arn", help="WebCertificateArn (default: any ISSUED certificate covering it)")
    pre.add_argument("--sms-secret", help="SmsProviderSecretArn (SmsProvider tencent): filled, templates approved")
    pre.add_argument("--template", default="template.yaml", help="the SAM template (its reserved concurrency)")
    pre.set_defaults(run=_preflight)

    smoke = sub.add_parser("smoke", help="a deployed stack through its web address, as a citizen's phone")
    smoke.add_argument("--api", help="the web address (WebUrl output; or MINYI_API)")
    smoke.add_argument("--token", help="a citizen's ID token (or MINYI_TOKEN; /local/tokens locally)")
    smoke.add_argument("--rating-base", help="RatingLinkBase, to check it is the web address")
    smoke.set_defaults(run=_smoke)

    sms = sub.add_parser("sms", help="SMS for mainland providers").add_subparsers(dest="verb", required=True)
    tpl = sms.add_parser("templates", help="every template to register, with its variables and their maximum lengths")
    tpl.add_argument(
        "--base", required=True, help="the stack's web address (the WebUrl output), e.g. https://12345.sz.gov.cn"
    )
    tpl.set_defaults(run=_sms_templates)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CliError as exc:
        print(f"minyi: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
