"""The layer is built for the Lambda target: every dependency has a wheel for CPython 3.13 on
manylinux2014 x86_64, every installed package is pinned, and no extension module is for another Python."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / ".aws-sam" / "build" / "MinyiLayer" / "python"
REQUIREMENTS = ROOT / "src" / "requirements.txt"

#: Wheel tags Lambda's python3.13 on x86_64 can load (pip's --python-version 3.13 --platform
#: manylinux2014_x86_64 --implementation cp --only-binary=:all:).
_PYTHON_TAGS = {"py3", "py2.py3", "cp313"}
_ABI_TAGS = {"none", "abi3", "cp313"}
_PLATFORM = re.compile(r"^(any|manylinux(1|2010|2014|_2_(5|12|17))_x86_64)$")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, version = line.partition("==")
        assert version, f"not pinned with ==: {line}"
        pins[_canonical(name.split("[", 1)[0])] = version.strip()
    return pins


def _installed() -> dict[str, tuple[str, list[str]]]:
    """Name -> (version, wheel tags) of every distribution in the built layer."""
    found = {}
    for dist in LAYER.glob("*.dist-info"):
        meta = (dist / "METADATA").read_text(encoding="utf-8")
        name = re.search(r"^Name: (.+)$", meta, re.M)
        version = re.search(r"^Version: (.+)$", meta, re.M)
        assert name and version, dist
        wheel = (dist / "WHEEL").read_text(encoding="utf-8")
        tags = re.findall(r"^Tag: (.+)$", wheel, re.M)
        found[_canonical(name.group(1).strip())] = (version.group(1).strip(), tags)
    return found


@pytest.fixture(scope="module")
def installed() -> dict[str, tuple[str, list[str]]]:
    assert LAYER.is_dir(), "run `make build` first: no .aws-sam/build/MinyiLayer"
    return _installed()


def test_every_requirement_is_in_the_layer_as_a_wheel_for_the_lambda_target(
    installed: dict[str, tuple[str, list[str]]],
) -> None:
    for name, version in _pins().items():
        assert name in installed, f"{name} is in src/requirements.txt but not in the built layer"
        built_version, tags = installed[name]
        assert built_version == version, (name, built_version, version)
        assert tags, f"{name}: no wheel tags (built from a source distribution?)"
        loadable = [
            tag
            for tag in tags
            if (parts := tag.split("-"))
            and parts[0] in _PYTHON_TAGS
            and parts[1] in _ABI_TAGS
            and _PLATFORM.match(parts[2])
        ]
        assert loadable, f"{name} {version}: no wheel for CPython 3.13 manylinux2014 x86_64 ({tags})"


def test_everything_the_layer_holds_is_pinned(installed: dict[str, tuple[str, list[str]]]) -> None:
    unpinned = sorted(set(installed) - set(_pins()))
    assert not unpinned, f"pin these transitive dependencies in src/requirements.txt: {unpinned}"


def test_compiled_modules_are_for_cpython_313_on_x86_64() -> None:
    extensions = list(LAYER.rglob("*.so"))
    assert any("pydantic_core" in str(p) for p in extensions)
    wrong = [
        str(p.relative_to(LAYER))
        for p in extensions
        if not re.search(r"\.(cpython-313-x86_64-linux-gnu|abi3)\.so$", p.name)
    ]
    assert not wrong, wrong
