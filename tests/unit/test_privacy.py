"""The notice-board rule (domain/privacy.py): the one scrub of published free text, whose words may be
published, and the place coarsened to about 100 m. Table-driven: each pattern in its spellings, and
what a reader needs that must come out untouched."""

from __future__ import annotations

import pytest

from minyi.domain.models import Channel, Location
from minyi.domain.privacy import Hidden, coarse_location, may_publish_description, scrub

PHONE, ID, EMAIL, CARD, PLATE = (h.value for h in Hidden)


@pytest.mark.parametrize(
    ("text", "published"),
    [
        # mobiles in any spacing and prefix
        ("请回电13812340066", f"请回电{PHONE}"),
        ("电话 138 1234 0066 谢谢", f"电话 {PHONE} 谢谢"),
        ("138-1234-0066", PHONE),
        ("138.1234.0066", PHONE),
        ("1381234 0066", PHONE),
        ("+86-138-1234-0066", PHONE),
        ("+86 138 1234 0066", PHONE),
        ("+8613812340066", PHONE),
        ("(+86)138.1234.0066", PHONE),
        ("0086 13812340066", PHONE),
        ("86-13812340066", PHONE),
        ("8613812340066", PHONE),
        # landlines with their area code
        ("0755-8888 8888", PHONE),
        ("0755-88888888", PHONE),
        ("(0755)88888888", PHONE),
        ("0755 8888 8888", PHONE),
        ("010-12345678", PHONE),
        ("+86 755 8888 8888", PHONE),
        ("+86-10-1234-5678", PHONE),
        # other countries' numbers
        ("+852 9123 4567", PHONE),
        # 18-digit ID numbers, check digit X too
        ("身份证号440301199001011234", f"身份证号{ID}"),
        ("44030119900101123X。", f"{ID}。"),
        ("44030119900101123x", ID),
        # e-mail addresses
        ("邮箱 zhang.san+12345@example.com.cn 联系", f"邮箱 {EMAIL} 联系"),
        ("ZS_2026@qq.com", EMAIL),
        # bank cards: 16 to 19 digits, spaced or not
        ("卡号6222021234567890", f"卡号{CARD}"),
        ("6222 0212 3456 7890", CARD),
        ("6222-0212-3456-7890-123", CARD),
        ("6222021234567890123", CARD),
        # licence plates
        ("粤B12345违停", f"{PLATE}违停"),
        ("粤B·D12345", PLATE),
        ("粤BD12345", PLATE),
        ("粤B·DF1234", PLATE),
        ("京A 12345", PLATE),
        ("粤b12345", PLATE),
        ("粤B8L8K2", PLATE),
        ("粤B·1234学", PLATE),
        # several at once, in a citizen's words
        (
            "本人张三，电话+86 138-1234-0066，身份证44030119900101123X，邮箱zs@example.org，车牌粤B·D12345",
            f"本人张三，电话{PHONE}，身份证{ID}，邮箱{EMAIL}，车牌{PLATE}",
        ),
    ],
)
def test_scrub_hides_each_kind_of_personal_number(text: str, published: str) -> None:
    # Given free text with personal numbers; When it is scrubbed; Then only a name for each is left
    assert scrub(text) == published


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-20 08:30",
        "2026年11月20日 08:30至12:00",
        "2026.11.20",
        "20261120",
        "罚款120元",
        "共计1,200.50元",
        "12345热线",
        "拨打110",
        "深南大道6008号3栋1201",
        "3路、M204路公交",
        "查询编号 SZ2612-WUENY8",
        "SZ2613-456789",
        "8888 8888",  # a local number without its area code: eight digits are also dates and counts
        "新iPhone15Pro",  # a province's character before a word is no plate
        "粤Python",
        "B12345",  # a plate without its province is not told from a part number
        "已扣[电话]",  # what scrub wrote stays as it is
    ],
)
def test_scrub_leaves_dates_amounts_addresses_and_tracking_numbers(text: str) -> None:
    # Given text a reader needs that identifies no one; When scrubbed; Then it is unchanged
    assert scrub(text) == text


def test_scrub_is_idempotent() -> None:
    once = scrub("电话 138 1234 0066 车牌粤B12345 卡 6222 0212 3456 7890")
    assert scrub(once) == once


@pytest.mark.parametrize(
    ("channel", "chose", "published"),
    [
        (Channel.APP, True, True),
        (Channel.WEB, True, True),
        (Channel.APP, False, False),
        (Channel.HOTLINE, True, False),  # the caller ticked nothing: the operator typed what was said
        (Channel.OPEN311, True, False),  # a partner's report carries no consent to this city's feed
    ],
)
def test_only_the_citizens_own_choice_publishes_their_words(channel: Channel, chose: bool, published: bool) -> None:
    assert may_publish_description(channel, chose) is published


def test_a_place_is_published_to_three_decimals() -> None:
    # Given an exact GPS fix; When coarsened; Then three decimals are left (about 100 m)
    assert coarse_location(Location(lat=22.543123, lon=114.057891)) == Location(lat=22.543, lon=114.058)
    assert coarse_location(None) is None
