"""End-to-end fixtures: start the local runtime (`python -m infra.local`) and drive it over HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.local_runtime import SharedRuntimes, running

ROOT = Path(__file__).resolve().parents[2]


class Api:
    """What the mobile app does: HTTP with a bearer token from the local token endpoint."""

    def __init__(self, base_url: str, log_path: Path):
        self.base_url = base_url
        self.log_path = log_path
        self.http = requests.Session()

    def token(
        self, role: str = "citizen", sub: str | None = None, unit: str | None = None, phone: str | None = None
    ) -> str:
        """A citizen's token carries the account's verified mobile (notices go there only): `phone`, or
        the one VALID_REQUEST names."""
        body: dict[str, Any] = {"sub": sub or f"{role}-{uuid.uuid4().hex[:8]}", "role": role}
        if unit:
            body["unit"] = unit
        if phone or role == "citizen":
            body["phone"] = phone or VALID_REQUEST["phone"]
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
    """One runtime for the caller's own fixture (`yield from _start(...)`), stopped when it ends."""
    with running(env_overrides, name, tmp_path_factory) as started:
        yield Api(started.base_url, started.log_path)


def _shared(
    runtimes: SharedRuntimes, env_overrides: dict[str, str], name: str, tmp_path_factory: pytest.TempPathFactory
) -> Api:
    """The process's shared runtime with these settings (tests/local_runtime.py), killed at the end of
    the session with the others."""
    started = runtimes.get(env_overrides, name, tmp_path_factory)
    return Api(started.base_url, started.log_path)


@pytest.fixture(scope="session")
def api(local_runtimes: SharedRuntimes, tmp_path_factory: pytest.TempPathFactory) -> Api:
    """The runtime as `make run` starts it: real working-day deadlines, a 3-day rating window."""
    return _shared(local_runtimes, {}, "runtime", tmp_path_factory)


# Runtimes with compressed time (README "Local time"), so that deadlines pass and rating windows
# close within a test. The escalation sweep does not run on its own in them (its 75 % warnings
# would land at random in the timelines these tests compare exactly); the sweep has its own tests.
# Tests that use them are kept on one xdist worker (tests/conftest.py, RUNTIME_FIXTURES).


@pytest.fixture(scope="session")
def fast_api(local_runtimes: SharedRuntimes, tmp_path_factory: pytest.TempPathFactory) -> Api:
    """A working day lasts 2 s, so a request for help (1 working day) is overdue 2 s after it is
    dispatched. The rating window stays 10 s: tests here rate within it, and a loaded CI machine
    needs that time to rate when a test means to."""
    return _shared(
        local_runtimes,
        {"WORKING_DAY_SECONDS": "2", "RATING_WINDOW_SECONDS": "10", "LOCAL_SCHEDULE_SECONDS": "0"},
        "fast-runtime",
        tmp_path_factory,
    )


@pytest.fixture(scope="session")
def short_rating_window_api(local_runtimes: SharedRuntimes, tmp_path_factory: pytest.TempPathFactory) -> Api:
    """A rating window of 3 s, for a test that never rates (the case must close unrated), and a
    working day of 4 s, so the unit's answer (complaint: 5 days = 20 s) is on time even on a
    loaded machine."""
    return _shared(
        local_runtimes,
        {"WORKING_DAY_SECONDS": "4", "RATING_WINDOW_SECONDS": "3", "LOCAL_SCHEDULE_SECONDS": "0"},
        "short-rating-window-runtime",
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
