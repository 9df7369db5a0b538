"""The user pools' own SMS in the local runtime, sent as Cognito sends them: through the custom SMS sender.

moto's Cognito never calls a `CustomSMSSender` and never makes a temporary password, so the local
runtime imitates Cognito from the outside, with botocore hooks on the in-process clients (no moto
internals): when an admin creates an account with `DesiredDeliveryMediums=["SMS"]` (the staff-accounts
API; the only pool flow the local clients use: citizens and staff sign in with `/local/tokens`), a
temporary password is made as Cognito makes one, given to moto as the user's, encrypted under the local
`CodeKey` with the AWS Encryption SDK (as Cognito encrypts it) and handed to the real
`SmsSenderFunction` in a `CustomSMSSender_AdminCreateUser` event of Cognito's documented shape. The
function decrypts it and sends it through the configured `SmsSender`; every SMS it publishes is
recorded here, and `GET /local/sms` lists them next to the notices (kind `account`).

The template's KMS keys (`AWS::KMS::Key`) are created in the embedded KMS, and the functions get their
ARNs (`!GetAtt CodeKey.Arn`) instead of the template's names.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from infra.local.template import Template

SENDER_FUNCTION = "SmsSenderFunction"
ADMIN_CREATE_USER = "CustomSMSSender_AdminCreateUser"
#: Cognito's temporary passwords: 12 characters with upper, lower, digit and symbol (the default policy).
PASSWORD_LENGTH = 12
PASSWORD_SYMBOLS = "!#$%&*+-.=?@^_~"


class Invoker(Protocol):
    def invoke(self, name: str, event: Any) -> Any: ...


def create_code_keys(template: Template) -> dict[str, str]:
    """Every AWS::KMS::Key of the template in the embedded KMS; logical id -> its ARN."""
    import boto3

    kms = boto3.client("kms")
    keys: dict[str, str] = {}
    for logical_id, res in template.of_type("AWS::KMS::Key").items():
        description = str(template.resolve(res.get("Properties", {}).get("Description", logical_id)))
        keys[logical_id] = kms.create_key(Description=description)["KeyMetadata"]["Arn"]
    return keys


def key_environment(template: Template, keys: dict[str, str]) -> dict[str, str]:
    """Variables that name a key's ARN (`!GetAtt CodeKey.Arn`), with the local key's ARN."""
    env: dict[str, str] = {}
    for spec in template.functions().values():
        for name, value in spec.environment.items():
            ref = value.get("Fn::GetAtt") if isinstance(value, dict) else None
            if isinstance(ref, list) and ref[0] in keys and ref[1] == "Arn":
                env[name] = keys[ref[0]]
    return env


def temporary_password() -> str:
    """A temporary password as Cognito makes one: each character class at least once."""
    alphabet = string.ascii_letters + string.digits + PASSWORD_SYMBOLS
    required = [secrets.choice(c) for c in (string.ascii_uppercase, string.ascii_lowercase, string.digits)]
    required.append(secrets.choice(PASSWORD_SYMBOLS))
    chars = required + [secrets.choice(alphabet) for _ in range(PASSWORD_LENGTH - len(required))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def encrypt_code(code: str, key_arn: str, pool_id: str) -> str:
    """`code` as Cognito hands it to a custom sender: the Encryption SDK under the pool's key, base64."""
    import aws_encryption_sdk
    import botocore.session
    from aws_encryption_sdk.identifiers import CommitmentPolicy

    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=botocore.session.Session()
    )
    ciphertext, _ = client.encrypt(
        source=code.encode(), key_provider=provider, encryption_context={"userpool-id": pool_id}
    )
    return base64.b64encode(ciphertext).decode()


