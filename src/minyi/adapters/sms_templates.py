"""Registered SMS templates for mainland providers: what to register, and the provider configuration.

Mainland China SMS providers send only templates registered (and approved) in advance, with a
registered signature (签名) in front. Every notice text in `minyi.domain.notices` is one template; its
key (`citizen.dispatched.zh`) maps to the template id the provider assigned, and its placeholders
(`{no}`, `{unit}`, `{due}`, `{link}`) become the template's numbered parameters in order of first use.
So is every text of the user pools' own SMS (`minyi.domain.account_codes`: `account.code.zh`, the
verification-code template, and the staff accounts' temporary password), which the custom SMS sender sends.

`python -m minyi.adapters.sms_templates` prints every template to register, in the provider's syntax.
"""

from __future__ import annotations

import json
import re
import sys

from pydantic import BaseModel, ConfigDict, Field

from minyi.domain.account_codes import code_texts
from minyi.domain.notices import notice_texts, template_placeholders

#: The platform's own prefix in the texts; providers put the registered signature there instead.
_SIGNATURE = re.compile(r"^【[^】]+】|^\[Minyi\] ")


def template_texts() -> dict[str, str]:
    """Every text a template-based provider sends, by template key: the case notices and the account codes."""
    return {**notice_texts(), **code_texts()}


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


def registration_text(text: str) -> str:
    """A notice text in the provider's template syntax: the signature removed, placeholders numbered."""
    body = _SIGNATURE.sub("", text)
    for number, name in enumerate(template_placeholders(text), start=1):
        body = body.replace("{" + name + "}", "{" + str(number) + "}")
    return body


def registrations() -> dict[str, dict[str, object]]:
    """Every template to register: key -> {text, params (names in order)}."""
    return {
        key: {"text": registration_text(text), "params": template_placeholders(text)}
        for key, text in sorted(template_texts().items())
    }


def main() -> None:  # pragma: no cover - a printing helper for operators
    json.dump(registrations(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":  # pragma: no cover
    main()
