"""The contract tests' local runtime: `python -m infra.local` on a free port, as tests/e2e starts it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local runtime of our own on a free port (the escalation sweep off: it is not under test)."""
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1", "LOCAL_SCHEDULE_SECONDS": "0"}
    log_path = tmp_path_factory.mktemp("contract-runtime") / "runtime.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"local runtime exited:\n{log_path.read_text()}")
            try:
                if requests.get(f"{base_url}/local/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"local runtime did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Merge each role's counts (written by whichever worker ran it) into results/counts.json."""
    if hasattr(session.config, "workerinput"):
        return  # a pytest-xdist worker: the controller merges
    results = Path(__file__).resolve().parent / "results"
    rows = [json.loads(p.read_text()) for p in sorted(results.glob("*/counts.json"))]
    if rows:
        (results / "counts.json").write_text(json.dumps(rows, indent=2) + "\n")
