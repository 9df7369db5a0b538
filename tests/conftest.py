"""Suite-wide pytest hooks: how the tests are spread over pytest-xdist workers (`make test` runs
`pytest -n … --dist loadgroup`). Without xdist these hooks change nothing.

- tests/e2e: every test is its own work unit; each worker starts its own local runtime (session
  fixtures in tests/e2e/conftest.py) and every test uses its own citizens and cases. The tests on
  one compressed-time runtime form one work unit (so one worker starts that runtime).
- everything else (unit, integration, build, ...): one work unit per module, so a module-scoped
  fixture (the integration `stack`: one embedded AWS per module) is built once, on one worker.

Work units are handed out longest first (known slow groups and tests, then the rest in collection
order), so no worker is left with a long test at the end.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

# Work units that take longest (seconds on a quiet 2-core machine), started first.
# Keys are xdist group names or test node ids without parameters; unknown names cost nothing.
SLOW_FIRST: dict[str, float] = {
    "module:tests/integration/test_notify.py": 30,
    "module:tests/integration/test_stats.py": 45,
    "e2e:fast_api": 15,
}

# e2e fixtures of runtimes with compressed time (tests/e2e/conftest.py)
COMPRESSED_TIME_FIXTURES = ("fast_api", "short_rating_window_api")


def _group_of(item: pytest.Item) -> str | None:
    names = [str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")]
    return "_".join(sorted(set(names))) if names else None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath)).resolve()
        if _group_of(item) is not None:
            continue
        if TESTS / "e2e" in path.parents:
            fixtures = getattr(item, "fixturenames", ())
            for name in COMPRESSED_TIME_FIXTURES:
                if name in fixtures:
                    item.add_marker(pytest.mark.xdist_group(f"e2e:{name}"))
                    break
        else:
            item.add_marker(pytest.mark.xdist_group(f"module:{path.relative_to(TESTS.parent).as_posix()}"))

    if not hasattr(config, "workerinput"):
        return  # not an xdist worker: keep pytest's own order (modules stay together)
    sizes = Counter(_group_of(item) for item in items)

    def cost(item: pytest.Item) -> float:
        group = _group_of(item)
        if group is None:
            return SLOW_FIRST.get(item.nodeid.split("[")[0], 0.0)
        return SLOW_FIRST.get(group, 0.5 * sizes[group])

    # stable: equal costs keep their collection order
    items.sort(key=lambda item: -cost(item))
