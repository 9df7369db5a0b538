"""The SMS a user pool sends itself (sign-up and sign-in codes, temporary passwords), as keys and facts (pure).

Cognito would send these through SNS in the pool's own region, which has no SMS in ap-east-1 and
cannot reach mainland phones, where every SMS must be a registered template. So both pools hand
them to a custom SMS sender (`LambdaConfig.CustomSMSSender`): Cognito calls our function with the
code encrypted, and the function sends it through the same provider as the case notices.

Each Cognito trigger source maps to one kind of message. A verification code goes out on the
provider's verification-code template, whose variable takes at most 6 digits; a temporary password
(an admin created a staff account) on a notice template of its own.

The domain decides the message (`sms.account.<kind>`, a key of the message catalogue) and its one fact,
never the prose: the texts are the catalogue's, rendered at the edge (`minyi.services.account_codes`,
through `minyi.text`), as the case notices are (`minyi.domain.notices`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from minyi.domain.messages import Message, message
from minyi.domain.models import Language
from minyi.domain.notices import Render, TemplateMessage, registered_key


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

#: The catalogue key of each kind's text (`sms.account.<kind>`, server section of
#: `src/minyi/locale/<lang>/LC_MESSAGES/minyi.po`), whose one placeholder is `_PARAM[kind]`.
_KEYS: Final[dict[CodeKind, str]] = {
    CodeKind.VERIFICATION_CODE: "sms.account.code",
    CodeKind.TEMPORARY_PASSWORD: "sms.account.temporary_password",
}
#: The languages each kind is sent in. Staff accounts are Chinese only, as the console's invitations are.
_LANGUAGES: Final[dict[CodeKind, tuple[Language, ...]]] = {
    CodeKind.VERIFICATION_CODE: ("zh", "en"),
    CodeKind.TEMPORARY_PASSWORD: ("zh",),
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
    return registered_key(_KEYS[kind], lang)


def code_keys() -> dict[str, tuple[Language, ...]]:
    """Every account SMS text's catalogue key, with the languages it is sent in: what a template-based
    provider must have registered (the texts themselves are the catalogue's)."""
    return {_KEYS[kind]: _LANGUAGES[kind] for kind in CodeKind}


@dataclass(frozen=True)
class CodeMessage:
    """An account SMS decided but not yet worded: which text, in which language, with the secret."""

    language: Language
    message: Message

    @property
    def template_key(self) -> str:
        return registered_key(self.message.key, self.language)


def code_message(kind: CodeKind, secret: str, lang: Language = "zh") -> CodeMessage:
    """The message for `secret` (a code or a temporary password) in `lang`, or in Chinese where the kind
    is not sent in `lang`; UnsendableCode for a secret its template cannot carry."""
    if kind == CodeKind.VERIFICATION_CODE and not VERIFICATION_CODE.fullmatch(secret):
        raise UnsendableCode("a verification code must be 1 to 6 digits")
    if not secret or any(ch.isspace() for ch in secret):
        raise UnsendableCode("the secret is empty or contains white space")
    language: Language = lang if lang in _LANGUAGES[kind] else "zh"
    return CodeMessage(language=language, message=message(_KEYS[kind], **{_PARAM[kind]: secret}))


def compose_code(code: CodeMessage, render: Render) -> tuple[str, TemplateMessage]:
    """The SMS text (`render`: the catalogue's, at the edge) and its template message with the secret
    as the one variable."""
    body, shown = render(code.message, code.language)
    return body, TemplateMessage(key=code.template_key, params=shown)
