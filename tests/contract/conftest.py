"""The contract tests' local runtime: `python -m infra.local` on a free port (tests/local_runtime.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local_runtime import running


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local runtime of our own on a free port (the escalation sweep off: it is not under test)."""
    with running({"LOCAL_SCHEDULE_SECONDS": "0"}, "contract-runtime", tmp_path_factory) as started:
        yield started.base_url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Merge each role's counts (written by whichever worker ran it) into results/counts.json."""
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker: the controller merges
    results = Path(__file__).resolve().parent / "results"
    rows = [json.loads(p.read_text()) for p in sorted(results.glob("*/counts.json"))]
    if rows:
        (results / "counts.json").write_text(json.dumps(rows, indent=2) + "\n")
