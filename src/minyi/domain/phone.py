"""Citizen phone numbers: validation, E.164 normalisation and masking (pure).

`phonenumbers` (its metadata is a large import) is loaded by the functions that parse a number, not
with the module: masking, which every staff view does, needs none of it.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import TYPE_CHECKING

from minyi.domain.errors import InvalidValue

if TYPE_CHECKING:
    from types import ModuleType


@cache
def _phonenumbers() -> ModuleType:
    import phonenumbers

    return phonenumbers


def normalise_phone(raw: str) -> str:
    """Return the E.164 form of a mainland mobile or any valid E.164 mobile number.

    Raises `InvalidValue` (a ValueError) with a reason a citizen can act on, as a catalogue key.
    """
    phonenumbers = _phonenumbers()
    mobile_types = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue("error.not_a_phone_number") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidValue("error.not_a_valid_phone_number")
    if phonenumbers.number_type(parsed) not in mobile_types:
        raise InvalidValue("error.not_a_mobile_number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


#: Where SMS go by default: mainland China only (a deployment widens it with the SmsCountryCodes parameter).
DEFAULT_SMS_COUNTRIES = frozenset({"86"})


def parse_country_codes(text: str) -> frozenset[str]:
    """`"86, 852,853"` -> {"86", "852", "853"}; raises ValueError on anything but calling codes."""
    codes = frozenset(part.strip().removeprefix("+") for part in text.split(",") if part.strip())
    if not codes or not all(c.isdigit() and 1 <= len(c) <= 3 for c in codes):
        raise ValueError("a comma-separated list of country calling codes, e.g. 86,852,853")
    return codes


def country_code(e164: str) -> str:
    """The calling code of an E.164 number (`+8613812345678` -> `86`)."""
    try:
        return str(_phonenumbers().parse(e164, None).country_code)
    except _phonenumbers().NumberParseException:
        return ""


def mask_phone(phone: str) -> str:
    """`+8613812345678` -> `138****5678` (national significant number, middle four hidden)."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


#: Mainland mobiles (with or without +86) and any E.164 number.
_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|\+\d{8,15}(?!\d)")


def mask_phones_in_text(text: str) -> str:
    """Mask every phone-like digit run in free text (log lines, notes)."""
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def last4(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-4:]


def caller_id(phone: str) -> str:
    """Whom a hotline case belongs to: the caller's number (E.164), hashed (ids end up in index keys).
    A citizen who signs in with that number owns these cases too (`minyi.policy.owner_ids`)."""
    return "caller-" + hashlib.sha256(phone.encode()).hexdigest()[:24]