def sender_event(trigger_source: str, pool_id: str, user: dict[str, Any], encrypted_code: str) -> dict[str, Any]:
    """Cognito's custom SMS sender event (`customSMSSenderRequestV1`) for `user` (as AdminCreateUser answers it)."""
    attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": pool_id.split("_", 1)[0],
        "userPoolId": pool_id,
        "userName": user.get("Username"),
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": None},
        "request": {
            "type": "customSMSSenderRequestV1",
            "code": encrypted_code,
            "clientMetadata": {},
            "userAttributes": {
                "sub": user.get("Username"),
                "cognito:user_status": user.get("UserStatus"),
                **attributes,
            },
        },
    }


class CognitoSms:
    """The hooks, the key they encrypt with, and the SMS the sender published (oldest first)."""

    def __init__(self, lambdas: Invoker, key_arn: str, pools: dict[str, str]):
        self.lambdas = lambdas
        self.key_arn = key_arn
        self.pool_ids = set(pools.values())
        self._sent: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._sending = threading.local()  # set while the sender runs in this thread

    def install(self) -> None:
        """Hook every botocore client created from now on (idempotent per process: the last runtime wins)."""
        import botocore.handlers

        global _ACTIVE
        _ACTIVE = self
        for hook in _HOOKS:
            if hook not in botocore.handlers.BUILTIN_HANDLERS:
                botocore.handlers.BUILTIN_HANDLERS.append(hook)

    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._sent]

    # --- the hooks ---------------------------------------------------------------------------------

    def before_admin_create_user(self, params: dict[str, Any], context: dict[str, Any]) -> None:
        if params.get("UserPoolId") not in self.pool_ids or params.get("MessageAction") == "SUPPRESS":
            return
        if "SMS" not in (params.get("DesiredDeliveryMediums") or []):
            return
        # Cognito makes the temporary password when none is given; moto would leave the user without one
        params.setdefault("TemporaryPassword", temporary_password())
        context["minyi_code"] = (params["UserPoolId"], params["TemporaryPassword"])

    def after_admin_create_user(self, parsed: dict[str, Any], context: dict[str, Any]) -> None:
        pending = context.pop("minyi_code", None)
        if pending is None or "User" not in parsed:
            return  # refused (the user exists): Cognito sends nothing either
        pool_id, password = pending
        event = sender_event(ADMIN_CREATE_USER, pool_id, parsed["User"], encrypt_code(password, self.key_arn, pool_id))
        self._sending.trigger = ADMIN_CREATE_USER
        try:
            self.lambdas.invoke(SENDER_FUNCTION, event)  # a failure fails AdminCreateUser, as in Cognito
        finally:
            self._sending.trigger = None

    def after_publish(self, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        trigger = getattr(self._sending, "trigger", None)
        if trigger is None or not params.get("PhoneNumber") or "MessageId" not in parsed:
            return
        with self._lock:
            self._sent.append(
                {
                    "to": params["PhoneNumber"],
                    "body": params.get("Message", ""),
                    "case_id": None,
                    "event": trigger,
                    "event_seq": None,
                    "kind": "account",
                    "segments": 1,
                    "sent_at": datetime.now(UTC).isoformat(),
                    "provider_message_id": parsed["MessageId"],
                }
            )


_ACTIVE: CognitoSms | None = None


def _before_admin_create_user(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if _ACTIVE is not None:
        _ACTIVE.before_admin_create_user(params, context)


def _after_admin_create_user(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if _ACTIVE is not None:
        _ACTIVE.after_admin_create_user(parsed, context)


def _remember_publish(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["minyi_publish"] = dict(params)


def _after_publish(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if _ACTIVE is not None:
        _ACTIVE.after_publish(context.get("minyi_publish") or {}, parsed)


_HOOKS: list[tuple[str, Callable[..., None]]] = [
    ("before-parameter-build.cognito-idp.AdminCreateUser", _before_admin_create_user),
    ("after-call.cognito-idp.AdminCreateUser", _after_admin_create_user),
    ("provide-client-params.sns.Publish", _remember_publish),  # the console echo owns before-parameter-build
    ("after-call.sns.Publish", _after_publish),
]
