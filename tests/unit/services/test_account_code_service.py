"""The pools' own SMS through our provider (issue 17, part g): every Cognito custom SMS sender source maps to
a kind of message, the code is decrypted through the port, and a template provider gets the registered
verification-code template with the code as its one variable (at most 6 digits)."""

from __future__ import annotations

import pytest

from minyi import text as catalogue
from minyi.adapters.sms.templates import code_texts
from minyi.domain.account_codes import KIND_OF, CodeKind, CodeTrigger, code_keys, code_message, template_key
from minyi.domain.errors import InvalidInput
from minyi.domain.messages import Message
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


def test_the_domain_decides_the_message_and_the_catalogue_holds_its_text() -> None:
    # Given a sign-in code for an English reader, and a temporary password asked for in English
    code = code_message(CodeKind.VERIFICATION_CODE, "482913", "en")
    password = code_message(CodeKind.TEMPORARY_PASSWORD, "Tmp#Pass9word", "en")
    # Then the domain's answer is a catalogue key and its one fact, no prose, in the language it is sent in
    assert (code.language, code.message) == ("en", Message(key="sms.account.code", params={"code": "482913"}))
    assert (password.language, password.message) == (
        "zh",
        Message(key="sms.account.temporary_password", params={"password": "Tmp#Pass9word"}),
    )
    assert password.template_key == "account.temporary_password.zh"
    # And every account text is in both catalogues, registered in each language it is sent in
    assert code_keys() == {"sms.account.code": ("zh", "en"), "sms.account.temporary_password": ("zh",)}
    for key in code_keys():
        assert catalogue.has(key, "zh") and catalogue.has(key, "en"), key
    assert code_texts()["account.code.zh"] == catalogue.template("sms.account.code", "zh")
    assert set(code_texts()) == {"account.code.zh", "account.code.en", "account.temporary_password.zh"}
