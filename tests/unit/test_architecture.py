"""The layers of the README's architecture section, checked from the imports themselves (AST), and the
cold-start discipline that keeps a handler from loading every other function's code.

- the domain is pure: it imports no service, adapter, API, AWS SDK or Powertools;
- services depend on ports, the policy and the domain, never on an adapter, the API layer, the
  wiring or an AWS SDK;
- only adapters touch boto3 / botocore;
- only `minyi.bootstrap` builds adapters (one named exception below);
- only the API layer, the Open311 edge and the handlers know the response models (`minyi.api.schemas`);
- `minyi.bootstrap`, `minyi.ports` and `minyi.adapters.dynamo` import nothing at load time that a
  given function might not need (their factories and names load what they build, when they build it).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
FUNCTIONS = ROOT / "functions"

AWS_SDK = ("boto3", "botocore")

#: Modules outside the adapters that may import an adapter, and why.
ADAPTER_IMPORTS_ALLOWED = {
    "minyi.bootstrap": "the one wiring module",
    # `minyi sms templates` prints what the SMS adapter registers with a provider (it builds no client)
    "minyi.cli": "the operator's CLI lists the provider's templates",
}


def _module_name(path: Path) -> str:
    base = SRC if SRC in path.parents else ROOT
    name = ".".join(path.relative_to(base).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _imports(path: Path) -> Iterator[str]:
    """Every absolute module a file imports, at any depth (function-local and TYPE_CHECKING imports too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:  # `from minyi import policy` imports minyi.policy
                yield f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _graph(*folders: Path) -> dict[str, set[str]]:
    return {
        _module_name(path): set(_imports(path))
        for folder in folders
        for path in folder.rglob("*.py")
        if "__pycache__" not in path.parts
    }


SOURCE = _graph(SRC / "minyi")
WITH_HANDLERS = {**SOURCE, **_graph(FUNCTIONS)}


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _offenders(graph: dict[str, set[str]], importers: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if _under(module, *importers)
        for target in targets
        if _under(target, *forbidden)
    )


def test_the_source_tree_was_read() -> None:
    # Given the graph built from the files / Then it holds every layer (a guard against a silent empty scan)
    for package in ("minyi.domain.models", "minyi.services.cases", "minyi.adapters.dynamo.cases", "minyi.bootstrap"):
        assert package in SOURCE
    assert any(_under(m, "functions") for m in WITH_HANDLERS)


def test_the_domain_imports_only_the_domain() -> None:
    forbidden = (
        "minyi.services",
        "minyi.adapters",
        "minyi.api",
        "minyi.bootstrap",
        "minyi.ports",
        "minyi.open311",
        "aws_lambda_powertools",
        *AWS_SDK,
    )
    assert _offenders(SOURCE, ("minyi.domain",), forbidden) == []


def test_services_depend_on_ports_never_on_adapters_the_api_or_the_wiring() -> None:
    forbidden = ("minyi.adapters", "minyi.api", "minyi.bootstrap", *AWS_SDK)
    assert _offenders(SOURCE, ("minyi.services",), forbidden) == []


def test_only_adapters_touch_the_aws_sdk() -> None:
    offenders = [line for line in _offenders(WITH_HANDLERS, ("minyi", "functions"), AWS_SDK)]
    assert [line for line in offenders if not line.startswith("minyi.adapters")] == []


def test_only_the_wiring_module_builds_adapters() -> None:
    offenders = _offenders(WITH_HANDLERS, ("minyi", "functions"), ("minyi.adapters",))
    outside = [line for line in offenders if not line.startswith("minyi.adapters")]
    assert sorted({line.split(" imports ")[0] for line in outside}) == sorted(ADAPTER_IMPORTS_ALLOWED)


def test_only_the_api_layer_and_the_handlers_know_the_response_models() -> None:
    knowing = sorted(
        module
        for module, targets in WITH_HANDLERS.items()
        if any(_under(t, "minyi.api.schemas") for t in targets)
        and not _under(module, "minyi.api", "minyi.open311", "functions")
    )
    assert knowing == []


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


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(SRC)}
