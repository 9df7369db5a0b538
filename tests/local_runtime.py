"""A local runtime (`python -m infra.local`) in a process of its own, for the suites that drive it over
HTTP as its clients do (tests/e2e, tests/browser, tests/contract, tests/open311).

One way to start and stop it everywhere: a free port, the output in a log file the failure message
quotes, ready when `/local/health` answers; the process is killed when the pytest process that
started it dies (a killed test run leaves no runtime behind). Stopping kills the runtimes at once, all
of them together: all their state is in memory and their log is unbuffered, so nothing is lost, while
an orderly stop on SIGTERM costs each runtime about 1.5 s (its threads wind down) at the end of every
module and session that started one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_pytest() -> None:
    """Runs in the runtime's process before it starts (Linux): SIGKILL when its parent dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


@dataclass(frozen=True)
class StartedRuntime:
    base_url: str
    log_path: Path


class RuntimeProcesses:
    """The local runtimes one fixture started; `stop_all()` ends them together."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(
        self, env_overrides: dict[str, str], name: str, tmp_path_factory: pytest.TempPathFactory
    ) -> StartedRuntime:
        port = free_port()
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1", **env_overrides}
        log_path = tmp_path_factory.mktemp(name) / "runtime.log"
        with log_path.open("w") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "infra.local"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
                preexec_fn=_die_with_pytest if sys.platform == "linux" else None,
            )
        self.procs.append(proc)
        started = StartedRuntime(f"http://127.0.0.1:{port}", log_path)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"local runtime exited:\n{log_path.read_text()}")
            try:
                if requests.get(f"{started.base_url}/local/health", timeout=1).ok:
                    return started
            # not listening yet, or listening but still starting: its port is bound before it serves, so
            # an early request waits (a read timeout on a busy machine), and the next one is asked anew
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"local runtime did not start:\n{log_path.read_text()}")
            time.sleep(0.05)

    def stop_all(self) -> None:
        """SIGKILL to every runtime at once (no orderly stop: nothing in them outlives the test)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
        for proc in self.procs:
            proc.wait()
        self.procs.clear()


class SharedRuntimes(RuntimeProcesses):
    """The runtimes of one pytest process that fixtures of several modules and folders share: one per set
    of settings, started when a test first needs it, all killed together when the session ends (the
    `local_runtimes` fixture, tests/conftest.py). Tests on a shared runtime use their own citizens and
    cases and read only what they wrote; a test that needs the runtime to itself starts its own
    (`running`)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_settings: dict[frozenset[tuple[str, str]], StartedRuntime] = {}

    def get(self, env_overrides: dict[str, str], name: str, tmp_path_factory: pytest.TempPathFactory) -> StartedRuntime:
        key = frozenset(env_overrides.items())
        if key not in self.by_settings:
            self.by_settings[key] = self.start(env_overrides, name, tmp_path_factory)
        return self.by_settings[key]


#: The settings of the shared runtime the browser tests and Open311's HTTP tests use: no background
#: sweep (not under test there), and a rating window that cannot close while a browser works.
QUIET_RUNTIME = {"RATING_WINDOW_SECONDS": "600", "LOCAL_SCHEDULE_SECONDS": "0"}


@contextlib.contextmanager
def running(
    env_overrides: dict[str, str], name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartedRuntime]:
    """One runtime for a fixture of its own (`with running(...) as started:`), stopped on leaving."""
    processes = RuntimeProcesses()
    try:
        yield processes.start(env_overrides, name, tmp_path_factory)
    finally:
        processes.stop_all()
