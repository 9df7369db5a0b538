"""The pools' own SMS through our provider (issue 17, part g): every Cognito custom SMS sender source maps to
a kind of message, the code is decrypted through the port, and a template provider gets the registered
verification-code template with the code as its one variable (at most 6 digits)."""

from __future__ import annotations

import pytest

from minyi.domain.account_codes import KIND_OF, CodeKind, CodeTrigger, code_texts, template_key
from minyi.domain.errors import InvalidInput
from minyi.domain.notices import TemplateMessage
from minyi.ports import CodeDecryptionError, SmsError
from minyi.services.account_codes import AccountCodeService, CodeRequest
from tests.fakes import FakeCodeDecrypter, RecordingSmsSender

PHONE = "+8613812345678"


class TemplateSender:
    """A template-only provider (as Tencent Cloud SMS is): records templates, refuses free text."""

    def __init__(self) -> None:
        self.templates: list[tuple[str, TemplateMessage]] = []

    def send(self, to: str, body: str) -> str:
        raise SmsError("templates only")

    def send_template(self, to: str, message: TemplateMessage) -> str:
        self.templates.append((to, message))
        return f"tpl-{len(self.templates)}"


def test_every_documented_trigger_source_has_a_kind() -> None:
    # Given the seven custom SMS sender trigger sources Cognito documents
    documented = {
        "CustomSMSSender_SignUp",
        "CustomSMSSender_ResendCode",
        "CustomSMSSender_ForgotPassword",
        "CustomSMSSender_Authentication",
        "CustomSMSSender_AdminCreateUser",
        "CustomSMSSender_VerifyUserAttribute",
        "CustomSMSSender_UpdateUserAttribute",
    }
    # Then each is a trigger we map, and only AdminCreateUser sends a temporary password
    assert {t.value for t in CodeTrigger} == documented
    assert set(KIND_OF) == set(CodeTrigger)
    assert [t for t, k in KIND_OF.items() if k == CodeKind.TEMPORARY_PASSWORD] == [CodeTrigger.ADMIN_CREATE_USER]


@pytest.mark.parametrize("source", [t.value for t in CodeTrigger if t != CodeTrigger.ADMIN_CREATE_USER])
def test_a_code_goes_out_on_the_verification_template_with_the_decrypted_code(source: str) -> None:
    # Given a code Cognito encrypted, and a template-only provider
    decrypter, sender = FakeCodeDecrypter(), TemplateSender()
    sealed = decrypter.seal("482913")
    # When the pool asks us to send it
    sent = AccountCodeService(decrypter, sender).send(CodeRequest(source, PHONE, sealed))
    # Then the provider got the verification-code template with the plaintext code as its one variable
    assert sent.kind == CodeKind.VERIFICATION_CODE and sent.message_id == "tpl-1"
    assert sender.templates == [(PHONE, TemplateMessage(key="account.code.zh", params={"code": "482913"}))]


def test_a_temporary_password_goes_out_on_its_notice_template() -> None:
    decrypter, sender = FakeCodeDecrypter(), TemplateSender()
    sealed = decrypter.seal("Tmp#Pass9word")
    sent = AccountCodeService(decrypter, sender).send(CodeRequest("CustomSMSSender_AdminCreateUser", PHONE, sealed))
    assert sent.kind == CodeKind.TEMPORARY_PASSWORD
    assert sender.templates == [
        (PHONE, TemplateMessage(key="account.temporary_password.zh", params={"password": "Tmp#Pass9word"}))
    ]


def test_a_text_provider_gets_the_text_in_the_users_language() -> None:
    # Given SNS (text), and a citizen whose locale is English
    decrypter, sender = FakeCodeDecrypter(), RecordingSmsSender()
    sealed = decrypter.seal("123456")
    # When a sign-in code is sent
    AccountCodeService(decrypter, sender).send(CodeRequest("CustomSMSSender_Authentication", PHONE, sealed, "en-GB"))
    # Then the SMS carries the code in English
    assert sender.to(PHONE) == ["[Minyi] Your verification code is 123456. Do not share it with anyone."]


def test_a_code_of_more_than_six_digits_is_refused_before_the_provider() -> None:
    # Given a "code" no verification-code template accepts
    decrypter, sender = FakeCodeDecrypter(), TemplateSender()
    sealed = decrypter.seal("1234567")
    # Then nothing is sent, and the error does not show the code
    with pytest.raises(ValueError) as refused:
        AccountCodeService(decrypter, sender).send(CodeRequest("CustomSMSSender_SignUp", PHONE, sealed))
    assert "1234567" not in str(refused.value)
    assert sender.templates == []


def test_a_foreign_ciphertext_an_unknown_source_or_no_phone_sends_nothing() -> None:
    decrypter, sender = FakeCodeDecrypter(), RecordingSmsSender()
    service = AccountCodeService(decrypter, sender)
    with pytest.raises(CodeDecryptionError):
        service.send(CodeRequest("CustomSMSSender_SignUp", PHONE, "not-ours"))
    with pytest.raises(InvalidInput) as unknown:
        service.send(CodeRequest("CustomMessage_SignUp", PHONE, decrypter.seal("123456")))
    assert unknown.value.field == "triggerSource"
    with pytest.raises(InvalidInput) as no_phone:
        service.send(CodeRequest("CustomSMSSender_SignUp", None, decrypter.seal("123456")))
    assert no_phone.value.field == "request.userAttributes.phone_number"
    assert sender.sent == []


def test_a_provider_failure_reaches_cognito() -> None:
    # Given a provider that refuses: the error propagates, so Cognito fails the step and the user can retry
    decrypter, sender = FakeCodeDecrypter(), RecordingSmsSender(down=True)
    with pytest.raises(SmsError):
        AccountCodeService(decrypter, sender).send(CodeRequest("CustomSMSSender_SignUp", PHONE, decrypter.seal("1")))


def test_every_account_text_has_one_template_key_and_one_variable() -> None:
    texts = code_texts()
    assert template_key(CodeKind.VERIFICATION_CODE, "zh") in texts
    assert template_key(CodeKind.TEMPORARY_PASSWORD, "zh") in texts
    for key, text in texts.items():
        assert text.count("{") == 1, key
