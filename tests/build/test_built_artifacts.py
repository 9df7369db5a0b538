"""`sam build` output really imports: each function with only its own code and the layer on the path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.template import Template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"

PROBE = """
import importlib, json, sys
module_name, attr = sys.argv[1].rsplit(".", 1)
module = importlib.import_module(module_name)
import minyi, pydantic_core, aws_lambda_powertools, phonenumbers, holidays
print(json.dumps({
    "handler": callable(getattr(module, attr)),
    "module": module.__file__,
    "minyi": minyi.__file__,
    "pydantic_core": pydantic_core.__file__,
    "powertools": aws_lambda_powertools.__file__,
}))
"""

FUNCTIONS = sorted(Template("ap-east-1").functions())


@pytest.mark.parametrize("function", FUNCTIONS)
def test_built_function_imports_from_its_artifact_and_the_layer(function: str) -> None:
    # Given the artifacts of `sam build` (make test builds them first)
    assert (BUILD / function).is_dir(), "run `make build` first: no .aws-sam/build/" + function
    template = Template("ap-east-1")
    spec = template.functions()[function]
    env = {k: str(template.resolve(v)) for k, v in spec.environment.items()}
    env.update(
        {
            "PATH": os.environ["PATH"],
            "AWS_REGION": "ap-east-1",
            "AWS_DEFAULT_REGION": "ap-east-1",
            "POWERTOOLS_TRACE_DISABLED": "true",
            # like Lambda: the function's code first, then the layer; boto3 comes from the runtime
            "PYTHONPATH": os.pathsep.join([str(BUILD / function), str(BUILD / "MinyiLayer" / "python")]),
        }
    )
    # When the handler module is imported the way Lambda does (no project install on the path)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, spec.handler], env=env, capture_output=True, text=True, cwd="/", timeout=120
    )
    # Then it imports and everything it needs comes from the artifact, not the development tree
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["handler"] is True
    assert found["module"].startswith(str(BUILD / function))
    for package in ("minyi", "pydantic_core", "powertools"):
        assert found[package].startswith(str(BUILD / "MinyiLayer")), (package, found[package])
