"""What the built layer leaves out: the operator's command line (`minyi/cli`: argparse, CSV, YAML, an
HTTP client) runs on an operator's machine, installed by `make`; src/Makefile keeps it out of the
Lambda layer, and nothing that is deployed may import it (it would fail at import in Lambda)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from infra.local.template import Template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
LAYER = BUILD / "MinyiLayer" / "python"
CLI = "minyi.cli"


def _imports(path: Path) -> Iterator[str]:
    """Every absolute module a file imports, at any depth (function-local and TYPE_CHECKING ones too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_the_layer_holds_the_package_without_its_command_line() -> None:
    # Given the layer of `make build`
    assert LAYER.is_dir(), "run `make build` first: no .aws-sam/build/MinyiLayer"
    # Then it holds the package the handlers import, and not the command line
    assert (LAYER / "minyi" / "bootstrap.py").is_file()
    assert not (LAYER / "minyi" / "cli").exists()
    assert not (LAYER / "minyi" / "cli.py").exists()
    # And the development tree still has it (the `minyi` command `make` installs)
    assert (ROOT / "src" / "minyi" / "cli" / "__init__.py").is_file()


def test_nothing_deployed_imports_the_command_line() -> None:
    # Given every Python file of the layer's package and of each function's artifact
    deployed = [LAYER / "minyi", *(BUILD / name for name in Template("ap-east-1").functions())]
    files = [path for folder in deployed for path in folder.rglob("*.py")]
    assert len(files) > 50, "run `make build` first"
    # When their imports are read / Then none reaches the command line
    offenders = sorted(
        f"{path.relative_to(BUILD)} imports {module}"
        for path in files
        for module in _imports(path)
        if module == CLI or module.startswith(CLI + ".")
    )
    assert offenders == []
