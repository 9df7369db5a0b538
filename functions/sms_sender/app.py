"""Cognito's custom SMS sender, for both user pools: sign-up, resend, forgotten-password and sign-in codes,
attribute verification codes, and the temporary password of an account an admin created.

Cognito calls this function instead of sending through SNS in the pool's region (ap-east-1 has no
SMS, and mainland phones take registered templates only). The code arrives encrypted under the
pools' KMS key (`request.code`); `minyi.services.account_codes` decrypts it and sends it through the
configured provider. A failure raises: Cognito then fails the step, and the person asks for a new code.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.config import SmsSenderSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.account_codes import AccountCodeService, CodeRequest

settings = SmsSenderSettings.from_env()


@cache
def service() -> AccountCodeService:
    return bootstrap.account_code_service(settings)


def code_request(event: dict[str, Any]) -> CodeRequest:
    """The parts of Cognito's `customSMSSenderRequestV1` event the sender needs."""
    request = event.get("request") or {}
    attributes = request.get("userAttributes") or {}
    return CodeRequest(
        trigger_source=str(event.get("triggerSource") or ""),
        phone=attributes.get("phone_number") or None,
        encrypted_code=request.get("code") or None,
        locale=attributes.get("locale") or None,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    service().send(code_request(event))
    return event
