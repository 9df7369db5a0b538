"""Create `.venv` and install one pinned requirement set into it: what the Makefile's stamps run.

Why a script: `make run` on a fresh clone should answer within a minute, and pip resolving and
installing the whole dev set (SAM CLI, cfn-lint, mypy ...) took most of 80 s. So `make run`
installs only the runtime set (`requirements-run.txt`) and the test and lint targets add the dev
set (`requirements-dev.txt`), each behind its own stamp; versions come from one file,
`constraints.txt`. The installer is uv when it can be had from the package index (seconds instead
of a minute), else pip.

`--compile-bytecode` (the dev set) compiles every installed module once. pip does that for what it
installs, uv does not; and where PYTHONDONTWRITEBYTECODE is set (as on this project's CI machines)
nothing is ever cached, so each of the hundred-odd processes of `make test` (xdist workers, local
runtimes, Schemathesis, SAM CLI) compiled moto, botocore, pydantic ... from source again: 80 of
280 CPU seconds of a test run, and a local runtime's start 3.5 s instead of 1.7 s. The run set skips
it (10 s on two cores), so that `make run` on a fresh clone answers sooner.

uv does not read pip's configuration files, so the index settings pip would use (environment or
`pip config`) are handed to uv, with pip's "best version across all indexes" strategy.

    python scripts/install.py --venv .venv --stamp .venv/.installed-run -r requirements-run.txt
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
#: pip settings and the uv environment variables that say the same thing.
PIP_TO_UV = {
    "index-url": ("PIP_INDEX_URL", "UV_INDEX_URL"),
    "extra-index-url": ("PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL"),
    "find-links": ("PIP_FIND_LINKS", "UV_FIND_LINKS"),
}
#: Where an install into a new venv records how long it took (`make bench`: the fresh-clone target).
TIMES_FILE = "install-times.json"
#: pip considers every index for the best version; uv by default stops at the first that has the name.
UV_INDEX_STRATEGY = "unsafe-best-match"


def log(message: str) -> None:
    print(f"[install] {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, env=env)


def pip_settings(python: str) -> dict[str, str]:
    """pip's configuration as pip would merge it (`pip config list`: files and environment), by key."""
    listed = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=False)
    settings: dict[str, str] = {}
    for line in listed.stdout.splitlines():
        key, _, value = line.partition("=")
        section, _, name = key.rpartition(".")
        if section in {"global", "install"} or section.startswith(":env:"):
            settings.setdefault(name, value.strip().strip("'\""))  # the first listed wins, as in pip
    return settings


def uv_environment(python: str) -> dict[str, str]:
    """The environment for uv: pip's index settings, unless uv's own are already set."""
    env = dict(os.environ)
    pip = pip_settings(python)
    for pip_name, (pip_var, uv_var) in PIP_TO_UV.items():
        value = env.get(pip_var) or pip.get(pip_name, "")
        if not env.get(uv_var) and value:
            env[uv_var] = " ".join(value.split())
    env.setdefault("UV_INDEX_STRATEGY", UV_INDEX_STRATEGY)
    return env


def find_uv(python: str) -> str | None:
    """uv on PATH or in the user's scripts folder, else installed there from the package index."""
    user_bin = Path(
        subprocess.run(
            [python, "-c", "import site,sys;print(site.getuserbase())"], capture_output=True, text=True, check=True
        ).stdout.strip(),
        "bin",
    )
    for candidate in (shutil.which("uv"), user_bin / "uv"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    log("installing uv from the package index (python -m pip install --user uv)")
    quiet_pip = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    installed = subprocess.run([python, "-m", "pip", "install", "--quiet", "--user", "uv"], env=quiet_pip, check=False)
    if installed.returncode == 0 and (user_bin / "uv").is_file():
        return str(user_bin / "uv")
    return None


def install_with_uv(uv: str, python: str, venv: Path, requirements: list[Path]) -> None:
    env = uv_environment(python)
    if not (venv / "bin" / "python").exists():
        run(uv, "venv", "--quiet", "--seed", "--python", python, venv, env=env)  # --seed: pip, for other tools
    target = ["--python", str(venv / "bin" / "python")]
    reqs = [arg for path in requirements for arg in ("-r", str(path))]
    run(uv, "pip", "install", "--quiet", *target, "-c", CONSTRAINTS, *reqs, env=env)
    run(uv, "pip", "install", "--quiet", *target, "--no-deps", "-e", ROOT, env=env)


def install_with_pip(python: str, venv: Path, requirements: list[Path]) -> None:
    if not (venv / "bin" / "python").exists():
        run(python, "-m", "venv", venv)
    pip: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "install", "--quiet"]
    reqs = [arg for path in requirements for arg in ("-r", str(path))]
    run(*pip, "-c", CONSTRAINTS, *reqs)
    run(*pip, "--no-deps", "-e", ROOT)  # built in isolation: the bundled setuptools is too old


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--stamp", type=Path, required=True, help="touched when the set is installed")
    parser.add_argument("-r", "--requirement", type=Path, action="append", required=True)
    parser.add_argument(
        "--compile-bytecode",
        action="store_true",
        help="compile every module of the environment (and the repository's own) to bytecode once",
    )
    parser.add_argument("--installer", choices=["auto", "uv", "pip"], default=os.environ.get("INSTALLER", "auto"))
    args = parser.parse_args()
    python = sys.executable
    started = time.perf_counter()
    uv = find_uv(python) if args.installer in {"auto", "uv"} else None
    if uv is None and args.installer == "uv":
        log("uv is not available")
        return 1
    names = ", ".join(p.name for p in args.requirement)
    fresh = not (args.venv / "bin" / "python").exists()
    try:
        if uv is not None:
            install_with_uv(uv, python, args.venv, args.requirement)
        else:
            install_with_pip(python, args.venv, args.requirement)
    except subprocess.CalledProcessError as exc:
        if uv is None or args.installer == "uv":
            raise
        log(f"uv failed ({exc}); installing with pip instead")
        install_with_pip(python, args.venv, args.requirement)
        uv = None
    if args.compile_bytecode:
        compile_bytecode(args.venv)
    seconds = time.perf_counter() - started
    if fresh:  # an update of an existing venv says nothing about a fresh clone
        record_time(args.venv, names, seconds, "uv" if uv else "pip")
    args.stamp.touch()
    log(f"{names}: {seconds:.0f} s with {'uv' if uv else 'pip'}")
    return 0


#: The repository's own Python (imported by every test process and local runtime).
OWN_CODE = ("src", "functions", "infra", "scripts", "tests")


def compile_bytecode(venv: Path) -> None:
    """Every module of the environment and of the repository, compiled once in parallel (Python reads
    `__pycache__` even where PYTHONDONTWRITEBYTECODE stops it writing there). Some packages ship files
    that are not valid Python 3 (templates, test data); those are skipped, so the status is ignored."""
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    own = [str(ROOT / name) for name in OWN_CODE if (ROOT / name).is_dir()]
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", purelib, *own],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )


def record_time(venv: Path, names: str, seconds: float, installer: str) -> None:
    path = venv / TIMES_FILE
    try:
        times = json.loads(path.read_text())
    except (OSError, ValueError):
        times = {}
    times[names] = {"seconds": round(seconds, 1), "installer": installer, "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    path.write_text(json.dumps(times, indent=1))


if __name__ == "__main__":
    sys.exit(main())
