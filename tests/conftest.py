"""Suite-wide pytest hooks: how the tests are spread over pytest-xdist workers (`make test` runs
`pytest -n <cores + 1> --dist loadgroup --no-loadscope-reorder`). Without xdist these hooks change nothing.

A work unit goes whole to one worker:
- the tests of a module that use a module-, class- or package-scoped fixture (e.g. the integration
  `stack`, one embedded AWS per module, or a module's own local runtime) are one work unit, so that
  fixture is built once, on one worker;
- the e2e tests on one runtime (RUNTIME_FIXTURES: the compressed-time ones and `api`, the runtime as
  `make run` starts it) are one work unit per runtime, so one worker starts that runtime (about 2.5 s
  of CPU each), as `TEST_WORKERS=1` does;
- the contract tests (tests/contract: Schemathesis per role, and the document's own checks) are two
  work units, the admin's run and the rest, so at most two workers start the contract runtime;
- every other test is a work unit of its own: session fixtures (the runtime the browser tests and
  Open311's HTTP tests share, Chromium) are built once per worker, and such tests use their own
  citizens and cases.

Work units are handed out longest first (SLOW_FIRST, else a per-folder guess), so no worker is
left with a long unit at the end.

`make test` runs `make validate-once build` alongside the tests: MINYI_TEMPLATE_CHECKS names the folder
where that run leaves its output (`log`) and, when done, its exit status (`status`). The tests of
tests/build (which need the artifacts) wait for it and are handed out last, and its outcome is
printed before pytest's closing line.
"""

from __future__ import annotations

import functools
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import botocore.session
import pytest

from tests.local_runtime import SharedRuntimes

TESTS = Path(__file__).resolve().parent

# Tests make many boto3 sessions (each integration stack: mock_aws drops the default session and
# reset_clients() the functions' clients; unit tests make their own clients), and a new session's loader
# parses botocore's JSON data again (the endpoints and every service model it uses: about half a second
# of CPU a stack, a third of the integration tests' CPU). The files do not change while the tests run:
# one loader for the test process, as one long-lived session would have.
botocore.session.create_loader = functools.cache(botocore.session.create_loader)

# Seconds per work unit in `make test` on a quiet 2-core machine, roughly (measured with --durations):
# the known long ones by xdist group, or by test node id (with its parameters, else without), else a
# guess per folder (seconds per test of the unit).
SLOW_FIRST: dict[str, float] = {
    "module:tests/browser/test_clients.py": 40,
    "module:tests/browser/test_token_refresh.py": 38,  # waits for 8-second tokens to expire
    "module:tests/browser/test_catalog_page.py": 18,
    "module:tests/browser/test_intake_clients.py": 17,
    "module:tests/browser/test_operator_tools.py": 17,
    "module:tests/browser/test_units_see_why.py": 14,
    "module:tests/browser/test_unit_work.py": 8,
    "module:tests/browser/test_hotspots_page.py": 7,
    "module:tests/browser/test_merging_pages.py": 6,
    "module:tests/browser/test_track_refusals.py": 4,
    "module:tests/browser/test_rating_code_page.py": 3,
    "contract": 85,  # Schemathesis: each role but the admin 10-16 s, and the document's own checks
    "contract:admin": 45,  # Schemathesis for the admin, the coverage phase too
    "e2e:api": 50,
    "module:tests/integration/test_notify.py": 18,
    "module:tests/open311/test_georeport.py": 18,
    "e2e:fast_api": 15,
    "module:tests/e2e/test_fresh_stack.py": 14,
    "module:tests/integration/test_iam.py": 13,
    "e2e:short_rating_window_api": 10,
    "module:tests/integration/test_stats_totals.py": 10,
    "module:tests/integration/test_loop_for_people.py": 9,
    "module:tests/integration/test_stats.py": 6,
    "module:tests/integration/test_catalog_and_accounts.py": 6,
    "module:tests/integration/test_unit_work.py": 6,
    "module:tests/integration/test_privacy_table.py": 6,
}
SECONDS_PER_TEST = {"unit": 0.01, "local": 0.2, "integration": 0.5, "open311": 0.5, "e2e": 0.5, "contract": 5}

# e2e fixtures of runtimes (tests/e2e/conftest.py): those with compressed time first (a test on one of
# them goes with it), then the runtime as `make run` starts it
RUNTIME_FIXTURES = ("fast_api", "short_rating_window_api", "api")


