"""Start-up: how long `make run` takes to answer `/openapi.json` (issue 8: at most 40 s from a fresh
clone). The benchmark starts the local runtime as `make run` does, from the existing virtual
environment, and times it until `/openapi.json` answers; a fresh clone adds the install of the runtime
set. The full run measures that install into a new, temporary venv with `scripts/install.py` (with
this machine's uv or pip cache); the quick run uses what `scripts/install.py` recorded when it made
this venv (`.venv/install-times.json`), if it did."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_SET = "requirements-run.txt"
INSTALL_TIMEOUT = 300.0
START_TIMEOUT = 120.0
POLL_SECONDS = 0.1
FRESH_CLONE_TARGET_S = 40.0


@dataclass
class Startup:
    start_seconds: float | None  # runtime start to /openapi.json, existing venv
    install_seconds: float | None  # the runtime set's last install (scripts/install.py)
    installer: str | None
    error: str | None = None

    @property
    def fresh_clone_seconds(self) -> float | None:
        if self.start_seconds is None or self.install_seconds is None:
            return None
        return self.start_seconds + self.install_seconds


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def last_install() -> tuple[float | None, str | None]:
    try:
        times = json.loads((Path(sys.prefix) / "install-times.json").read_text())
        entry = times[RUNTIME_SET]
        return float(entry["seconds"]), str(entry["installer"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def measure_install() -> tuple[float | None, str | None]:
    """Install the runtime set into a new, temporary venv, as `make run` on a fresh clone does."""
    scratch = Path(tempfile.mkdtemp(prefix="minyi-bench-venv-"))
    venv = scratch / "venv"
    try:
        command = [sys.executable, str(ROOT / "scripts" / "install.py"), "--venv", str(venv)]
        command += ["--stamp", str(scratch / "stamp"), "-r", str(ROOT / RUNTIME_SET)]
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            timeout=INSTALL_TIMEOUT,
        )
        entry = json.loads((venv / "install-times.json").read_text())[RUNTIME_SET]
        return float(entry["seconds"]), str(entry["installer"])
    except (subprocess.SubprocessError, OSError, ValueError, KeyError):
        return None, None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def measure_startup(fresh_install: bool) -> Startup:
    install, installer = measure_install() if fresh_install else last_install()
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "LOCAL_SCHEDULE_SECONDS": "0"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        while time.perf_counter() - started < START_TIMEOUT:
            if proc.poll() is not None:
                output = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                error = (output.strip().splitlines() or ["exited"])[-1]
                return Startup(None, install, installer, error)
            try:
                if requests.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).ok:
                    return Startup(time.perf_counter() - started, install, installer)
            except requests.RequestException:
                pass
            time.sleep(POLL_SECONDS)
        return Startup(None, install, installer, f"no answer within {START_TIMEOUT:.0f} s")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def note(startup: Startup) -> str:
    start = "-" if startup.start_seconds is None else f"{startup.start_seconds:.1f} s"
    install = (
        "not measured (quick run, and this venv was not made by scripts/install.py)"
        if startup.install_seconds is None
        else f"{startup.install_seconds:.1f} s with {startup.installer} (this machine's package cache)"
    )
    error = f"; the runtime failed: {startup.error}" if startup.error else ""
    return f"runtime start {start} (existing venv) + install of the runtime set into a new venv {install}{error}"
