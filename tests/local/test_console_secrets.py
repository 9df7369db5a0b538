"""The local runtime's console shows every SMS as it is sent, but nothing in it that lets a reader act in
the citizen's place: the phone is masked, and so are a rating link's token and any sign-in code or
temporary password (`infra/local/runtime.py`, `console_sms`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from infra.local.runtime import _print_sms_on_publish, console_sms
from minyi.domain.rating_links import RatingLinks

PHONE = "+8613812345678"


def test_a_rating_link_is_shown_without_its_token() -> None:
    # Given the rating SMS as the platform writes it
    link = RatingLinks(b"k" * 32, "http://127.0.0.1:3000").link("SZ2025000123", 1)
    token = link.split("?t=")[1]
    # When the console shows it
    line = console_sms(PHONE, f"【民意速办】已答复，请评价：{link}")
    # Then the link is there, its token is not, nor the phone
    assert "http://127.0.0.1:3000/r/SZ2025000123?t=****" in line
    assert token not in line
    assert line.startswith("SMS -> 138****5678: ") and "13812345678" not in line


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("【民意速办】您的验证码为 482913，5分钟内有效", "482913"),
        ("[Minyi] Your sign-in code is 482913", "482913"),
        ("[Minyi] Your temporary password: Xk7#pQ2r!z", "Xk7#pQ2r!z"),
        ("【民意速办】临时密码：Xk7pQ2rz，请尽快登录修改", "Xk7pQ2rz"),
        ("Open http://127.0.0.1:3000/signin?code=ab12cd34&next=/ to continue", "ab12cd34"),
    ],
)
def test_codes_and_passwords_are_masked_on_the_console(message: str, secret: str) -> None:
    # When the console shows an SMS carrying a code or password / Then the secret is not on the line
    line = console_sms(PHONE, message)
    assert secret not in line and "****" in line


def test_an_sms_without_secrets_is_shown_as_written_but_for_phones() -> None:
    # Given a dispatch notice that names a hotline number
    line = console_sms(PHONE, "[Minyi] Request SZ2025000123 was dispatched; call 13900001111 for help")
    # Then only the numbers are masked
    assert line == "SMS -> 138****5678: [Minyi] Request SZ2025000123 was dispatched; call 139****1111 for help"


@pytest.fixture
def embedded_aws() -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update({"AWS_REGION": "ap-east-1", "AWS_DEFAULT_REGION": "ap-east-1"})
    try:
        with mock_aws():
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_runtime_prints_a_published_sms_masked(embedded_aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the runtime's console hook on SNS publishes (installed before the functions' clients exist)
    _print_sms_on_publish()
    sns = boto3.client("sns")
    link = RatingLinks(b"k" * 32, "http://127.0.0.1:3000").link("SZ2025000124", 2)
    # When the notify function publishes the rating SMS
    sns.publish(PhoneNumber=PHONE, Message=f"【民意速办】已答复，请评价：{link}")
    # Then the console line carries neither the token nor the number
    out = capsys.readouterr().out
    assert "SMS -> 138****5678: 【民意速办】已答复，请评价：http://127.0.0.1:3000/r/SZ2025000124?t=****" in out
    assert link.split("?t=")[1] not in out
