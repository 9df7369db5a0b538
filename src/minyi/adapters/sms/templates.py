"""Registered SMS templates for mainland providers: what to register, and the provider configuration.

Mainland China SMS providers send only templates registered (and approved) in advance, with a
registered signature (签名) in front. Every notice text is one template: the message catalogue's text
(`sms.citizen.dispatched` in `src/minyi/locale/<lang>/LC_MESSAGES/minyi.po`, the same text the notices
are rendered from) in each language it is sent in (`minyi.domain.notices.notice_keys`); its key
(`citizen.dispatched.zh`) maps to the template id the provider assigned, and its variables
(`{no}`, `{unit:unit}`, `{due:day_time}`, `{code}`) become the template's numbered parameters in order
of first use.
Its constants (`{address}`, the rating page) are written into the registered text: Tencent Cloud SMS
refuses a link in a variable, and takes a link only as constant text on an ICP-filed domain.
So is every text of the user pools' own SMS (`sms.account.code`, registered as `account.code.zh` and
`account.code.en`, the verification-code templates, and `sms.account.temporary_password`, the staff
accounts' temporary password: `minyi.domain.account_codes.code_keys`), which the custom SMS sender sends.

Tencent Cloud's rules for the variables (body template review standards, product 382 document 40659):
a verification-code template's variables carry 0-6 digits and nothing else, and a template is taken
for one when its text says 验证码, 注册码, 校验码 or 动态码; a variable may not be or hold a link; the
whole message, signature and values included, is at most 500 characters; an individual-verified
account's variables at most 12 characters each (mainland SMS needs an enterprise-verified account,
which has no per-variable limit; `minyi sms templates` prints each variable's largest value).

`minyi sms templates --address 12345.sz.gov.cn` prints every template to register, in the provider's
syntax, with its variables and their maximum lengths.
"""

from __future__ import annotations

import json
import re
import sys

from pydantic import BaseModel, ConfigDict, Field

from minyi.domain.account_codes import code_keys
from minyi.domain.hotspots import SMS_KEY, SMS_LANGUAGES
from minyi.domain.notices import (
    VARIABLES,
    VariableKind,
    notice_keys,
    registered_key,
    template_constants,
    template_placeholders,
    text_language,
)
from minyi.text import template

#: The platform's own prefix in the texts; providers put the registered signature there instead.
_SIGNATURE = re.compile(r"^【[^】]+】|^\[Minyi\] ")

#: A placeholder of a catalogue text, with or without its format spec (`{due:day_time}`).
_PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")
#: Tencent Cloud SMS: a verification-code variable carries at most this many digits.
CODE_MAX_DIGITS = 6
#: Tencent Cloud SMS: the longest message, signature and variable values included.
MESSAGE_MAX_CHARS = 500
#: Tencent Cloud SMS: words that make a template a verification-code template (digit-only variables).
CODE_TEMPLATE_WORDS = ("验证码", "注册码", "校验码", "动态码")
#: What a provider takes for a link: a scheme, `www.`, or a dotted name ending in a common top-level domain.
LINK = re.compile(
    r"[a-z][a-z0-9+.-]*://|www\.|[a-z0-9-]+(\.[a-z0-9-]+)*\.(cn|com|net|org|gov|edu|io|me|cc|top|xyz|info|ly|gl)\b",
    re.IGNORECASE,
)


def notice_texts() -> dict[str, str]:
    """Every notice text by its registered-template key, as the message catalogue holds it."""
    return {registered_key(key, lang): template(key, lang) for key, langs in notice_keys().items() for lang in langs}


def hotspot_texts() -> dict[str, str]:
    """The supervision office's hotspot SMS (未诉先办) by its template key."""
    return {registered_key(SMS_KEY, lang): template(SMS_KEY, lang) for lang in SMS_LANGUAGES}


