"""End-to-end fixtures: start the local runtime (`python -m infra.local`) and drive it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Api:
    """What the mobile app does: HTTP with a bearer token from the local token endpoint."""

    def __init__(self, base_url: str, log_path: Path):
        self.base_url = base_url
        self.log_path = log_path
        self.http = requests.Session()

    def token(self, role: str = "citizen", sub: str | None = None, unit: str | None = None) -> str:
        body: dict[str, Any] = {"sub": sub or f"{role}-{uuid.uuid4().hex[:8]}", "role": role}
        if unit:
            body["unit"] = unit
        resp = self.http.post(f"{self.base_url}/local/tokens", json=body, timeout=10)
        resp.raise_for_status()
        return str(resp.json()["token"])

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, timeout=30, **kwargs)

    def wait_for(self, probe: Callable[[], Any], timeout: float = 40.0, interval: float = 0.1) -> Any:
        """Poll until probe() returns something truthy (the workflow runs asynchronously)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = probe()
            if last:
                return last
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout}s (last: {last!r})")


def _start(env_overrides: dict[str, str], name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1", **env_overrides}
    log_path = tmp_path_factory.mktemp(name) / "runtime.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=log, stderr=log)
    api = Api(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"local runtime exited:\n{log_path.read_text()}")
            try:
                if requests.get(f"{api.base_url}/local/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"local runtime did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield api
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The runtime as `make run` starts it: real working-day deadlines, a 3-day rating window."""
    yield from _start({}, "runtime", tmp_path_factory)


@pytest.fixture(scope="session")
def fast_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A runtime with compressed time (README "Local time"): a working day lasts 4 s and the rating
    window 10 s, so overdue escalation and unrated closing happen within a test (the window leaves a
    loaded CI machine time to rate when a test means to). The escalation sweep
    does not run on its own here (its 75 % warnings would land at random in the timelines these tests
    compare exactly); the sweep has its own tests."""
    yield from _start(
        {"WORKING_DAY_SECONDS": "4", "RATING_WINDOW_SECONDS": "10", "LOCAL_SCHEDULE_SECONDS": "0"},
        "fast-runtime",
        tmp_path_factory,
    )


VALID_REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "Illegal parking blocks the bus lane on Shennan Road every morning",
    "phone": "13812345678",
    "address": "深南大道 6008",
    "location": {"lat": 22.5431, "lon": 114.0579},
}