TEMPLATE_CHECKS = os.environ.get("MINYI_TEMPLATE_CHECKS")


def _template_checks_status(timeout: float = 1800.0) -> int:
    """Wait for `make validate-once build` (started by `make test`) to finish; its exit status."""
    assert TEMPLATE_CHECKS
    status = Path(TEMPLATE_CHECKS) / "status"
    deadline = time.monotonic() + timeout
    while not status.exists():
        if time.monotonic() > deadline:
            return -1
        time.sleep(0.2)
    return int(status.read_text().strip() or -1)


def pytest_configure(config: pytest.Config) -> None:
    """Full collections rescan only what is new since the last one (infra/local/heap.py)."""
    from infra.local.heap import freeze_long_lived_objects

    freeze_long_lived_objects()


@pytest.fixture(scope="session")
def local_runtimes() -> Iterator[SharedRuntimes]:
    """This process's shared local runtimes (tests/local_runtime.py), all killed at the end of the session."""
    runtimes = SharedRuntimes()
    try:
        yield runtimes
    finally:
        runtimes.stop_all()


def _in(item: pytest.Item, folder: str) -> bool:
    return TESTS / folder in Path(str(item.fspath)).resolve().parents


def pytest_runtest_setup(item: pytest.Item) -> None:
    if TEMPLATE_CHECKS and _in(item, "build") and _template_checks_status() != 0:
        pytest.fail("`make validate-once build` failed: its output is printed at the end", pytrace=False)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not TEMPLATE_CHECKS or hasattr(config, "workerinput"):
        return
    status = _template_checks_status()
    folder = Path(TEMPLATE_CHECKS)
    if status == 0:
        terminalreporter.write_line("make validate-once build (cfn-lint, sam build): passed")
        return
    terminalreporter.section("make validate-once build failed", sep="=", red=True, bold=True)
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


def _name_the_group_in_the_node_id(item: pytest.Item) -> None:
    """--dist loadgroup reads an item's group from its node id (`...@group`). pytest-xdist 3.8 writes
    that suffix into `item._nodeid`, which pytest 9.2 no longer reads (the id is `item._id`, a
    NodeId): without this every test would be scheduled on its own, whatever its group."""
    group = _group_of(item)
    if group is None or "@" in item.nodeid.rpartition("]")[2] or not hasattr(item, "_id"):
        return
    from _pytest.nodeid import NodeId

    item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if _group_of(item) is not None:
            continue  # grouped by its author
        fixtures = getattr(item, "fixturenames", ())
        runtimes = [name for name in RUNTIME_FIXTURES if name in fixtures]
        if runtimes and _in(item, "e2e"):
            item.add_marker(pytest.mark.xdist_group(f"e2e:{runtimes[0]}"))
        elif _in(item, "contract"):
            # the admin's Schemathesis run (the coverage phase too) is a unit of its own: with the other
            # roles it made the longest unit by far, one worker's work while the others ran out
            admin = item.nodeid.split("::")[-1].startswith("test_every_answer_is_documented[admin]")
            item.add_marker(pytest.mark.xdist_group("contract:admin" if admin else "contract"))
        elif _uses_module_scoped_fixture(item):
            module = Path(str(item.fspath)).resolve().relative_to(TESTS.parent).as_posix()
            item.add_marker(pytest.mark.xdist_group(f"module:{module}"))

    if not hasattr(config, "workerinput"):
        return  # not an xdist worker: keep pytest's own order (modules stay together)
    if config.getvalue("loadgroup"):
        for item in items:
            _name_the_group_in_the_node_id(item)
    sizes = Counter(_group_of(item) for item in items)

    def cost(item: pytest.Item) -> float:
        group = _group_of(item)
        for key in (group,) if group is not None else (item.nodeid, item.nodeid.split("[")[0]):
            if key in SLOW_FIRST:
                return SLOW_FIRST[key]
        folder = Path(str(item.fspath)).resolve().relative_to(TESTS).parts[0]
        if folder == "build" and TEMPLATE_CHECKS:
            return -1.0  # last: they wait for `make validate-once build`
        return SECONDS_PER_TEST.get(folder, 1.0) * (sizes[group] if group is not None else 1)

    # stable: equal costs keep their collection order
    items.sort(key=lambda item: -cost(item))
