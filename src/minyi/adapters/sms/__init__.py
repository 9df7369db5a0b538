"""SMS providers behind `minyi.ports.SmsSender`, so another provider can be added without touching services.

`SMS_PROVIDER` (template parameter `SmsProvider`) picks one:

- `sns` (`minyi.adapters.sms.sns`): Amazon SNS transactional SMS, sent from `SMS_REGION` (SNS does not send
  SMS from every region, ap-east-1 among them);
- `tencent` (`minyi.adapters.sms.tencent`): Tencent Cloud SMS, which reaches mainland phones with
  registered templates (`minyi.adapters.sms.templates`); its credentials and template ids live in
  Secrets Manager.

Both raise `minyi.ports.SmsProviderError`, so neither provider module imports the other. This module
loads a provider only when it builds one (the Tencent SDK is the notify function's alone).
"""

from __future__ import annotations

from typing import Final, Literal

from minyi.ports import SmsSender

Provider = Literal["sns", "tencent"]
PROVIDERS: Final[tuple[Provider, ...]] = ("sns", "tencent")


def sms_sender(
    provider: Provider, region: str | None = None, sender_id: str | None = None, secret_arn: str | None = None
) -> SmsSender:
    """The configured provider. A domestic provider's configuration is read from its secret on first send."""
    if provider == "sns":
        from minyi.adapters.sms.sns import SnsSmsSender

        return SnsSmsSender(sender_id, region)
    if provider == "tencent":
        if not secret_arn:
            raise ValueError("SMS_PROVIDER=tencent needs SMS_PROVIDER_SECRET_ARN")
        from minyi.adapters.sms.tencent import TencentSmsSender

        return TencentSmsSender.from_secret(secret_arn)
    raise ValueError(f"unknown SMS provider {provider!r}")
