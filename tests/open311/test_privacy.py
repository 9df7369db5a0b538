"""Open311 publishes a notice board, not a case file (PIPL): a case full of personal data shows none of
it in the list, the detail or the updates, in XML or JSON; the citizen's words only by their choice
and scrubbed; the unit's answer scrubbed; the place to three decimals; feed entries projected before
this rule read the same. On the in-memory fakes of test_units (milliseconds)."""

from __future__ import annotations

import pytest

from minyi.domain.models import CaseStatus, Channel, EventType, Location, Reply, Role, TimelineEvent
from minyi.open311 import mapping, render
from minyi.open311.model import PublicRequest
from tests.open311.test_units import CATALOG, T0, World, make_case

UNIT = "futian-traffic-police"
DESCRIPTION = (
    "我是张三，电话138 1234 0066，也可打+86-138-1234-0066或0755-8888 8888，身份证44030119900101123X，"
    "邮箱zhangsan@example.org，卡号6222 0212 3456 7890，车牌粤B·D12345，2026年11月20日罚款120元"
)
ADDRESS = "福田区深南大道6008号特区报业大厦1201室"
EXACT = Location(lat=22.543123, lon=114.057891)
#: None of this may appear anywhere in a public answer (the name only in the words a citizen chose to publish).
PERSONAL = (
    "1381234",
    "138 1234",
    "1234-0066",
    "8888 8888",
    "44030119900101123X",
    "zhangsan",
    "6222",
    "粤B",
    "D12345",
    "深南大道",
    "1201",
    "22.543123",
    "114.057891",
    "fms.example.org",
)
ANSWER = "已联系车主（电话13912345678，车牌粤B12345）挪车，并处罚款200元。"


def personal_case(**overrides: object) -> tuple[World, str]:
    """A case full of personal data, replied to by the unit, with its timeline, projected into the feed."""
    world = World()
    fields: dict[str, object] = {
        "description": DESCRIPTION,
        "address": ADDRESS,
        "location": EXACT,
        "phone": "+8613812340066",
        "media_url": "https://fms.example.org/photo/1.jpg",
        "status": CaseStatus.REPLIED,
        "unit_id": UNIT,
        "replies": [Reply(round=1, unit_id=UNIT, message=ANSWER, at=T0, on_time=True)],
        **overrides,
    }
    case = make_case(**fields)
    steps = [
        (EventType.SUBMITTED, CaseStatus.SUBMITTED, None),
        (EventType.DISPATCHED, CaseStatus.DISPATCHED, UNIT),
        (EventType.REPLIED, CaseStatus.REPLIED, UNIT),
    ]
    events = [
        TimelineEvent(
            case_id=case.id,
            seq=seq,
            type=kind,
            at=T0,
            actor_role=Role.SYSTEM,
            actor_id="x",
            status=status,
            unit_id=unit,
            note=ANSWER,  # the staff's own words in the internal note: never published
        )
        for seq, (kind, status, unit) in enumerate(steps, start=1)
    ]
    world.cases.add(case, events)
    for event in events:
        world.projector.project(event)
    return world, case.tracking_no


def every_public_answer(world: World, number: str) -> dict[str, str]:
    """The list, the detail and the updates, in both formats, with and without the extensions."""
    out: dict[str, str] = {}
    for fmt in ("json", "xml"):
        for extensions in (False, True):
            listed, _ = world.service.find({"extensions": str(extensions).lower()})
            one, _ = world.service.request(number, {"extensions": str(extensions).lower()})
            out[f"list.{fmt}.{extensions}"] = render.requests(listed, fmt, extensions)
            out[f"one.{fmt}.{extensions}"] = render.requests([one], fmt, extensions)
        out[f"updates.{fmt}"] = render.updates(world.service.updates({}), fmt)
    return out


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # an app case, private (the default)
        {"public": True},  # an app case the citizen chose to publish: scrubbed
        {"channel": Channel.HOTLINE, "public": True},
        {"channel": Channel.OPEN311, "public": True},
    ],
    ids=["app-private", "app-public", "hotline", "open311"],
)
def test_a_case_full_of_personal_data_shows_none_of_it(overrides: dict[str, object]) -> None:
    # Given a case with a name, phones in three spellings, an ID number, an e-mail, a card, a plate,
    # an exact address, an exact GPS fix and a partner's photo, answered by the unit with a phone and plate
    world, number = personal_case(**overrides)
    # When the public reads the list, the request and the updates, in XML and JSON
    answers = every_public_answer(world, number)
    # Then none of it is anywhere (the name neither, unless the citizen published their own words)
    chose = overrides == {"public": True}
    for name, text in answers.items():
        for personal in PERSONAL + ("13912345678", "粤B12345") + (() if chose else ("张三",)):
            assert personal not in text, (name, personal)
    assert all(number in text for text in answers.values())  # the public id is there


