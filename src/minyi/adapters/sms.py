"""Sending SMS behind a small interface, so another provider can be added without touching handlers."""

from __future__ import annotations

from typing import Protocol

from minyi.adapters.aws import client


class SmsError(Exception):
    """The provider did not accept the message; safe to retry."""


class SmsSender(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send `body` to the E.164 number `to`; return the provider's message id or raise SmsError."""
        ...


class SnsSmsSender:
    """Amazon SNS transactional SMS."""

    def __init__(self, sender_id: str | None = None):
        self.sender_id = sender_id

    def send(self, to: str, body: str) -> str:
        sns = client("sns")
        attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}}
        if self.sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": self.sender_id}
        try:
            resp = sns.publish(PhoneNumber=to, Message=body, MessageAttributes=attributes)
        except sns.exceptions.ClientError as exc:
            raise SmsError(f"SNS refused the message: {exc.response.get('Error', {}).get('Code')}") from exc
        return str(resp["MessageId"])
