"""The SMS a user pool sends itself (sign-up and sign-in codes, temporary passwords), as our own texts (pure).

Cognito would send these through SNS in the pool's own region, which has no SMS in ap-east-1 and
cannot reach mainland phones, where every SMS must be a registered template. So both pools hand
them to a custom SMS sender (`LambdaConfig.CustomSMSSender`): Cognito calls our function with the
code encrypted, and the function sends it through the same provider as the case notices.

Each Cognito trigger source maps to one kind of message. A verification code goes out on the
provider's verification-code template, whose variable takes at most 6 digits; a temporary password
(an admin created a staff account) on a notice template of its own.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from minyi.domain.models import Language
from minyi.domain.notices import TemplateMessage


class CodeTrigger(StrEnum):
    """Cognito's `triggerSource` values for the custom SMS sender."""

    SIGN_UP = "CustomSMSSender_SignUp"
    RESEND_CODE = "CustomSMSSender_ResendCode"
    FORGOT_PASSWORD = "CustomSMSSender_ForgotPassword"
    AUTHENTICATION = "CustomSMSSender_Authentication"
    ADMIN_CREATE_USER = "CustomSMSSender_AdminCreateUser"
    VERIFY_USER_ATTRIBUTE = "CustomSMSSender_VerifyUserAttribute"
    UPDATE_USER_ATTRIBUTE = "CustomSMSSender_UpdateUserAttribute"


class CodeKind(StrEnum):
    """What the SMS carries: a one-time code, or an admin-created account's temporary password."""

    VERIFICATION_CODE = "code"
    TEMPORARY_PASSWORD = "temporary_password"


KIND_OF: Final[dict[CodeTrigger, CodeKind]] = {
    CodeTrigger.SIGN_UP: CodeKind.VERIFICATION_CODE,
    CodeTrigger.RESEND_CODE: CodeKind.VERIFICATION_CODE,
    CodeTrigger.FORGOT_PASSWORD: CodeKind.VERIFICATION_CODE,
    CodeTrigger.AUTHENTICATION: CodeKind.VERIFICATION_CODE,
    CodeTrigger.VERIFY_USER_ATTRIBUTE: CodeKind.VERIFICATION_CODE,
    CodeTrigger.UPDATE_USER_ATTRIBUTE: CodeKind.VERIFICATION_CODE,
    CodeTrigger.ADMIN_CREATE_USER: CodeKind.TEMPORARY_PASSWORD,
}

#: The texts, by kind and language. Staff accounts are Chinese only, as the console's invitations are.
_TEXTS: Final[dict[CodeKind, dict[Language, str]]] = {
    CodeKind.VERIFICATION_CODE: {
        "zh": "【民意速办】验证码 {code}，请勿告诉他人。",
        "en": "[Minyi] Your verification code is {code}. Do not share it with anyone.",
    },
    CodeKind.TEMPORARY_PASSWORD: {
        "zh": "【民意速办】工作账号已开通，请用本手机号登录，临时密码 {password}，首次登录请设置新密码并绑定验证器。",
    },
}
_PARAM: Final[dict[CodeKind, str]] = {CodeKind.VERIFICATION_CODE: "code", CodeKind.TEMPORARY_PASSWORD: "password"}

#: A verification-code template variable of mainland providers: digits only, at most 6 (Cognito's are 6).
VERIFICATION_CODE = re.compile(r"^[0-9]{1,6}$")


class UnsendableCode(ValueError):
    """The decrypted secret does not fit its template (never says what the secret was)."""


def code_kind(trigger_source: str) -> CodeKind:
    """The kind of message a Cognito trigger source sends; ValueError for a source we do not know."""
    return KIND_OF[CodeTrigger(trigger_source)]


def template_key(kind: CodeKind, lang: Language) -> str:
    """The registered-template key (`account.code.zh`), next to the notices' `<kind>.<event>.<lang>` keys."""
    return f"account.{kind.value}.{lang}"


def code_texts() -> dict[str, str]:
    """Every account SMS text by its template key: what a template-based provider must have registered."""
    return {template_key(kind, lang): text for kind, by_lang in _TEXTS.items() for lang, text in by_lang.items()}


def code_message(kind: CodeKind, secret: str, lang: Language = "zh") -> tuple[str, TemplateMessage]:
    """The SMS text and its template message for `secret` (a code or a temporary password)."""
    if kind == CodeKind.VERIFICATION_CODE and not VERIFICATION_CODE.fullmatch(secret):
        raise UnsendableCode("a verification code must be 1 to 6 digits")
    if not secret or any(ch.isspace() for ch in secret):
        raise UnsendableCode("the secret is empty or contains white space")
    by_lang = _TEXTS[kind]
    language: Language = lang if lang in by_lang else "zh"
    name = _PARAM[kind]
    text = by_lang[language].replace("{" + name + "}", secret)
    return text, TemplateMessage(key=template_key(kind, language), params={name: secret})
