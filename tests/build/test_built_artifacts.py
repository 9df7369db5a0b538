"""`sam build` output really imports: each function with only its own artifact and the layer on the path.

The layer is built for the Lambda target (CPython 3.13, manylinux2014 x86_64; src/Makefile), and this
machine may have only Python 3.11, whose interpreter cannot load the layer's compiled extensions
(`pydantic_core`'s `cpython-313` module). So the import is checked in two ways:

- always, with this interpreter: the function's artifact from `.aws-sam/build`, the `minyi` package
  exactly as built into the layer, and the layer's pinned dependencies as CPython 3.11 wheels
  (`.aws-sam/host-layer`, built by `make build` from the same src/requirements.txt). The interpreter
  runs with `-S` (no site-packages), so nothing from the development environment can stand in for a
  missing file. What this proves: every module a handler imports is in the artifacts, every dependency
  is pinned, and the code is valid on 3.11;
- when a CPython 3.13 interpreter is on the machine: the real layer as Lambda loads it.

`test_lambda_wheels.py` checks that what the layer holds was built for the target.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from infra.local.template import Template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
LAYER = BUILD / "MinyiLayer" / "python"
HOST_LAYER = ROOT / ".aws-sam" / "host-layer" / "python"

PROBE = """
import importlib, json, sys
module_name, attr = sys.argv[1].rsplit(".", 1)
module = importlib.import_module(module_name)
import minyi, pydantic_core, aws_lambda_powertools, phonenumbers, holidays, boto3
import minyi.adapters.sms.tencent
print(json.dumps({
    "handler": callable(getattr(module, attr)),
    "module": module.__file__,
    "minyi": minyi.__file__,
    "pydantic_core": pydantic_core.__file__,
    "powertools": aws_lambda_powertools.__file__,
    "boto3": boto3.__file__,
    "version": list(sys.version_info[:2]),
}))
"""

FUNCTIONS = sorted(Template("ap-east-1").functions())


def _python313() -> str | None:
    candidates = [shutil.which("python3.13"), *sorted(glob.glob("/root/.pyenv/versions/3.13*/bin/python3.13"))]
    for candidate in candidates:
        if candidate and subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    return None


def _import(function: str, interpreter: str, path: list[Path]) -> dict[str, object]:
    template = Template("ap-east-1")
    spec = template.functions()[function]
    env = {k: str(template.resolve(v)) for k, v in spec.environment.items()}
    env.update(
        {
            "PATH": os.environ["PATH"],
            "AWS_REGION": "ap-east-1",
            "AWS_DEFAULT_REGION": "ap-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            # the artifacts are what gets deployed: no bytecode of this interpreter written into them
            "PYTHONDONTWRITEBYTECODE": "1",
            # like Lambda: the function's code first, then the layer
            "PYTHONPATH": os.pathsep.join(str(p) for p in path),
        }
    )
    # -S: no site-packages, so only the standard library and the paths above can satisfy an import
    result = subprocess.run(
        [interpreter, "-S", "-c", PROBE, spec.handler], env=env, capture_output=True, text=True, cwd="/", timeout=120
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["handler"] is True
    assert str(found["module"]).startswith(str(BUILD / function))
    return found


@pytest.mark.parametrize("function", FUNCTIONS)
def test_built_function_imports_from_its_artifact_and_the_layer(function: str) -> None:
    # Given the artifacts of `make build`
    assert (BUILD / function).is_dir(), "run `make build` first: no .aws-sam/build/" + function
    assert HOST_LAYER.is_dir(), "run `make build` first: no .aws-sam/host-layer"
    with tempfile.TemporaryDirectory() as tmp:
        # the minyi package exactly as built into the layer, without the layer's 3.13-only extensions
        (Path(tmp) / "minyi").symlink_to(LAYER / "minyi")
        # When the handler module is imported the way Lambda does (no project install on the path)
        found = _import(function, sys.executable, [BUILD / function, Path(tmp), HOST_LAYER])
        # Then everything it needs comes from the artifacts, not the development tree
        assert os.path.realpath(str(found["minyi"])).startswith(str(LAYER)), found["minyi"]
    for package in ("pydantic_core", "powertools", "boto3"):
        assert str(found[package]).startswith(str(HOST_LAYER)), (package, found[package])


PYTHON313 = _python313()


@pytest.mark.skipif(PYTHON313 is None, reason="no CPython 3.13 interpreter on this machine")
@pytest.mark.parametrize("function", FUNCTIONS)
def test_built_function_imports_on_the_lambda_python(function: str) -> None:
    assert PYTHON313 is not None
    found = _import(function, PYTHON313, [BUILD / function, LAYER])
    assert found["version"] == [3, 13]
    for package in ("minyi", "pydantic_core", "powertools", "boto3"):
        assert str(found[package]).startswith(str(LAYER)), (package, found[package])
