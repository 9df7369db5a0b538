"""The user pools' own SMS (sign-up and sign-in codes, temporary passwords) through our SMS provider.

Cognito calls the custom SMS sender with the code encrypted; this service decrypts it (port
`CodeDecrypter`), picks the message for the trigger source (`minyi.domain.account_codes`), renders it
from the message catalogue (`sms.account.*`, through `minyi.text`) and sends it
through the same `SmsSender` as the case notices: a template-based provider (Tencent Cloud) gets the
registered template and its code variable, SNS the text. Any failure raises, so Cognito fails the
sign-up or sign-in step and the person can ask for a new code; nothing is half-sent.

Never logged: the code, the password, the ciphertext, or the whole number (masked).
"""

from __future__ import annotations

from dataclasses import dataclass

from minyi.domain.account_codes import CodeKind, code_kind, code_message, compose_code
from minyi.domain.errors import InvalidInput
from minyi.domain.metrics import Metric
from minyi.domain.models import Language
from minyi.domain.phone import mask_phone
from minyi.observability import logger, metrics
from minyi.ports import CodeDecrypter, SmsSender, TemplateSmsSender
from minyi.text import render_fields


@dataclass(frozen=True)
class CodeRequest:
    """What the custom SMS sender's event carries (`request.code`, `request.userAttributes`)."""

    trigger_source: str
    phone: str | None
    encrypted_code: str | None
    locale: str | None = None


@dataclass(frozen=True)
class CodeSent:
    kind: CodeKind
    message_id: str


class AccountCodeService:
    def __init__(self, decrypter: CodeDecrypter, sender: SmsSender):
        self.decrypter = decrypter
        self.sender = sender

    def send(self, request: CodeRequest) -> CodeSent:
        try:
            kind = code_kind(request.trigger_source)
        except ValueError:
            raise InvalidInput(
                "triggerSource", "error.not_a_sender_source", source=repr(request.trigger_source)
            ) from None
        if not request.phone:
            raise InvalidInput("request.userAttributes.phone_number", "error.user_has_no_phone")
        if not request.encrypted_code:
            raise InvalidInput("request.code", "error.event_has_no_code")
        secret = self.decrypter.decrypt(request.encrypted_code)
        lang: Language = "en" if (request.locale or "").lower().startswith("en") else "zh"
        body, template = compose_code(code_message(kind, secret, lang), render_fields)
        if isinstance(self.sender, TemplateSmsSender):
            message_id = self.sender.send_template(request.phone, template)
        else:
            message_id = self.sender.send(request.phone, body)
        metrics.add_metric(name=Metric.ACCOUNT_CODES_SENT, unit="Count", value=1)
        logger.info(
            "account sms sent",
            extra={"trigger": request.trigger_source, "kind": kind.value, "to": mask_phone(request.phone)},
        )
        return CodeSent(kind=kind, message_id=message_id)
