"""What the city may publish of a case (PIPL): the notice-board rule and the one scrub of free text (pure).

The public feed (Open311) shows what a notice board would: topic, district, status, dates, the
platform's own timeline texts and the unit's answer, and a place coarsened to about 100 m. Two texts
are free: the citizen's description (published only when the citizen chose `public` on an app or web
submission) and the unit's answer (always public). Both go through `scrub`, the only function that
decides what in free text identifies a person, so every public answer hides the same things:

- phone numbers in any spelling: mainland mobiles with or without +86 / 0086 / 86, spaced, dashed or
  dotted (`138 1234 0066`, `+86-138-1234-0066`), landlines with their area code (`0755-8888 8888`,
  `(0755)88888888`, `+86 755 8888 8888`);
- 18-digit resident ID numbers (the last character may be X);
- e-mail addresses;
- bank card numbers: 16 to 19 digits, spaced or dashed in groups or not;
- licence plates: a province's character, the city letter and five or six characters, with or
  without a space or dot (`粤B12345`, `粤B·D12345`, `京A 12345`).

Left alone on purpose (they identify no one and a reader needs them): dates and times
(`2026-11-20`, `2026年11月20日 08:30`), amounts (`120元`, `1,200.50元`), house and bus numbers, short
numbers (`12345`, `110`), words after a province's character (`新iPhone`), and tracking numbers
(`SZ2612-WUENY8`, the public id of a request). A bare local landline without its area code
(`8888 8888`) is not masked: eight digits are also dates (`20261120`) and counts, and masking them
would garble more than it protects. Any other run of 16 to 19 digits reads as a card (an order
number is hidden too: better than a card shown). Names and addresses inside free text
cannot be found by a pattern: that is why a description is private unless its author chose otherwise.
"""

from __future__ import annotations

import re
from enum import StrEnum

from minyi.domain.models import Channel, Location


class Hidden(StrEnum):
    """What a scrubbed span is replaced with: a name for what was there, never any of its characters."""

    PHONE = "[电话]"
    ID_NUMBER = "[身份证号]"
    EMAIL = "[邮箱]"
    BANK_CARD = "[银行卡号]"
    PLATE = "[车牌号]"


#: Channels whose author can consent to publishing the description in their own words. A hotline
#: caller cannot tick a box (the operator types what was said), and a GeoReport POST carries no consent
#: of its reporter to this city's feed (the partner publishes on its own site what its users agreed to).
CONSENTING_CHANNELS = frozenset({Channel.APP, Channel.WEB})

#: Decimal places a published coordinate keeps: 0.001° is about 111 m north-south (about 100 m east-west
#: at Shenzhen's latitude): the street block, never the door.
PUBLIC_COORDINATE_DECIMALS = 3

_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_SEP = r"[ .\-\u00a0]?"  # one optional space, dot, dash or no-break space between digit groups

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
#: Six digits of region, the birth date (18xx-20xx), three of sequence, a check digit or X.
_ID_NUMBER = re.compile(
    _EDGE_BEFORE + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _EDGE_AFTER
)
_BANK_CARD = re.compile(_EDGE_BEFORE + r"\d(?:[ \-]?\d){15,18}" + _EDGE_AFTER)
#: An optional country prefix (+86, 0086, 86, in brackets or not) then the number.
_PREFIX = r"(?:\(?(?:\+|00)\s?86\)?|86)[ .\-]*"
_MOBILE = re.compile(_EDGE_BEFORE + r"(?:" + _PREFIX + r"|\+)?" + r"1[3-9]\d(?:" + _SEP + r"\d){8}" + _EDGE_AFTER)
#: Area codes: 010 and 02x have two digits after the 0, all others three. Subscriber numbers 7 or 8 digits.
_LANDLINE = re.compile(
    r"(?:" + _EDGE_BEFORE + r"(?:\(0\d{2,3}\)|0\d{2,3})|" + r"(?<![0-9A-Za-z+])" + _PREFIX + r"\(?[1-9]\d{1,2}\)?)"
    r"[ .\-\u00a0]?\d{3,4}" + _SEP + r"\d{4}" + _EDGE_AFTER
)
#: Any other E.164-style number (+852 9123 4567).
_INTERNATIONAL = re.compile(r"\+[1-9]\d{0,2}(?:" + _SEP + r"\d){6,13}" + _EDGE_AFTER)
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
#: The five or six characters after the city letter hold at least three digits (no plate is letters
#: alone), so `新iPhone` or `粤Python` are words, not plates.
_PLATE = re.compile(
    "[" + _PROVINCES + r"]\s?[A-Za-z][\s·•・.\-]?(?=(?:[A-Za-z]*\d){3})"
    r"(?:[A-Za-z0-9]{4}[挂学警港澳领]|[A-Za-z0-9]{5,6}[挂学警港澳领]?)" + _EDGE_AFTER
)

#: In this order: an ID number or card is not read as phone digits, an e-mail's digits not as a phone.
_RULES: tuple[tuple[re.Pattern[str], Hidden], ...] = (
    (_EMAIL, Hidden.EMAIL),
    (_ID_NUMBER, Hidden.ID_NUMBER),
    (_BANK_CARD, Hidden.BANK_CARD),
    (_MOBILE, Hidden.PHONE),
    (_LANDLINE, Hidden.PHONE),
    (_INTERNATIONAL, Hidden.PHONE),
    (_PLATE, Hidden.PLATE),
)


def scrub(text: str) -> str:
    """The text with every phone number, ID number, e-mail, bank card and licence plate replaced by
    a name for it (`[电话]`...). Idempotent: a scrubbed text scrubs to itself."""
    for pattern, hidden in _RULES:
        text = pattern.sub(hidden.value, text)
    return text


def may_publish_description(channel: Channel, chose_public: bool) -> bool:
    """Whether the citizen's own words may be published: only by their choice, on a channel where
    they could make it (never a hotline call, never an Open311 partner's report)."""
    return chose_public and channel in CONSENTING_CHANNELS


def coarse_location(location: Location | None) -> Location | None:
    """The place rounded to about 100 m (three decimals), or None."""
    if location is None:
        return None
    return Location(
        lat=round(location.lat, PUBLIC_COORDINATE_DECIMALS), lon=round(location.lon, PUBLIC_COORDINATE_DECIMALS)
    )
