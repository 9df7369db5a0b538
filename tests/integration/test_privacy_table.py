"""The API holds to docs/privacy.md: each cell of its table (a personal field × a reader) is what that
reader's answers show of one case full of personal data.

The case: a citizen's public complaint with a mobile, a description naming a third person's mobile,
an address, an exact position and a photo; answered, rated unsatisfied with a comment, noted on by the
unit, answered again and waiting for its second rating. Every reader asks the routes it would ask, and
each field is read off the answers as one of the table's words (full, masked, scrubbed, ~100 m, —).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from minyi.adapters.secrets import secret_bytes
from minyi.domain.privacy import scrub
from minyi.domain.rating_links import RatingLinks
from tests.integration.conftest import Stack, citizen, staff
from tests.integration.test_public_answers import PNG, _upload, feeds

DOC = Path(__file__).resolve().parents[2] / "docs" / "privacy.md"
PHONE = "+8613812345678"
LAT, LON = 22.543123, 114.057865
DESCRIPTION = "小区门口的井盖丢了三天，对门的王先生 139 0000 1111 也看见了，晚上很危险"
ADDRESS = "福田区福华路88号3栋1201室"
COMMENT = "井盖还是没有补上，路口仍然没人管"
NOTE = "已联系物业李经理 13700002222 协调"
#: The unit's second answer names a third person's mobile (the answer is the unit's own text).
ANSWER = "井盖已补上，如仍有问题请联系现场负责人 13600004444"
SCORES = {"speed": 2, "effectiveness": 1, "experience": 3, "feedback_quality": 2}
UNIT = "futian-traffic-police"


def role(group: str) -> dict[str, str]:
    return {"sub": f"{group}-{uuid.uuid4().hex[:6]}", "cognito:groups": group}


def privacy_table() -> dict[tuple[str, str], str]:
    """(field, reader) → the word in docs/privacy.md's table."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- privacy-table:start -->")[1].split("<!-- privacy-table:end -->")[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.strip().splitlines()]
    header, body = rows[0], [r for r in rows[2:] if r]
    return {(row[0], reader): cell for row in body for reader, cell in zip(header[1:], row[1:], strict=True)}


TABLE = privacy_table()


@dataclass(frozen=True)
class Filed:
    case_id: str
    tracking_no: str
    citizen_sub: str
    upload_id: str
    answer_file: str
    answers: dict[str, str]  # reader → every answer it got, as one JSON text


def _ok(result: tuple[int, Any], *expected: int) -> Any:
    status, body = result
    assert status in (expected or (200,)), body
    return body


