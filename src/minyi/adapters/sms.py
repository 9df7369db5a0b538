"""SMS providers behind `minyi.ports.SmsSender`, so another provider can be added without touching services."""

from __future__ import annotations

from minyi.adapters.aws import client
from minyi.ports import SmsError


class SnsSmsSender:
    """`minyi.ports.SmsSender` through Amazon SNS transactional SMS."""

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
