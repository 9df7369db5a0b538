"""The message catalogue and its renderer (minyi.text): keys in, the reader's language out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from minyi import text
from minyi.domain.messages import Message, message
from scripts import compile_mo


def test_the_committed_mo_files_are_what_the_po_files_compile_to() -> None:
    # Given the committed catalogue / When it is compiled again / Then nothing differs and nothing is missing
    assert compile_mo.main(["--check"]) == 0


def test_every_key_has_a_text_in_every_language_with_the_same_placeholders() -> None:
    assert compile_mo.problems() == []


@pytest.mark.parametrize(
    ("dimension", "zh"),
    [
        ("speed", "处置速度"),
        ("effectiveness", "处置效果"),
        ("experience", "服务体验"),
        ("feedback_quality", "反馈质量"),
    ],
)
def test_the_glossary_names_the_four_dimensions_in_the_platforms_own_words(dimension: str, zh: str) -> None:
    assert text.term("dimension", dimension, "zh") == zh


def test_a_time_placeholder_is_shown_in_shanghai_time_in_the_readers_pattern() -> None:
    # Given a message whose time is stored as UTC ISO text
    at = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
    # When it is formatted / Then each language shows 02:30 the next day in Asia/Shanghai
    assert text.format_time(at.isoformat(), "zh") == "2026年12月08日 02:30"
    assert text.format_time(at, "en") == "2026-12-08 02:30"


def test_format_specs_name_terms_and_times_and_unknown_values_stay_as_stored() -> None:
    # Given a text using a term, a time and a caller's name lookup
    names = {("unit", "u1", "zh"): "福田区交警大队"}
    facts = message("any.key", status="CLOSED", due=datetime(2026, 1, 2, 0, 0, tzinfo=UTC), unit="u1")
    # When rendered
    rendered = text.format_text(
        "{status:status} {due:time} {unit:unit} {x}",
        "zh",
        lambda spec, value, lang: names.get((spec, value, lang)),
        facts.params,
    )
    # Then each placeholder reads in Chinese, and a missing one stays visible
    assert rendered == "已办结 2026年01月02日 08:00 福田区交警大队 {x}"


def test_a_message_renders_its_key_from_the_catalogue_in_the_readers_language() -> None:
    assert text.render(message("term.status.REPLIED"), "zh") == "已答复"
    assert text.render("term.status.REPLIED", "en") == "Answered"


def test_a_key_missing_from_the_catalogue_renders_as_itself() -> None:
    assert text.render(Message(key="event.not_in_catalogue"), "en") == "event.not_in_catalogue"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5, zh-Hans-CN;q=0.9", "zh"),
        ("fr-FR, en-GB;q=0.3", "en"),
        ("fr", "zh"),
        ("en;q=0, zh;q=0.1", "zh"),
    ],
)
def test_accept_language_is_negotiated_with_q_values(header: str | None, language: str) -> None:
    assert text.negotiate(header) == language


def test_message_keys_are_dotted_names() -> None:
    with pytest.raises(ValueError):
        Message(key="routed to somewhere")
