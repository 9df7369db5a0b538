"""Open311's texts come from the one message catalogue (issue 19): the feed's status notes, its own
update texts, notices, attribute descriptions and group names are `open311.*` keys in both .po files,
and the mapping writes none of them as Chinese prose."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minyi import text
from minyi.adapters.catalog_file import shenzhen_catalog
from minyi.domain.models import Case, CaseStatus, CloseReason
from minyi.open311 import mapping

ROOT = Path(__file__).resolve().parents[2]
MAPPING = ROOT / "src" / "minyi" / "open311" / "mapping.py"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _strings_but_docstrings(tree: ast.AST) -> list[ast.Constant]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_the_mapping_writes_no_chinese_text() -> None:
    # Given the mapping's string literals (not its docstrings or comments)
    strings = _strings_but_docstrings(ast.parse(MAPPING.read_text(encoding="utf-8")))
    # Then none is Chinese prose: every text is a catalogue key
    written = [f"mapping.py:{s.lineno}: {s.value}" for s in strings if _CJK.search(s.value)]
    assert written == []


def test_every_open311_key_has_a_text_in_both_languages() -> None:
    # Given the keys the mapping names, whole or as the prefix it fills in (`open311.status.` + a status)
    strings = _strings_but_docstrings(ast.parse(MAPPING.read_text(encoding="utf-8")))
    named = {s.value for s in strings if s.value.startswith("open311.")}
    assert {"open311.status.", "open311.event.", "open311.group.", "open311.service_notice"} <= named
    keys = {k for k in named if not k.endswith(".")}
    keys |= {f"open311.status.{s.value.lower()}" for s in CaseStatus}
    keys |= {"open311.status.submitted.queued"}
    keys |= {f"open311.status.closed.{r.value}" for r in mapping._CLOSED_REASONS}
    keys |= {f"open311.event.{t.value}" for t in mapping._OWN_TEXTS}
    keys |= {f"open311.group.{g}" for g in {*mapping.TOPIC_GROUPS.values(), mapping.OTHER_GROUP}}
    # Then each has a text in Chinese and in English
    missing = sorted(f"{lang}: {key}" for key in keys for lang in ("zh", "en") if not text.has(key, lang))
    assert missing == []


NOW = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "reason", "queued", "expected"),
    [
        (CaseStatus.SUBMITTED, None, True, "已受理，等待调度中心分派"),
        (CaseStatus.SUBMITTED, None, False, "已受理，正在分派承办单位"),
        (CaseStatus.DISPATCHED, None, False, "已派至福田区交警大队办理"),
        (CaseStatus.REPLIED, None, False, "福田区交警大队已答复，等待评价"),
        (CaseStatus.CLOSED, CloseReason.SATISFIED, False, "已办结（群众满意）"),
        (CaseStatus.CLOSED, CloseReason.WITHDRAWN, False, "已办结"),
    ],
)
def test_status_notes_read_as_before_from_the_catalogue(
    status: CaseStatus, reason: CloseReason | None, queued: bool, expected: str
) -> None:
    # Given a case of the Shenzhen catalogue in a status
    case = Case(
        id="c-1",
        tracking_no="SZ2611260001",
        citizen_id="citizen-1",
        phone="13812345678",
        category="complaint",
        topic="traffic",
        district="futian",
        description="parking",
        status=status,
        created_at=NOW,
        updated_at=NOW,
        unit_id=None if queued or status == CaseStatus.SUBMITTED else "futian-traffic-police",
        closed_reason=reason,
        in_dispatch_queue=queued,
    )
    # When its status notes are rendered / Then they are the feed's words, byte for byte
    assert mapping.status_notes(case, shenzhen_catalog()) == expected
