"""docs/deploy.md: the operator's order (enable the region, preflight, deploy, first admin without SMS,
smoke) and a checklist row, with its guarding test, for every blocker of issue 17."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")

BLOCKERS = [
    "no sign-up / sign-in SMS in ap-east-1",
    "presigned URLs on the global host",
    "HeadObject 403",
    "rating SMS URL in a variable",
    "reserved concurrency",
    "three stream readers",
    "forgeable X-Forwarded-For / execute-api reachable",
    "Retain on a failed create",
    "stranded citizen after a failed PostConfirmation",
    "one-hour sessions",
]


def test_the_steps_come_in_the_order_an_operator_takes_them() -> None:
    # Given the deployment guide / Then each step comes after the one it needs
    order = [
        "aws account enable-region --region-name ap-east-1",
        "minyi preflight --region ap-east-1",
        "sam deploy --config-env prod",
        "--message-action SUPPRESS",
        "minyi smoke --api",
        "## When the first create fails",
        "## Deploy checklist",
    ]
    positions = [DOC.find(step) for step in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions)


def test_every_blocker_has_a_checklist_row_naming_its_guard() -> None:
    checklist = DOC.split("## Deploy checklist", 1)[1]
    rows = {
        line.split("|")[1].strip(): line.split("|")[3].strip()
        for line in checklist.splitlines()
        if line.startswith("| ")
    }
    for blocker in BLOCKERS:
        assert blocker in rows, blocker
        guard = rows[blocker]
        # Then it names at least one test module, and every test it names exists
        named = re.findall(r"(tests/\S+?\.py)(?:::(\w+))?", guard)
        assert named, (blocker, guard)
        for module, test in named:
            path = ROOT / module
            assert path.is_file(), (blocker, module)
            if test:
                assert f"def {test}(" in path.read_text(encoding="utf-8"), (blocker, module, test)
        assert "TODO" not in guard, (blocker, guard)
