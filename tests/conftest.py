"""Suite-wide pytest hooks: how the tests are spread over pytest-xdist workers (`make test` runs
`pytest -n … --dist loadgroup`). Without xdist these hooks change nothing.

- tests/e2e: every test is its own work unit; each worker starts its own local runtime (session
  fixtures in tests/e2e/conftest.py) and every test uses its own citizens and cases. The tests on
  one compressed-time runtime form one work unit (so one worker starts that runtime), and so do the
  tests of a module with a module-scoped fixture (e.g. a runtime of its own).
- everything else (unit, integration, build, ...): one work unit per module, so a module-scoped
  fixture (the integration `stack`: one embedded AWS per module) is built once, on one worker.

Work units are handed out longest first (known slow groups and tests, then the rest in collection
order), so no worker is left with a long test at the end.

`make test` runs `make validate build` alongside the tests: MINYI_TEMPLATE_CHECKS names the folder
where that run leaves its output (`log`) and, when done, its exit status (`status`). The tests of
tests/build (which need the artifacts) wait for it and are handed out last, and its outcome is
printed before pytest's closing line.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# Work units are started longest first. A unit's cost is guessed from its folder (seconds per test on a
# quiet 2-core machine), or taken from SLOW_FIRST (xdist group names or test node ids without parameters).
SECONDS_PER_TEST = {"unit": 0.01, "local": 0.2, "build": 0.5, "e2e": 0.5, "integration": 0.5, "open311": 0.5}
SLOW_FIRST: dict[str, float] = {
    "module:tests/integration/test_notify.py": 30,
    "module:tests/integration/test_stats.py": 45,
    "e2e:fast_api": 15,
}

# e2e fixtures of runtimes with compressed time (tests/e2e/conftest.py)
COMPRESSED_TIME_FIXTURES = ("fast_api", "short_rating_window_api")


TEMPLATE_CHECKS = os.environ.get("MINYI_TEMPLATE_CHECKS")


def _template_checks_status(timeout: float = 1800.0) -> int:
    """Wait for `make validate build` (started by `make test`) to finish; its exit status."""
    assert TEMPLATE_CHECKS
    status = Path(TEMPLATE_CHECKS) / "status"
    deadline = time.monotonic() + timeout
    while not status.exists():
        if time.monotonic() > deadline:
            return -1
        time.sleep(0.2)
    return int(status.read_text().strip() or -1)


def _in(item: pytest.Item, folder: str) -> bool:
    return TESTS / folder in Path(str(item.fspath)).resolve().parents


def pytest_runtest_setup(item: pytest.Item) -> None:
    if TEMPLATE_CHECKS and _in(item, "build") and _template_checks_status() != 0:
        pytest.fail("`make validate build` failed: its output is printed at the end", pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not TEMPLATE_CHECKS or hasattr(config, "workerinput"):
        return
    status = _template_checks_status()
    folder = Path(TEMPLATE_CHECKS)
    if status == 0:
        terminalreporter.write_line("make validate build (sam validate --lint, cfn-lint, sam build): passed")
        return
    terminalreporter.section("make validate build failed", sep="=", red=True, bold=True)
    log = folder / "log"
    terminalreporter.write(log.read_text(errors="replace") if log.exists() else "(no output)\n")
    (folder / "reported").touch()


def _group_of(item: pytest.Item) -> str | None:
    names = [str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")]
    return "_".join(sorted(set(names))) if names else None


def _uses_module_scoped_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(d.scope in ("module", "class", "package") for defs in info.name2fixturedefs.values() for d in defs)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if _group_of(item) is not None:
            continue
        module_group = pytest.mark.xdist_group(f"module:{path.relative_to(TESTS.parent).as_posix()}")
        if not _in(item, "e2e"):
            item.add_marker(module_group)
            continue
        fixtures = getattr(item, "fixturenames", ())
        compressed = [name for name in COMPRESSED_TIME_FIXTURES if name in fixtures]
        if compressed:
            item.add_marker(pytest.mark.xdist_group(f"e2e:{compressed[0]}"))
        elif _uses_module_scoped_fixture(item):
            item.add_marker(module_group)  # e.g. a runtime of the module's own

    if not hasattr(config, "workerinput"):
        return  # not an xdist worker: keep pytest's own order (modules stay together)
    sizes = Counter(_group_of(item) for item in items)

    def cost(item: pytest.Item) -> float:
        group = _group_of(item)
        key = group if group is not None else item.nodeid.split("[")[0]
        if key in SLOW_FIRST:
            return SLOW_FIRST[key]
        folder = Path(str(item.fspath)).resolve().relative_to(TESTS).parts[0]
        if folder == "build" and TEMPLATE_CHECKS:
            return -1.0  # last: they wait for `make validate build`
        return SECONDS_PER_TEST.get(folder, 1.0) * (sizes[group] if group is not None else 1)

    # stable: equal costs keep their collection order
    items.sort(key=lambda item: -cost(item))
