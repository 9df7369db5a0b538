"""Chinese first (issue 10): errors speak Simplified Chinese unless Accept-Language prefers English;
the machine-readable parts (code, field, current status) are the same in both languages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Stack, citizen

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "路灯不亮",
    "phone": "13812345678",
}


@pytest.mark.parametrize(
    ("accept_language", "message"),
    [
        (None, "请求内容有误：description 最多4000个字符"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "请求内容有误：description 最多4000个字符"),
        ("en-US,en;q=0.9", "description: String should have at most 4000 characters"),
    ],
    ids=["default", "chinese", "english"],
)
def test_a_validation_error_follows_accept_language(stack: Stack, accept_language: str | None, message: str) -> None:
    # Given a description that is too long
    headers = {"Accept-Language": accept_language} if accept_language else {}
    # When it is submitted
    status, body = stack.request(
        "POST", "/v1/requests", citizen(), {**REQUEST, "description": "长" * 4001}, headers=headers
    )
    # Then the message is in the negotiated language and the field is named the same way
    assert status == 422
    assert body["message"] == message
    assert body["problems"][0]["field"] == "description"


def test_a_domain_refusal_is_in_chinese_by_default(stack: Stack) -> None:
    # When a citizen names an unknown topic / Then the problem is worded in Chinese
    status, body = stack.request("POST", "/v1/requests", citizen(), {**REQUEST, "topic": "weather"})
    assert status == 422
    assert body["problems"] == [{"field": "topic", "problem": "未知的类别，请查看 GET /v1/catalog"}]


def test_a_conflict_names_the_status_in_chinese_and_keeps_the_code(stack: Stack) -> None:
    # Given a case that was just submitted
    who = citizen()
    _, created = stack.request("POST", "/v1/requests", who, REQUEST)
    # When the citizen rates before any reply
    scores = {"speed": 5, "effectiveness": 5, "experience": 5, "feedback_quality": 5}
    status, body = stack.request("POST", f"/v1/requests/{created['id']}/rating", who, scores)
    # Then it is a conflict worded in Chinese, with the machine-readable status
    assert status == 409
    assert body["message"].startswith("工单当前状态为") and "不能评价" in body["message"]
    assert body["current_status"] in {"SUBMITTED", "DISPATCHED"}


def test_the_accounts_language_is_the_default_for_the_requests_texts(stack: Stack) -> None:
    # Given a citizen whose account is in English, and one with no language set
    english = {**citizen(), "locale": "en-GB"}
    default = citizen()
    # When each submits without naming a language
    _, first = stack.request("POST", "/v1/requests", english, REQUEST)
    _, second = stack.request("POST", "/v1/requests", default, REQUEST)
    # Then the first request's timeline reads in English, the second in Chinese
    _, en_timeline = stack.request("GET", f"/v1/requests/{first['id']}/timeline", english)
    _, zh_timeline = stack.request("GET", f"/v1/requests/{second['id']}/timeline", default)
    assert en_timeline["events"][0]["text"] == "Request submitted"
    assert zh_timeline["events"][0]["text"] == "诉求已提交"


def test_the_timeline_and_the_unit_read_in_the_language_the_reader_asks_for(stack: Stack) -> None:
    # Given a request filed in Chinese and dispatched to the Futian traffic police
    who = citizen()
    _, filed = stack.request("POST", "/v1/requests", who, REQUEST)
    case_id = filed["id"]
    stack.wait_for(lambda: stack.status(case_id) == "DISPATCHED")
    # When the citizen reads it with an English page, with a Chinese one, and with no preference
    english = {"Accept-Language": "en-US,en;q=0.9"}
    _, en_case = stack.request("GET", f"/v1/requests/{case_id}", who, headers=english)
    _, en_timeline = stack.request("GET", f"/v1/requests/{case_id}/timeline", who, headers=english)
    _, zh_timeline = stack.request("GET", f"/v1/requests/{case_id}/timeline", who, headers={"Accept-Language": "zh-CN"})
    _, as_filed = stack.request("GET", f"/v1/requests/{case_id}/timeline", who)
    # Then the English reader gets English texts and the unit's English name; the others the case's Chinese
    assert en_case["unit_name"] == "Futian Traffic Police Brigade"
    assert [e["text"] for e in en_timeline["events"]][:2] == [
        "Request submitted",
        f"Assigned to Futian Traffic Police Brigade, due {en_timeline['events'][1]['text'].rsplit('due ', 1)[1]}",
    ]
    assert zh_timeline["events"][0]["text"] == as_filed["events"][0]["text"] == "诉求已提交"
    assert as_filed["events"][1]["text"].startswith("已派至福田区交警大队办理")
