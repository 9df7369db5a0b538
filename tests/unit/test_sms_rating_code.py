"""Issue 17: SMS that a mainland provider registers, and rating by code.

Tencent Cloud SMS refuses a link in a template variable (short links included) and takes a link only as
constant template text; a verification-code variable carries at most 6 digits. These tests walk every
notice (recipient kind x event x language) with the worst inputs the platform can give it and hold each
variable to what `minyi sms templates` declares; they check the 6-digit rating code, its lockout, and
that `RatingLinkBase` defaults to the stack's own web address."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from minyi import cli
from minyi.adapters.catalog_file import DISPATCH_CENTRE, SUPERVISION_OFFICE, shenzhen_catalog
from minyi.adapters.sms.templates import (
    LINK,
    MESSAGE_MAX_CHARS,
    code_texts,
    hotspot_texts,
    notice_texts,
    registrations,
    variable_problems,
)
from minyi.config import NotifySettings
from minyi.domain.models import Case, CaseStatus, Category, EventType, Role, TimelineEvent
from minyi.domain.notices import VARIABLES, NoticeContext, sms_segments
from minyi.domain.rating_links import MAX_HOST_LENGTH, RatingLinks, display_address
from minyi.services.notify import plan_notices

UNITS = shenzhen_catalog().units
LONGEST_ZH = max(UNITS.values(), key=lambda u: len(u.name))
LONGEST_EN = max(UNITS.values(), key=lambda u: len(u.name_en))
#: A CloudFront name: the stack's own web address when no web domain is set.
CLOUDFRONT = "https://d111111abcdef8.cloudfront.net"
LONGEST_BASE = "https://" + "x" * MAX_HOST_LENGTH
TRACKING_NO = "SZ2612-WUENY8"
#: Two-digit month and day: the longest deadline text.
DUE = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def _case(language: str) -> Case:
    return Case(
        id="case-1",
        tracking_no=TRACKING_NO,
        citizen_id="caller-1",
        phone="+8613812345678",
        language=language,
        category=Category.COMPLAINT,
        topic="traffic",
        district="futian",
        description="x",
        status=CaseStatus.DISPATCHED,
        unit_id="u",
        due_at=DUE,
        created_at=DUE,
        updated_at=DUE,
        supervised=True,
    )


def _event(type_: EventType) -> TimelineEvent:
    return TimelineEvent(
        case_id="case-1",
        seq=3,
        type=type_,
        at=DUE,
        actor_role=Role.SYSTEM,
        actor_id="x",
        status=CaseStatus.DISPATCHED,
        unit_id="u",
        due_at=DUE,
    )


def _worst_notices(language: str, base: str) -> list[Any]:
    links = RatingLinks(secret=b"k" * 32, base=base)
    unit = LONGEST_ZH if language == "zh" else LONGEST_EN
    ctx = NoticeContext(
        case=_case(language),
        unit=unit,
        previous_unit=LONGEST_ZH,
        supervisors_phone=SUPERVISION_OFFICE.duty_phone,
        dispatchers_phone=DISPATCH_CENTRE.duty_phone,
        rating_address=links.address,
        rating_code=links.code(TRACKING_NO, 1),
    )
    return [n for type_ in EventType for n in plan_notices(_event(type_), ctx)]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_variable_of_any_notice_carries_a_link_or_exceeds_its_declared_length(language: str) -> None:
    # Given the longest unit names of the catalogue, a full tracking number and the longest web address
    notices = _worst_notices(language, LONGEST_BASE)
    assert notices
    texts = notice_texts()
    for notice in notices:
        # When the provider gets the notice as a template and its variables
        assert notice.template is not None
        key = notice.template.key
        # Then no variable carries a link, each fits its declared length, a code is at most 6 digits,
        # and the whole message stays within the provider's 500 characters
        assert variable_problems(key, texts[key], notice.template.params) == []
        assert len(notice.body) <= MESSAGE_MAX_CHARS


def test_the_rating_sms_holds_its_address_as_constant_text_and_sends_number_and_code() -> None:
    # Given the stack's own web address (a CloudFront name)
    (invitation,) = [
        n for n in _worst_notices("zh", CLOUDFRONT) if n.kind == "citizen" and n.event_type == EventType.REPLIED
    ]
    # Then the address is in the registered text, and the variables are the number and the code
    registered = registrations(display_address(CLOUDFRONT))[invitation.template.key]
    assert "d111111abcdef8.cloudfront.net/r" in str(registered["text"])
    assert [p["name"] for p in registered["params"]] == ["no", "code"]  # type: ignore[attr-defined,index]
    assert invitation.template.params == {
        "no": TRACKING_NO,
        "code": RatingLinks(b"k" * 32, CLOUDFRONT).code(TRACKING_NO, 1),
    }
    # And the Chinese invitation is one segment even at the longest address the configuration allows
    (longest,) = [
        n for n in _worst_notices("zh", LONGEST_BASE) if n.kind == "citizen" and n.event_type == EventType.REPLIED
    ]
    assert sms_segments(longest.body) == 1, (len(longest.body), longest.body)


def test_a_link_in_a_variable_or_an_overlong_value_or_a_long_code_is_reported() -> None:
    # Given values a provider would refuse / Then each is named
    text = "【民意速办】{no}已答复，请凭评价码{code}到{address}评价"
    assert variable_problems("citizen.replied.zh", text, {"no": "https://a.cn/r/SZ1", "code": "123456"})
    assert variable_problems("citizen.replied.zh", text, {"no": TRACKING_NO, "code": "1234567"})
    assert variable_problems("citizen.replied.zh", text, {"no": "x" * 14, "code": "123456"})
    assert variable_problems("citizen.replied.zh", text, {"no": "12345.sz.gov.cn", "code": "123456"})
    assert variable_problems("citizen.replied.zh", text, {"no": TRACKING_NO, "code": "123456"}) == []
    # And a text that reads as a verification code may only carry digits
    assert variable_problems("x.zh", "您的验证码{no}", {"no": TRACKING_NO})


def test_no_registered_text_calls_itself_a_verification_code_or_holds_a_link_but_the_rating_address() -> None:
    # a 验证码 template takes only digit variables (the tracking number is not one): only the user pools'
    # sign-in codes are such templates, with one variable of at most 6 digits
    for key, entry in registrations("12345.sz.gov.cn/r").items():
        text = str(entry["text"])
        if key.startswith("account.code."):
            assert [(p["name"], p["kind"], p["max_length"]) for p in entry["params"]] == [("code", "digits", 6)]  # type: ignore[attr-defined,index]
            continue
        assert not any(word in text for word in ("验证码", "注册码", "校验码", "动态码")), key
        assert [m.group(0) for m in LINK.finditer(text.replace("12345.sz.gov.cn/r", ""))] == [], key
        assert "【" not in text and "{" + "address" not in text, key


def test_minyi_sms_templates_prints_every_template_with_its_variables_and_their_maximum_lengths() -> None:
    # When an operator lists the templates for the stack's web address
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["sms", "templates", "--base", "https://12345.sz.gov.cn"]) == 0
    printed = json.loads(out.getvalue())
    # Then every notice text is there, each variable with its kind and maximum length
    assert set(printed) == set(notice_texts()) | set(hotspot_texts()) | set(code_texts())
    reply = printed["citizen.replied.zh"]
    assert reply["text"] == "{1}已答复{2}，请凭评价码{3}到12345.sz.gov.cn/r评价"
    assert [p["name"] for p in reply["params"]] == ["unit", "no", "code"]
    short = printed["citizen.replied.short.zh"]
    assert short["text"] == "{1}已答复，请凭评价码{2}到12345.sz.gov.cn/r评价"
    assert short["params"][1] == {
        "name": "code",
        "kind": "digits",
        "max_length": 6,
        "description": VARIABLES["code"].description,
    }
    assert all(p["max_length"] > 0 for entry in printed.values() for p in entry["params"])


def test_minyi_sms_templates_refuses_an_address_too_long_for_one_segment() -> None:
    assert cli.main(["sms", "templates", "--base", "https://" + "x" * (MAX_HOST_LENGTH + 1)]) == 1


# --- the code -------------------------------------------------------------------------------------


def test_the_rating_code_is_six_digits_for_one_case_and_round() -> None:
    links = RatingLinks(b"k" * 32, CLOUDFRONT)
    code = links.code(TRACKING_NO, 1)
    assert len(code) == 6 and code.isdigit()
    assert links.verify_code(TRACKING_NO, 1, code) and links.verify_proof(TRACKING_NO, 1, code)
    # not for the next round, another case or another secret; and not the old link's token
    assert not links.verify_code(TRACKING_NO, 2, code)
    assert not links.verify_code("SZ2612-AAAAAA", 1, code)
    assert not RatingLinks(b"other", CLOUDFRONT).verify_code(TRACKING_NO, 1, code)
    assert not links.verify(TRACKING_NO, 1, code)
    # an SMS of an earlier release keeps its token for its round
    assert links.verify_proof(TRACKING_NO, 1, links.token(TRACKING_NO, 1))


# --- the template's default -------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {("Ref" if suffix == "Ref" else f"Fn::{suffix}"): value}


_Loader.add_multi_constructor("!", _tag)


def test_rating_link_base_defaults_to_the_stacks_own_web_address() -> None:
    template = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_Loader)
    # Given no RatingLinkBase (the default)
    assert template["Parameters"]["RatingLinkBase"]["Default"] == ""
    # Then the notify function writes the stack's web address (the WebUrl output) into the rating SMS
    env = template["Resources"]["NotifyFunction"]["Properties"]["Environment"]["Variables"]
    condition, stack_address, given = env["RATING_LINK_BASE"]["Fn::If"]
    assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": "RatingLinkBase"}, ""]}
    assert stack_address == template["Outputs"]["WebUrl"]["Value"]
    assert given == {"Ref": "RatingLinkBase"}


def test_the_notify_function_takes_a_cloudfront_name_as_its_web_address() -> None:
    # the old limit (27 characters) refused the stack's own CloudFront address
    settings = NotifySettings(table_name="t", rating_link_base=CLOUDFRONT, rating_link_secret_arn="arn")
    assert RatingLinks(b"k", settings.rating_link_base).address == "d111111abcdef8.cloudfront.net/r"
    with pytest.raises(ValueError, match="rating_link_base"):
        NotifySettings(table_name="t", rating_link_base="https://" + "x" * 40, rating_link_secret_arn="arn")