@pytest.fixture(scope="module")
def filed(stack: Stack) -> Filed:
    # Given a public complaint full of personal data, answered, rated unsatisfied with a comment, noted
    # on and answered again
    who = citizen(phone=PHONE)
    upload_id, _ = _upload(stack, who["sub"])
    body = {
        "category": "complaint",
        "topic": "traffic",
        "district": "futian",
        "description": DESCRIPTION,
        "address": ADDRESS,
        "location": {"lat": LAT, "lon": LON},
        "phone": PHONE,
        "attachments": [upload_id],
        "public": True,
    }
    created = _ok(stack.request("POST", "/v1/requests", who, body), 201)
    case_id, number = created["id"], created["tracking_no"]

    def phase(name: str, round_: int = 1) -> Callable[[], Any]:
        return lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == name and c.round == round_

    stack.wait_for(phase("handling"))
    unit = staff(UNIT)
    _ok(stack.request("POST", f"/v1/cases/{case_id}/accept", unit))
    _ok(stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "已派人查看。"}))
    stack.wait_for(phase("rating"))
    _ok(stack.request("POST", f"/v1/requests/{case_id}/rating", who, {**SCORES, "comment": COMMENT}))
    stack.wait_for(phase("handling", 2))
    _ok(stack.request("POST", f"/v1/cases/{case_id}/accept", unit))
    _ok(stack.request("POST", f"/v1/cases/{case_id}/notes", unit, {"text": NOTE}))
    answer_file, _ = _upload(stack, unit["sub"])
    _ok(stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": ANSWER, "attachments": [answer_file]}))
    case = stack.wait_for(lambda: phase("rating", 2)() and stack.repo.get_case(case_id))
    feeds(stack)
    token = RatingLinks(secret_bytes(stack.resources["RatingLinkSecret"]), "http://x").token(number, case.round)

    # When every reader asks what it would ask
    def staff_reads(claims: dict[str, str]) -> list[Any]:
        return [
            _ok(stack.request("GET", f"/v1/cases/{case_id}", claims)),
            _ok(stack.request("GET", f"/v1/cases/{case_id}/timeline", claims)),
        ]

    operator = role("operator")
    call = {**{k: v for k, v in body.items() if k not in {"attachments", "public"}}, "channel": "hotline"}
    reads: dict[str, list[Any]] = {
        "owner": [
            _ok(stack.request("GET", f"/v1/requests/{case_id}", who)),
            _ok(stack.request("GET", f"/v1/requests/{case_id}/timeline", who)),
            _ok(stack.request("GET", "/v1/requests", who)),
        ],
        "tracking": [_ok(stack.request("GET", f"/v1/track/{number}?phone_last4={PHONE[-4:]}", None))],
        "rating link": [_ok(stack.request("GET", f"/v1/track/{number}/rating?t={token}", None))],
        "unit": staff_reads(unit),
        "dispatcher": staff_reads(role("dispatcher")),
        "supervisor": staff_reads(role("supervisor")),
        "admin": staff_reads(role("admin")),
        "operator": [
            _ok(stack.request("GET", f"/v1/cases/{case_id}", operator), 403),
            _ok(stack.request("POST", "/v1/requests", operator, call), 201),
            # the 回访 list holds hotline cases only (their callers' full numbers): not this app case
            _ok(stack.request("GET", "/v1/callbacks", operator)),
        ],
        "public": [
            _ok(stack.request("GET", f"/open311/v2/requests/{number}.json", None)),
            _ok(stack.request("GET", "/open311/v2/requests.json", None)),
            _ok(stack.request("GET", "/open311/v2/servicerequestupdates.json", None)),
            _ok(stack.request("GET", "/v1/public/stats", None)),
        ],
    }
    # (another unit's staff may not know the case at all)
    _ok(stack.request("GET", f"/v1/cases/{case_id}", staff("futian-housing")), 404)
    answers = {reader: json.dumps(got, ensure_ascii=False) for reader, got in reads.items()}
    return Filed(case_id, number, who["sub"], upload_id, answer_file, answers)


def _digits_of(phone: str) -> re.Pattern[str]:
    """A mobile however it is spaced: its eleven digits with any separators between them."""
    return re.compile(r"[\s\-.]?".join(phone[-11:]))


def mobile(text: str, filed: Filed) -> str:
    if _digits_of(PHONE).search(text):
        return "full"
    return "masked" if f"{PHONE[-11:-8]}****{PHONE[-4:]}" in text else "—"


def description(text: str, filed: Filed) -> str:
    if DESCRIPTION in text:
        return "full"
    return "scrubbed" if scrub(DESCRIPTION) in text else "—"


def address(text: str, filed: Filed) -> str:
    return "full" if ADDRESS in text or "福华路88号" in text else "—"


def position(text: str, filed: Filed) -> str:
    if str(LAT) in text or str(LON) in text:
        return "full"
    return "~100 m" if str(round(LAT, 3)) in text and str(round(LON, 3)) in text else "—"


def media(text: str, filed: Filed) -> str:
    return "full" if filed.upload_id in text else "—"


def rating_comment(text: str, filed: Filed) -> str:
    return "full" if COMMENT in text else "—"


def staff_notes(text: str, filed: Filed) -> str:
    return "full" if NOTE in text or "13700002222" in text else "—"


def units_answer(text: str, filed: Filed) -> str:
    if ANSWER in text:
        return "full"
    return "scrubbed" if scrub(ANSWER) in text else "—"


def answer_files(text: str, filed: Filed) -> str:
    return "full" if filed.answer_file in text else "—"


def account_id(text: str, filed: Filed) -> str:
    return "full" if filed.citizen_sub in text else "—"


FIELDS: dict[str, Callable[[str, Filed], str]] = {
    "mobile": mobile,
    "description": description,
    "address": address,
    "position": position,
    "photos, voice, video": media,
    "rating comment": rating_comment,
    "staff notes": staff_notes,
    "unit's answer": units_answer,
    "unit's answer files": answer_files,
    "account id": account_id,
}


def test_the_table_names_every_field_the_test_can_read_and_only_those() -> None:
    # Given docs/privacy.md / Then its rows are exactly the fields this test reads off the answers
    assert {field for field, _ in TABLE} == set(FIELDS)
    assert len(PNG) > 0 and TABLE


@pytest.mark.parametrize(("field", "reader"), sorted(TABLE), ids=lambda v: str(v).replace(" ", "_"))
def test_each_reader_sees_of_each_personal_field_what_docs_privacy_says(filed: Filed, field: str, reader: str) -> None:
    # Given the case full of personal data, and what every reader got when it asked
    # When this field is read off this reader's answers
    seen = FIELDS[field](filed.answers[reader], filed)
    # Then it is what the table says
    assert seen == TABLE[(field, reader)], f"{reader} sees {field!r} as {seen!r}"
