"""`minyi.ports.SmsSender` through Amazon SNS transactional SMS (`SMS_PROVIDER=sns`, the default)."""

from __future__ import annotations

from functools import cache
from typing import Any

from minyi.adapters.aws import MAX_ATTEMPTS, RETRY_MODE
from minyi.ports import SmsProviderError


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