def test_the_place_is_the_district_and_three_decimals() -> None:
    world, number = personal_case()
    one, _ = world.service.request(number, {})
    (listed,), _ = world.service.find({})
    for request in (one, listed):
        assert (request.address, request.lat, request.long) == ("深圳市福田区", 22.543, 114.058)
        assert request.media_url is None


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({}, None),
        ({"public": True}, "我是张三，电话[电话]，也可打[电话]或[电话]，身份证[身份证号]，"),
        ({"channel": Channel.HOTLINE, "public": True}, None),
        ({"channel": Channel.OPEN311, "public": True}, None),
    ],
    ids=["app-private", "app-public", "hotline", "open311"],
)
def test_the_description_only_by_the_citizens_choice_and_scrubbed(
    overrides: dict[str, object], description: str | None
) -> None:
    # Given a case private, public, from the hotline (asked public) or from a partner (asked public)
    world, number = personal_case(**overrides)
    # When the public reads it by number and in the list
    one, _ = world.service.request(number, {})
    (listed,), _ = world.service.find({})
    # Then only the app citizen's own choice shows their words, scrubbed (the name stays: a pattern
    # cannot find names, which is why the citizen decides)
    for request in (one, listed):
        if description is None:
            assert request.description is None
        else:
            assert request.description is not None and request.description.startswith(description)
            assert request.description.endswith("邮箱[邮箱]，卡号[银行卡号]，车牌[车牌号]，2026年11月20日罚款120元")


def test_the_units_answer_is_published_scrubbed() -> None:
    # Given a case the unit answered with a phone number and a plate in its text
    world, number = personal_case()
    # When the public reads the notes and the updates
    one, _ = world.service.request(number, {"extensions": "true"})
    reply_notes = [n.description for n in one.notes if n.type == EventType.REPLIED.value]
    reply_updates = [u.description for u in world.service.updates({}) if u.external_status_code == "REPLIED"]
    # Then the answer is there, scrubbed, after the platform's text
    expected = "福田区交警大队已答复：已联系车主（电话[电话]，车牌[车牌号]）挪车，并处罚款200元。"
    assert reply_notes == [expected] and reply_updates == [expected]


def test_a_feed_entry_projected_before_the_rule_reads_private_and_coarse() -> None:
    # Given a feed entry stored by the old projection: description, address, exact place, photo, no mark
    world = World()
    case = make_case(description=DESCRIPTION, address=ADDRESS, location=EXACT)
    old = PublicRequest.model_validate(
        {
            **mapping.public_request(case, CATALOG).model_dump(exclude={"public"}),
            "description": DESCRIPTION,
            "address": ADDRESS,
            "lat": EXACT.lat,
            "long": EXACT.lon,
            "media_url": "https://fms.example.org/photo/1.jpg",
        }
    )
    world.feed.put_request(old, 1)
    # When the public lists the requests
    (listed,), _ = world.service.find({})
    # Then the entry reads as the rule publishes it
    assert (listed.description, listed.address, listed.lat, listed.long, listed.media_url) == (
        None,
        "深圳市福田区",
        22.543,
        114.058,
        None,
    )
