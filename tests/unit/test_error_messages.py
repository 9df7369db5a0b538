"""Errors carry a catalogue key and facts (issue 19): every key raised exists in every language, and the
edge renders it in the reader's language with the key and params beside the text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from minyi import text
from minyi.api.http import create_app, resolve
from minyi.domain.errors import InvalidInput, InvalidTransition, NotFound

ROOT = Path(__file__).resolve().parents[2]
#: A quoted catalogue key of the error family, as product code raises it.
_KEY = re.compile(r"\"(error\.[a-z0-9_.]*[a-z0-9_])\"")


def _raised_keys() -> set[str]:
    found: set[str] = set()
    for folder in (ROOT / "src" / "minyi", ROOT / "functions"):
        for path in folder.rglob("*.py"):
            found.update(_KEY.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_error_key_in_the_code_has_a_text_in_every_language() -> None:
    # Given every error key the product code names
    keys = _raised_keys()
    assert len(keys) > 50
    # When each is looked up / Then both catalogues have it
    missing = sorted(f"{lang}: {key}" for key in keys for lang in ("zh", "en") if not text.has(key, lang))
    assert missing == []


def test_an_error_refuses_prose_and_keeps_its_facts_apart() -> None:
    # Given a problem written as an English sentence / Then it is refused at once
    with pytest.raises(ValueError):
        InvalidInput("topic", "unknown topic; see GET /v1/catalog")
    # And a keyed problem keeps its facts as values, not in a sentence
    error = InvalidInput("to", "error.days_per_query", days=31)
    assert (error.problem.key, error.problem.params) == ("error.days_per_query", {"days": 31})


def _answer(exc: Exception, accept_language: str | None) -> dict[str, Any]:
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise exc

    headers = {"Accept-Language": accept_language} if accept_language else {}
    event = {"httpMethod": "GET", "path": "/boom", "resource": "/boom", "headers": headers, "requestContext": {}}
    return json.loads(resolve(app, event, None)["body"])


@pytest.mark.parametrize(
    ("accept_language", "message", "problem"),
    [
        (None, "请求内容有误：to 每次最多查询31天", "每次最多查询31天"),
        ("en-US,en;q=0.9", "to: at most 31 days per query", "at most 31 days per query"),
    ],
)
def test_a_refusal_reads_in_the_readers_language_with_its_key_and_params(
    accept_language: str | None, message: str, problem: str
) -> None:
    # Given a service refusing a range of dates / When the API answers
    body = _answer(InvalidInput("to", "error.days_per_query", days=31), accept_language)
    # Then the text is rendered in the reader's language, and the machine-readable parts are the same
    assert body["message"] == message
    assert body["problems"] == [{"field": "to", "problem": problem}]
    assert (body["error"], body["key"], body["params"]) == ("invalid_input", "error.days_per_query", {"days": 31})


def test_a_refused_transition_names_the_action_and_the_status_in_each_language() -> None:
    # Given a rating refused because the reply was already rated
    refused = InvalidTransition("rate", "CLOSED", "error.reply_already_rated")
    # When a Chinese and an English reader are told
    zh, en = _answer(refused, None), _answer(refused, "en")
    # Then each reads the glossary's status and the action's verb, and the status stays machine-readable
    assert zh["message"] == "工单当前状态为“已办结”，不能评价：该答复已评价"
    assert en["message"] == "cannot rate a case in status CLOSED: this reply was already rated"
    assert zh["current_status"] == en["current_status"] == "CLOSED"
    assert zh["key"] == "error.reply_already_rated"


def test_a_missing_case_reads_in_chinese_by_default() -> None:
    body = _answer(NotFound("error.no_such_case"), None)
    assert (body["error"], body["message"], body["key"]) == ("not_found", "没有这个工单", "error.no_such_case")
