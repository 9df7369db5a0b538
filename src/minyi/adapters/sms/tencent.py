"""`minyi.ports.TemplateSmsSender` through Tencent Cloud SMS (SendSms, API version 2021-01-11).

The official SDK (`tencentcloud-sdk-python-sms`) signs the request (TC3-HMAC-SHA256) and calls
`https://sms.tencentcloudapi.com`. It is pure Python on top of `requests`, so the layer stays small and
builds for the Lambda target from wheels (the Alibaba Cloud SDK pulls in aiohttp, cryptography and
APScheduler). The configuration (credentials, SdkAppId, signature, template ids) is one JSON secret in
Secrets Manager, read once per container.

A request-level error comes back as `Response.Error.Code`; a per-number refusal (throttling of one
number, for example) as a `SendStatusSet` entry whose `Code` is not `Ok`. Both become
`minyi.ports.SmsProviderError` with the provider's code, so the outbox records it and the stream retries it.
"""

from __future__ import annotations

import json
from typing import Any

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from minyi.adapters.secrets import secret_bytes
from minyi.adapters.sms.templates import ProviderConfig
from minyi.domain.notices import TemplateMessage
from minyi.observability import logger
from minyi.ports import SmsProviderError

ENDPOINT = "sms.tencentcloudapi.com"
#: Seconds before a call gives up (the notify function has 60 s for a batch of 25 records).
TIMEOUT_SECONDS = 5

#: Error codes (or their prefixes) that a later attempt can get past: throttling, quotas, the
#: provider's own failures. Everything else (template, signature, number, credentials) is permanent.
_RETRYABLE = (
    "RequestLimitExceeded",
    "LimitExceeded.",
    "InternalError",
    "ServerNetworkError",
    "ClientNetworkError",
    "FailedOperation.InsufficientBalanceInSmsPackage",
)


def _retryable(code: str) -> bool:
    return code.startswith(_RETRYABLE)


def api_client(config: ProviderConfig) -> Any:
    """The SDK's client, which signs every call (TC3-HMAC-SHA256): SendSms here, DescribeSmsTemplateList
    in `minyi preflight` (minyi.adapters.deploy_facts)."""
    return sms_client.SmsClient(
        credential.Credential(config.secret_id, config.secret_key),
        config.region,
        ClientProfile(httpProfile=HttpProfile(endpoint=ENDPOINT, reqTimeout=TIMEOUT_SECONDS)),
    )


class TencentSmsSender:
    def __init__(self, config: ProviderConfig, client: Any | None = None):
        self.config = config
        self.client = client or api_client(config)
        missing = config.missing_templates()
        if missing:
            logger.warning("sms templates not configured", extra={"provider": "tencent", "missing": missing})

    @classmethod
    def from_secret(cls, secret_arn: str) -> TencentSmsSender:
        return cls(ProviderConfig.from_secret_string(secret_bytes(secret_arn)))

    def send(self, to: str, body: str) -> str:
        raise SmsProviderError("Tencent Cloud SMS sends registered templates only", "TemplateRequired", False)

    def send_template(self, to: str, message: TemplateMessage) -> str:
        template_id = self.config.templates.get(message.key)
        if template_id is None:
            raise SmsProviderError(f"no registered template for {message.key}", "TemplateNotConfigured", False)
        request = models.SendSmsRequest()
        request.from_json_string(
            json.dumps(
                {
                    "PhoneNumberSet": [to],
                    "SmsSdkAppId": self.config.sdk_app_id,
                    "SignName": self.config.sign_name,
                    "TemplateId": template_id,
                    "TemplateParamSet": list(message.params.values()),
                    "SessionContext": message.key,
                }
            )
        )
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as exc:
            code = str(exc.get_code())
            raise SmsProviderError(f"Tencent Cloud SMS refused the request: {code}", code, _retryable(code)) from exc
        statuses = response.SendStatusSet or []
        if len(statuses) != 1:
            raise SmsProviderError("Tencent Cloud SMS answered without a send status", "NoSendStatus", True)
        status = statuses[0]
        if status.Code != "Ok":
            code = str(status.Code)
            raise SmsProviderError(f"Tencent Cloud SMS refused the message: {code}", code, _retryable(code))
        return str(status.SerialNo)
