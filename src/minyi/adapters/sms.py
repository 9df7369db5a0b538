"""SMS providers behind `minyi.ports.SmsSender`, so another provider can be added without touching services.

`SMS_PROVIDER` (template parameter `SmsProvider`) picks one:

- `sns`: Amazon SNS transactional SMS, sent from `SMS_REGION` (SNS does not send SMS from every region,
  ap-east-1 among them);
- `tencent`: Tencent Cloud SMS (`minyi.adapters.sms_tencent`), which reaches mainland phones with
  registered templates; its credentials and template ids live in Secrets Manager.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final, Literal

from minyi.adapters.aws import MAX_ATTEMPTS, RETRY_MODE
from minyi.ports import SmsError, SmsSender

Provider = Literal["sns", "tencent"]
PROVIDERS: Final[tuple[Provider, ...]] = ("sns", "tencent")


class SmsProviderError(SmsError):
    """The provider refused the message. `code` is the provider's error code; `retryable` is False when
    sending the same message again cannot succeed (template not approved, invalid number)."""

    def __init__(self, message: str, code: str, retryable: bool):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@cache
def _sns(region: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": RETRY_MODE, "max_attempts": MAX_ATTEMPTS})
    return boto3.session.Session().client("sns", region_name=region or None, config=config)  # type: ignore[call-overload]


#: SNS errors that sending the same message again cannot fix.
_SNS_PERMANENT = {"InvalidParameter", "InvalidParameterValue", "AuthorizationError", "OptedOut"}


class SnsSmsSender:
    """`minyi.ports.SmsSender` through Amazon SNS transactional SMS, from `region` (None: the function's)."""

    def __init__(self, sender_id: str | None = None, region: str | None = None):
        self.sender_id = sender_id
        self.region = region

    def send(self, to: str, body: str) -> str:
        sns = _sns(self.region)
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id}
        try:
            resp = sns.publish(PhoneNumber=to, Message=body, MessageAttributes=attributes)
        except sns.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            raise SmsProviderError(f"SNS refused the message: {code}", code, code not in _SNS_PERMANENT) from exc
        return str(resp["MessageId"])


def reset_clients() -> None:
    """Forget cached clients (tests: after moto resets the environment)."""
    _sns.cache_clear()


def sms_sender(
    provider: Provider, region: str | None = None, sender_id: str | None = None, secret_arn: str | None = None
) -> SmsSender:
    """The configured provider. A domestic provider's configuration is read from its secret on first send."""
    if provider == "sns":
        return SnsSmsSender(sender_id, region)
    if provider == "tencent":
        if not secret_arn:
            raise ValueError("SMS_PROVIDER=tencent needs SMS_PROVIDER_SECRET_ARN")
        from minyi.adapters.sms_tencent import TencentSmsSender

        return TencentSmsSender.from_secret(secret_arn)
    raise ValueError(f"unknown SMS provider {provider!r}")
