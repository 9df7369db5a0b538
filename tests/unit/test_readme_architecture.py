"""README.md's Architecture section: the "where to change what" table names files that exist (and, where
it names one, the definition inside them), and a newcomer finds in two hops from a handler where a
deadline, an SMS text and a rollback are decided (issue 19, part 6)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = README.split("## Architecture\n", 1)[1].split("\n## ", 1)[0]

CHANGES = ["a new notice", "a new status", "a new role", "a new language", "a new topic"]
#: a file named in backticks, optionally followed by the definition it means: `path` (`name`
_PATH = re.compile(r"`([\w./<>*-]+\.(?:py|po|yaml|json))`(?: \(`(\w+)`)?")


def _section(title: str) -> str:
    return ARCHITECTURE.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]


def _rows() -> dict[str, str]:
    table = _section("Where to change what")
    return {
        line.split("|")[1].strip(): line.split("|")[2].strip()
        for line in table.splitlines()
        if line.startswith("| ") and not line.startswith("| Change")
    }


def test_the_table_has_a_row_for_each_change() -> None:
    # Given the Architecture section's table / Then each change a newcomer makes has its row, naming files
    rows = _rows()
    assert list(rows) == CHANGES
    for change, files in rows.items():
        assert _PATH.search(files), change


def test_every_file_the_table_names_exists_with_the_definition_it_names() -> None:
    for change, files in _rows().items():
        for path, name in _PATH.findall(files):
            if "<" in path or "*" in path:
                # one file per language (`locale/*/...`), or one the change creates (`locale/<locale>/...`):
                # those of today's languages exist
                pattern = re.sub(r"<\w+>", "*", path)
                assert len(list(ROOT.glob(pattern))) >= 2, (change, path)
                continue
            # Given a path the row names / Then it is a file of the repository
            assert (ROOT / path).is_file(), (change, path)
            if name:
                # and the definition named beside it is in it
                assert re.search(rf"\b{name}\b", (ROOT / path).read_text(encoding="utf-8")), (change, path, name)


def test_a_deadline_an_sms_text_and_a_rollback_are_two_hops_from_a_handler() -> None:
    hops = _section("Two hops from a handler")
    expected = {
        "A deadline": ("src/minyi/domain/deadlines.py", "def unit_due("),
        "An SMS text": ("src/minyi/domain/notices.py", "def plan_messages("),
        "A rollback": ("src/minyi/domain/lifecycle.py", "def _redo("),
    }
    for what, (path, definition) in expected.items():
        # Given the bullet for what a newcomer looks for
        bullet = next(b for b in hops.split("\n- ") if b.lstrip("- ").startswith(f"**{what}**"))
        # Then it goes from a handler through a service to the file that decides it, which defines it
        handler, service = re.findall(r"`(functions/\w+/app\.py|services/\w+\.py)`", bullet)[:2]
        assert handler.startswith("functions/") and service.startswith("services/"), (what, bullet)
        assert path.removeprefix("src/minyi/") in bullet, (what, bullet)
        assert definition in (ROOT / path).read_text(encoding="utf-8"), (what, path, definition)
    assert "LC_MESSAGES/minyi.po" in hops and "`rate`" in hops and "ALLOWED_STATUSES" in hops
