"""Cognito triggers of the user pool: PreSignUp refuses numbers we cannot text (the confirmation code
comes by SMS); PostConfirmation puts the new citizen in the `citizen` group, best effort (access comes from
the pool, not the group, so a failed add is logged and counted and never fails the confirmation). Staff
accounts are created by admins (functions/accounts/app.py) and never pass through sign-up."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap, text
from minyi.config import AccountsTriggerSettings
from minyi.domain.errors import InvalidInput
from minyi.observability import logger, metrics, tracer

settings = AccountsTriggerSettings.from_env()

PRE_SIGN_UP = "PreSignUp_SignUp"
POST_CONFIRMATION = "PostConfirmation_ConfirmSignUp"


class SignUpRefused(Exception):
    """Cognito shows the message to the person signing up."""


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    source = event.get("triggerSource")
    service = bootstrap.account_trigger_service(settings, event["userPoolId"])
    if source == PRE_SIGN_UP:
        try:
            service.may_sign_up(event.get("request", {}).get("userAttributes", {}).get("phone_number"))
        except InvalidInput as exc:
            raise SignUpRefused(text.render(exc.problem, "en")) from None
    elif source == POST_CONFIRMATION:
        service.confirmed(event["userName"])
    # every other source (a forgotten password's confirmation, an admin-created user) changes nothing
    return event
