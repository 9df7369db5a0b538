"""The layers of the README's architecture section, checked by import-linter's contracts (`.importlinter`,
which `make lint` runs as `lint-imports`), and the cold-start discipline that keeps a handler from loading
every other function's code (what no import contract can see: which modules a fresh interpreter loads).

The contracts say:
- the layers: the domain at the bottom; open311's pure shapes, the ports, the policy and the settings
  above it; services and adapters (neither knows the other) above those; the wiring, the API and the
  CLI on top (exhaustive: a new module must be given its place);
- the adapters are independent of each other (they share the client factory and the secrets reader);
- no circles among the modules of any package;
- only adapters touch boto3 / botocore; only `minyi.bootstrap` builds adapters (two named exceptions);
- only the API layer and the handlers know the response models (`minyi.api.schemas`);
- the domain is pure: no Powertools, no AWS SDK, no files or YAML.

`test_the_contracts_hold` runs them on the repository. The tests after it run the same configuration on
a copy of the source with one forbidden import planted per contract, and show that each contract breaks
on it, so a contract that could never fail (a typo in a module name, an ignore that swallows everything)
is found. `minyi.bootstrap`, `minyi.ports` and `minyi.adapters.dynamo` import nothing at load time that
a given function might not need (their factories and names load what they build, when they build it).
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
CONFIG = ROOT / ".importlinter"


def _contracts() -> dict[str, str]:
    """Contract id -> its name, as `.importlinter` declares them."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG, encoding="utf-8")
    prefix = "importlinter:contract:"
    return {s.removeprefix(prefix): parser[s]["name"] for s in parser.sections() if s.startswith(prefix)}


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the repository's contracts, reading the packages found on `pythonpath`."""
    command = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", command, "--config", str(CONFIG), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(pythonpath), "COLUMNS": "1000"},
    )


def _broken_sections(report: str) -> dict[str, str]:
    """Contract name -> what the report says breaks it (the text under its heading in "Broken contracts")."""
    _, _, broken = report.partition("Broken contracts")
    names = [name for name in _contracts().values() if name in broken]
    sections: dict[str, str] = {}
    for name in names:
        start = broken.index(name) + len(name)
        ends = [broken.find(other, start) for other in names if broken.find(other, start) > 0]
        sections[name] = broken[start : min(ends, default=len(broken))]
    return sections


def test_the_contracts_hold() -> None:
    # Given the repository's source and its contracts / When lint-imports checks them
    done = _lint_imports(ROOT, SRC)
    # Then every contract is kept (the report names the imports that break one)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    for name in _contracts().values():
        assert f"{name} KEPT" in done.stdout, done.stdout


#: One forbidden import per contract: (file under the copy, what is appended to it (or its whole text
#: when the file is new), what the report names). Every contract of `.importlinter` has one here.
PLANTED: dict[str, tuple[str, str, str]] = {
    # an arrow running up: Open311's admin models on the API's schemas (the issue's own example)
    "layers": ("minyi/open311/admin.py", "from minyi.api.schemas import StrictBody\n", "minyi.open311.admin"),
    # one adapter built on another
    "adapters": (
        "minyi/adapters/sms/tencent.py",
        "from minyi.adapters.dynamo.table import Table\n",
        "minyi.adapters.sms.tencent",
    ),
    # the old circle: the catalogue's ids and its document importing each other
    "no-circles": (
        "minyi/domain/catalog_ids.py",
        "from minyi.domain.catalog_doc import InvalidDocument\n\nDISPATCH_CENTRE_ID = 'dispatch-centre'\n",
        ".catalog_ids",
    ),
    "aws-sdk": ("functions/submit/app.py", "import boto3\n", "functions.submit.app"),
    "wiring": ("functions/rate/app.py", "from minyi.adapters.dynamo import Table\n", "functions.rate.app"),
    "response-models": ("minyi/cli/http.py", "from minyi.api import schemas\n", "minyi.cli.http"),
    "pure-domain": ("minyi/domain/geo.py", "import yaml\n", "minyi.domain.geo"),
}
#: The other half of the circle planted for `no-circles`.
CIRCLE_BACK = ("minyi/domain/catalog_doc.py", "from minyi.domain.catalog_ids import DISPATCH_CENTRE_ID\n")


@pytest.fixture(scope="module")
def report_on_planted_imports(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The lint-imports report on a copy of `minyi` and `functions` with every import of PLANTED."""
    copy = tmp_path_factory.mktemp("planted")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(SRC / "minyi", copy / "minyi", ignore=ignore)
    shutil.copytree(ROOT / "functions", copy / "functions", ignore=ignore)
    for path, text in [*((p, t) for p, t, _ in PLANTED.values()), CIRCLE_BACK]:
        target = copy / path
        target.write_text((target.read_text(encoding="utf-8") if target.exists() else "") + text, encoding="utf-8")
    done = _lint_imports(copy, copy)
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout


def test_every_contract_has_a_planted_import() -> None:
    # Given the contracts of `.importlinter` / Then each is shown to fail below (a new one needs its case)
    assert sorted(PLANTED) == sorted(_contracts())


@pytest.mark.parametrize("contract", sorted(PLANTED))
def test_each_contract_breaks_on_its_planted_import(report_on_planted_imports: str, contract: str) -> None:
    # Given a copy of the source with one forbidden import per contract (the fixture)
    # When lint-imports checks it / Then this contract is reported broken, naming the planted import
    name = _contracts()[contract]
    assert f"{name} BROKEN" in report_on_planted_imports
    section = _broken_sections(report_on_planted_imports)[name]
    assert re.search(re.escape(PLANTED[contract][2]) + r"\b", section), section


@pytest.mark.parametrize(
    "module",
    ["minyi.bootstrap", "minyi.ports", "minyi.adapters.dynamo"],
)
def test_the_shared_modules_load_no_service_adapter_or_open311_code_of_their_own(module: str) -> None:
    # Given a fresh interpreter / When it imports a module every handler imports
    probe = (
        f"import sys; import {module}; "
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith(('minyi', 'holidays', 'phonenumbers')))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, env=_env()
    )
    assert done.returncode == 0, done.stderr
    loaded = done.stdout.split()
    # Then no service, no repository module, no Open311 code and none of the heavy domain data came with it
    heavy = [
        m
        for m in loaded
        if _under(m, "minyi.services", "minyi.open311", "holidays", "phonenumbers")
        or (_under(m, "minyi.adapters.dynamo") and m != "minyi.adapters.dynamo")
    ]
    assert heavy == []


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}
