"""`minyi`'s command line (argparse): each subcommand parses its options and calls the module that does
the work (`catalog`, `preflight`, `smoke`; `sms templates` prints the SMS adapter's registry).
Preflight and smoke load their modules only when they run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from minyi.cli import CliError
from minyi.cli.catalog import check_document, format_diff, import_catalog, import_rules
from minyi.cli.http import AdminApi
from minyi.cli.yaml_files import dump_yaml, read_document


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


def _preflight(args: argparse.Namespace) -> int:
    from minyi import bootstrap
    from minyi.cli.checks import report
    from minyi.cli.preflight import PreflightOptions, preflight, reserved_by_template

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
    from minyi.cli.checks import report
    from minyi.cli.smoke import Smoke, urllib_http

    url = args.api or os.environ.get("MINYI_API")
    token = args.token or os.environ.get("MINYI_TOKEN")
    if not url or not token:
        raise CliError("give --api WEB_URL and --token TOKEN (a citizen's; or MINYI_API and MINYI_TOKEN)")
    return report(Smoke(url, token, urllib_http(), rating_base=args.rating_base).run(), sys.stdout)


def _sms_templates(args: argparse.Namespace) -> int:
    from minyi.adapters.sms.templates import registrations
    from minyi.domain.rating_links import MAX_HOST_LENGTH, display_address

    address = display_address(args.base)
    if not args.base.startswith(("https://", "http://")) or len(address) > MAX_HOST_LENGTH + 2:
        raise CliError(f"--base must be http(s)://<host> with at most {MAX_HOST_LENGTH} characters after the scheme")
    json.dump(registrations(address), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _model_train(args: argparse.Namespace) -> int:
    from minyi.cli.model import train_command, train_stack

    if args.table or args.bucket:
        if not (args.table and args.bucket):
            raise CliError("give both --table (the cases table) and --bucket (the models bucket)")
        if args.region:
            os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region
        return train_stack(args.table, args.bucket)
    return train_command(Path(args.seed), Path(args.catalog), Path(args.output) if args.output else None, args.packaged)


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

    model = sub.add_parser("model", help="the intake topic model").add_subparsers(dest="verb", required=True)
    trn = model.add_parser("train", help="train on the seed set here, or on a stack's closed cases (--table)")
    trn.add_argument("--seed", default="data/intake/seed.jsonl", help="the seed set (JSON lines)")
    trn.add_argument("--catalog", default="data/catalog/shenzhen.yaml", help="topics and keywords from this file")
    trn.add_argument("--output", "-o", help="write the model's JSON here")
    trn.add_argument("--packaged", action="store_true", help="the packaged model's fixed date (reproducible)")
    trn.add_argument("--table", help="a stack's cases table: train on its closed cases too")
    trn.add_argument("--bucket", help="with --table: the stack's models bucket (stored, promoted if better)")
    trn.add_argument("--region", help="with --table: the stack's region")
    trn.set_defaults(run=_model_train)

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
