"""Unit tests for phone validation, normalisation and masking (minyi.domain.phone)."""

from __future__ import annotations

import pytest

from minyi.domain.phone import last4, mask_phone, mask_phones_in_text, normalise_phone


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "+86 138 1234 5678", "+8613812345678", "  13812345678  ", "138-1234-5678"],
)
def test_normalise_mainland_mobile_to_e164(raw: str) -> None:
    """Given a mainland mobile number written in a common way
    When it is normalised
    Then the result is the E.164 form +8613812345678."""
    assert normalise_phone(raw) == "+8613812345678"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12345", "error.not_a_valid_phone_number"),
        ("abc", "error.not_a_phone_number"),
        ("", "error.not_a_phone_number"),
        ("075588888888", "error.not_a_mobile_number"),
        ("+86 755 8888 8888", "error.not_a_mobile_number"),
    ],
)
def test_normalise_rejects_invalid_or_landline(raw: str, reason: str) -> None:
    """Given too short, non-numeric or landline (Shenzhen 0755) input
    When it is normalised
    Then ValueError is raised with a reason the citizen can act on."""
    with pytest.raises(ValueError, match=reason):
        normalise_phone(raw)


@pytest.mark.parametrize("phone", ["+8613812345678", "13812345678", "+86 138 1234 5678"])
def test_mask_phone_hides_middle_four(phone: str) -> None:
    """Given a mainland mobile with or without +86
    When masked
    Then only the first three and last four digits of the national number remain."""
    assert mask_phone(phone) == "138****5678"


def test_mask_phone_too_short_is_fully_hidden() -> None:
    """Given a digit string shorter than eight digits
    When masked
    Then nothing of it is shown."""
    assert mask_phone("1234567") == "****"


def test_mask_phones_in_text_masks_phones_and_keeps_timestamps() -> None:
    """Given a log line with a timestamp and two phone numbers
    When masked
    Then both phones are masked and the timestamp is untouched."""
    text = "2026-11-25 16:50:24 caller 13812345678 asked to call back on +8613987654321."

    masked = mask_phones_in_text(text)

    assert masked == "2026-11-25 16:50:24 caller 138****5678 asked to call back on 139****4321."
    assert "13812345678" not in masked
    assert "2026-11-25 16:50:24" in masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25 16:50:24",
        "2026-11-25T16:50:24+08:00",
        "id 440301199001011234",
        "epoch-ms 1764060624000",
        "order no 9913812345678",
        "no phone here",
    ],
)
def test_mask_phones_in_text_leaves_non_phones_alone(text: str) -> None:
    """Given text with timestamps or long digit runs but no phone number
    When masked
    Then it is unchanged."""
    assert mask_phones_in_text(text) == text


def test_mask_phones_in_text_masks_foreign_e164() -> None:
    """Given text with a non-mainland E.164 number
    When masked
    Then its middle digits are hidden."""
    assert mask_phones_in_text("call +14155552671 now") == "call 141****2671 now"


def test_mask_phones_in_text_country_code_without_plus() -> None:
    """Given text with a mainland mobile written with a bare 86- country code
    When masked
    Then it is masked like any mainland mobile, 138****5678."""
    assert mask_phones_in_text("tel 86-13812345678") == "tel 138****5678"


def test_last4() -> None:
    """Given an E.164 phone
    When its last four digits are taken
    Then they are 5678."""
    assert last4("+8613812345678") == "5678"
