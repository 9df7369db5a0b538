"""Notices go to verified numbers only (RequestService.submit on fakes): a citizen's to the account's
verified mobile (the body's phone may repeat it, nothing else), a hotline operator's to the caller's
number from the body; only mainland mobiles unless the deployment widens the list."""

from __future__ import annotations

import pytest

from minyi.api.http import verified_phone
from minyi.domain.errors import InvalidInput
from minyi.domain.models import Actor, Category, Channel, Role
from minyi.domain.phone import country_code, parse_country_codes
from minyi.services.requests import RequestService, caller_id
from minyi.services.results import NewRequest
from tests.fakes import Fakes

VERIFIED = "+8613812345678"
CITIZEN = Actor(role=Role.CITIZEN, id="c-1", phone=VERIFIED)
OPERATOR = Actor(role=Role.OPERATOR, id="op-1")


def request(phone: str = "", channel: Channel = Channel.APP) -> NewRequest:
    return NewRequest(
        category=Category.COMPLAINT,
        topic="traffic",
        district="futian",
        description="违停",
        phone=phone,
        channel=channel,
    )


def service(countries: frozenset[str] = frozenset({"86"})) -> RequestService:
    svc = Fakes().request_service()
    svc.sms_countries = countries
    return svc


def refused(svc: RequestService, actor: Actor, req: NewRequest) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        svc.submit(actor, req)
    return caught.value


def test_a_citizen_without_a_phone_in_the_body_is_texted_at_the_verified_number() -> None:
    assert service().submit(CITIZEN, request()).phone == VERIFIED


def test_the_body_may_repeat_the_verified_number() -> None:
    assert service().submit(CITIZEN, request(phone=VERIFIED)).phone == VERIFIED


def test_any_other_number_in_the_body_is_refused_naming_phone() -> None:
    err = refused(service(), CITIZEN, request(phone="+8613900001111"))
    assert err.field == "phone" and err.problem.key == "error.phone_must_be_verified"


def test_a_citizen_without_a_verified_number_cannot_file() -> None:
    err = refused(service(), Actor(role=Role.CITIZEN, id="c-2"), request())
    assert err.field == "phone"


def test_only_mainland_numbers_by_default() -> None:
    abroad = Actor(role=Role.CITIZEN, id="c-3", phone="+85251234567")
    err = refused(service(), abroad, request())
    assert err.field == "phone" and "+86" in str(err.problem.params["codes"])


def test_the_deployment_may_widen_the_list() -> None:
    abroad = Actor(role=Role.CITIZEN, id="c-3", phone="+85251234567")
    assert service(frozenset({"86", "852"})).submit(abroad, request()).phone == "+85251234567"


def test_a_hotline_operator_gives_the_callers_number() -> None:
    case = service().submit(OPERATOR, request(phone="+8613900001111", channel=Channel.HOTLINE))
    assert case.phone == "+8613900001111" and case.citizen_id == caller_id("+8613900001111")
    err = refused(service(), OPERATOR, request(channel=Channel.HOTLINE))
    assert err.field == "phone"
    err = refused(service(), OPERATOR, request(phone="+14155552671", channel=Channel.HOTLINE))
    assert err.field == "phone"


def test_open311_reports_keep_their_own_rule() -> None:
    client = Actor(role=Role.CITIZEN, id="open311:key-1")
    assert service().submit(client, request(channel=Channel.OPEN311)).phone == ""


@pytest.mark.parametrize(
    ("claims", "phone"),
    [
        ({"phone_number": VERIFIED, "phone_number_verified": "true"}, VERIFIED),
        ({"phone_number": VERIFIED, "phone_number_verified": "True"}, VERIFIED),
        ({"phone_number": VERIFIED, "phone_number_verified": "false"}, None),
        ({"phone_number": VERIFIED}, None),
        ({}, None),
    ],
)
def test_only_a_verified_number_counts(claims: dict[str, str], phone: str | None) -> None:
    assert verified_phone(claims) == phone


def test_country_codes() -> None:
    assert country_code("+8613812345678") == "86"
    assert country_code("+85251234567") == "852"
    assert parse_country_codes(" 86, +852,853") == frozenset({"86", "852", "853"})
    with pytest.raises(ValueError):
        parse_country_codes("china")
    with pytest.raises(ValueError):
        parse_country_codes("")