def code_texts() -> dict[str, str]:
    """Every account SMS text (codes, temporary passwords) by its registered-template key, as the message
    catalogue holds it."""
    return {registered_key(key, lang): template(key, lang) for key, langs in code_keys().items() for lang in langs}


def template_texts() -> dict[str, str]:
    """Every text a template-based provider sends, by template key: the case notices, the hotspot
    alert and the account codes."""
    return {**notice_texts(), **hotspot_texts(), **code_texts()}


class ProviderConfig(BaseModel):
    """A domestic provider's configuration, as stored (JSON) in the `SmsProviderSecret` secret."""

    model_config = ConfigDict(frozen=True)

    secret_id: str = Field(min_length=1)
    secret_key: str = Field(min_length=1)
    #: Tencent Cloud: the SMS application (SdkAppId) the templates and signature belong to.
    sdk_app_id: str = Field(min_length=1)
    #: The registered signature, without brackets (e.g. 民意速办).
    sign_name: str = Field(min_length=1)
    #: The provider's API region (Tencent Cloud SMS: ap-guangzhou, ap-beijing or ap-nanjing).
    region: str = "ap-guangzhou"
    #: Template key -> the provider's template id.
    templates: dict[str, str] = Field(default_factory=dict)

    def missing_templates(self) -> list[str]:
        """Texts without a registered template id (those notices fail and are retried; those codes fail the step)."""
        return sorted(set(template_texts()) - set(self.templates))

    @classmethod
    def from_secret_string(cls, value: str | bytes) -> ProviderConfig:
        return cls.model_validate(json.loads(value))


def registration_text(text: str, address: str) -> str:
    """A notice text in the provider's template syntax: the signature removed, constants written in
    (`address`: the rating address as the SMS shows it), variables numbered."""
    body = _SIGNATURE.sub("", text)
    constants = dict.fromkeys(template_constants(text), address)
    numbers = {name: "{" + str(number) + "}" for number, name in enumerate(template_placeholders(text), start=1)}
    return _PLACEHOLDER.sub(lambda m: constants.get(m[1]) or numbers.get(m[1]) or m[0], body)


def registrations(address: str) -> dict[str, dict[str, object]]:
    """Every template to register (the notices and the account codes): key -> {text, params: [{name,
    kind, max_length, description}]}."""
    out: dict[str, dict[str, object]] = {}
    for key, text in sorted(template_texts().items()):
        lang = text_language(key)
        params = [
            {
                "name": name,
                "kind": VARIABLES[name].kind.value,
                "max_length": VARIABLES[name].limit(lang),
                "description": VARIABLES[name].description,
            }
            for name in template_placeholders(text)
        ]
        out[key] = {"text": registration_text(text, address), "params": params}
    return out


def variable_problems(key: str, text: str, params: dict[str, str]) -> list[str]:
    """What Tencent Cloud SMS would refuse in one notice's variable values (empty when none): a link, a
    value over its declared length, a code that is not at most 6 digits, digits-only variables broken
    by a verification-code word, a message over 500 characters."""
    problems = []
    lang = text_language(key)
    code_template = any(word in text for word in CODE_TEMPLATE_WORDS)
    for name, value in params.items():
        spec = VARIABLES[name]
        if LINK.search(value):
            problems.append(f"{key}: {name} carries a link: {value!r}")
        if len(value) > spec.limit(lang):
            problems.append(f"{key}: {name} is {len(value)} characters, over its declared {spec.limit(lang)}")
        digits_only = spec.kind is VariableKind.DIGITS or code_template
        if digits_only and not (value.isascii() and value.isdigit() and len(value) <= CODE_MAX_DIGITS):
            problems.append(f"{key}: {name} must be at most {CODE_MAX_DIGITS} digits: {value!r}")
    return problems


def main(address: str) -> None:  # pragma: no cover - a printing helper for operators (`minyi sms templates`)
    json.dump(registrations(address), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1] if len(sys.argv) > 1 else "12345.sz.gov.cn/r")
