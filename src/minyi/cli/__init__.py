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
`smoke` (after each) are an operator's checks; docs/deploy.md runs them in order.
`sms templates` prints every SMS template a mainland provider must have registered (JSON: key ->
text in the provider's syntax, with the rating address written in as constant text, and its
variables with their kinds and maximum lengths); `--base` is the stack's web address (the WebUrl
output, or RatingLinkBase), which must be an ICP-filed domain for Tencent Cloud SMS.

The package, one module a concern: `http` (the admin API client), `yaml_files` (catalogue files),
`rules_csv` (a spreadsheet's rules), `catalog` (import, rules, warnings), `checks`, `preflight` and
`smoke` (the operator's checks), `commands` (argparse). It is installed with the project (`make`: the
`minyi` console command, pyproject's entry point) and is NOT in the Lambda layer (src/Makefile leaves
it out; tests/build checks the built layer): no handler imports it.
"""

from __future__ import annotations

from collections.abc import Sequence


class CliError(Exception):
    """What went wrong, worded for the person at the terminal."""


def main(argv: Sequence[str] | None = None) -> int:
    """The `minyi` console command (pyproject's entry point); argparse and the commands load here."""
    from minyi.cli.commands import main as run

    return run(argv)
