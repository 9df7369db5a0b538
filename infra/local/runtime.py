"""The local runtime: embedded AWS from template.yaml, in-process Lambdas, a local API Gateway."""

from __future__ import annotations

import functools
import json
import os
import re
import socket
from typing import Any

from infra.local import accounts, cognito_sms, moto_patches
from infra.local.aws import EmbeddedAws
from infra.local.gateway import LocalGateway, TokenIssuer, swagger_page
from infra.local.lambdas import LocalLambdas
from infra.local.schedules import LocalScheduler
from infra.local.streams import StreamPoller
from infra.local.template import Template

#: Environment variables of the local runtime that shrink time for demos (README: "Local time").
TIME_KNOBS = {
    "WORKING_DAY_SECONDS": None,  # a working day lasts this many seconds (unset: real working days)
    "RATING_WINDOW_SECONDS": "RatingWindowSeconds",
    "LOCAL_SCHEDULE_SECONDS": None,  # how often scheduled functions (the sweep) run locally; default 10
}


#: What a console line must not show of an SMS: a link's token or code (`?t=...`, `&code=...`), and a
#: code or password that follows its name ("验证码 123456", "temporary password: Xy7...").
_SECRET_IN_LINK = re.compile(r"([?&](?:t|token|code|sig|signature)=)[^&#\s]+", re.IGNORECASE)
_SECRET_AFTER_NAME = re.compile(
    r"((?:验证码|校验码|动态码|临时密码|密码|code|password|passcode)\s*(?:is|为|是)?\s*[:：]?\s*)"
    r"[A-Za-z0-9!#$%&*+\-.=?@^_~]{4,}",
    re.IGNORECASE,
)
MASK = "****"


def console_sms(phone: str, message: str) -> str:
    """The console's line for an SMS: phone numbers masked, and so are the tokens and codes it carries
    (whoever reads the console or its log must not be able to rate, sign in or track in the citizen's place).
    `/local/sms` keeps the full text: it stands for the phone itself, and the tests follow its links."""
    from minyi.domain.phone import mask_phone, mask_phones_in_text

    text = _SECRET_IN_LINK.sub(lambda m: m.group(1) + MASK, message)
    text = _SECRET_AFTER_NAME.sub(lambda m: m.group(1) + MASK, text)
    return f"SMS -> {mask_phone(phone)}: {mask_phones_in_text(text)}"


def _print_sms_on_publish() -> None:
    """The console shows every SMS as it is handed to (embedded) SNS, phone, tokens and codes masked."""
    import botocore.handlers

    def show(params: dict[str, Any], **_: Any) -> None:
        if params.get("PhoneNumber"):
            print(console_sms(params["PhoneNumber"], params.get("Message", "")), flush=True)

    hook = ("before-parameter-build.sns.Publish", show)
    if not any(h[0] == hook[0] for h in botocore.handlers.BUILTIN_HANDLERS):
        botocore.handlers.BUILTIN_HANDLERS.append(hook)


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


class LocalRuntime:
    """`port=0` binds a free port up front and keeps it: the rating SMS links to the runtime's own
    address, which the functions' settings carry from the start. `print_sms=False` keeps the SMS off the console (the
    benchmark's)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3000, region: str | None = None, *, print_sms: bool = True):
        self.host = host
        # port 0: bound now (and served on at start), so no other process can take it meanwhile
        self._listener = socket.create_server((host, 0)) if port == 0 else None
        self.port = int(self._listener.getsockname()[1]) if self._listener else port
        self.print_sms = print_sms
        self.region = region or os.environ.get("AWS_REGION") or "ap-east-1"
        for key, value in {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "POWERTOOLS_TRACE_DISABLED": "true",
            # no CloudWatch to read EMF here; the console shows SMS and errors, not metric JSON
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_DEV": "false",
        }.items():
            os.environ[key] = value
        overrides = {param: os.environ[env] for env, param in TIME_KNOBS.items() if param and env in os.environ}
        # the rating SMS links to this runtime's own web app (`/r/<tracking no>?t=...`)
        overrides["RatingLinkBase"] = f"http://{host}:{self.port}"
        self.template = Template(self.region, parameter_overrides=overrides)
        env_overrides = {k: os.environ[k] for k in TIME_KNOBS if k in os.environ}
        env_overrides["POWERTOOLS_LOG_LEVEL"] = os.environ.get("MINYI_LOG_LEVEL", "WARNING")
        self.aws = EmbeddedAws(self.template, host=host, port=int(os.environ.get("MOTO_PORT_LOCAL", "0")))
        self.lambdas = LocalLambdas(self.template, env_overrides)
        self.tokens = TokenIssuer()
        self.refresh_tokens = accounts.RefreshTokens()
        self.gateway: LocalGateway | None = None
        self.resources: dict[str, str] = {}
        self.seeded = ""
        self.streams: StreamPoller | None = None
        self.scheduler: LocalScheduler | None = None
        self.cognito_sms: cognito_sms.CognitoSms | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalRuntime:
        self.lambdas.install_botocore_hook()  # before any boto3 client exists
        moto_patches.install()
        self.aws.start()
        self.resources = self.aws.create_resources()
        pools = accounts.create_user_pools(self.template)
        self.resources.update(pools)
        self.lambdas.env_overrides.update(accounts.pool_environment(self.template, pools))
        self.tokens.use_pools(pools["UserPool"], pools["StaffUserPool"])
        # the pools' codes go through SmsSenderFunction under the local CodeKey, as Cognito sends them
        keys = cognito_sms.create_code_keys(self.template)
        self.resources.update(keys)
        self.lambdas.env_overrides.update(cognito_sms.key_environment(self.template, keys))
        self.cognito_sms = cognito_sms.CognitoSms(self.lambdas, keys["CodeKey"], pools)
        self.cognito_sms.install()
        self.lambdas.warm_all()
        if self.print_sms:
            _print_sms_on_publish()
        self.streams = StreamPoller(self.template, self.lambdas, self.resources)
        self.streams.start()
        self.scheduler = LocalScheduler(
            self.template, self.lambdas, float(os.environ.get("LOCAL_SCHEDULE_SECONDS", "10"))
        )
        self.scheduler.start()
        self.gateway = LocalGateway(
            self.lambdas,
            self.tokens,
            {
                ("POST", "/local/tokens"): self._issue_token,
                ("GET", "/openapi.json"): lambda *_: _json(200, self.openapi()),
                ("GET", "/swagger"): lambda *_: (
                    200,
                    {"Content-Type": "text/html"},
                    swagger_page(self.openapi()).encode(),
                ),
                ("GET", "/local/health"): lambda *_: _json(200, {"status": "ok"}),
                ("GET", "/local/sms"): self._sms,
                ("GET", "/local/dlq"): lambda *_: _json(200, self.dead_letters()),
                ("POST", "/local/replay-dlq"): lambda *_: _json(200, self.replay_dead_letters()),
                ("POST", "/local/schedules/run"): lambda *_: _json(200, {"results": self._fire_schedules()}),
            },
        )
        self.seeded = self._seed()  # through the admin API, before anyone else can call it
        self.port = self.gateway.serve(self.host, self.port, listener=self._listener)
        return self

    def _fire_schedules(self) -> list[Any]:
        assert self.scheduler is not None
        return self.scheduler.fire()

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()
        if self.streams:
            self.streams.stop()
        if self.gateway:
            self.gateway.stop()
        elif self._listener is not None:  # never served: give the port back
            self._listener.close()
        self.aws.stop()

    def _seed(self) -> str:
        """The catalogue MINYI_SEED names, loaded as `minyi catalog import` loads it (none: start empty)."""
        assert self.gateway is not None
        gateway = self.gateway

        def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[int, bytes]:
            status, _, data = gateway.handle(method, path, headers, body or b"", "127.0.0.1")
            return status, data

        return accounts.seed_catalog(send, self.tokens.issue("minyi-seed", "admin", None, None, ttl=300))

    # --- local-only endpoints ------------------------------------------------------------------

    def _issue_token(self, headers: dict[str, str], body: bytes, query: dict[str, list[str]]) -> Any:
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return _json(400, {"error": "bad_json", "message": "body is not JSON", "problems": []})
        if not isinstance(req, dict):
            req = {}
        pools = {k: self.resources[k] for k in self.template.of_type("AWS::Cognito::UserPool")}
        return _json(*accounts.token_answer(req, pools, self.tokens.issue, self.refresh_tokens))

    def sent_sms(self, phone: str | None = None) -> list[dict[str, Any]]:
        """Every SMS sent: the notify function's (its outbox) and the user pools' codes and temporary
        passwords (`kind` "account", what SmsSenderFunction published), oldest first."""
        from minyi.adapters.dynamo import DynamoOutboxRepository, Table

        entries = DynamoOutboxRepository(Table(self.resources["CasesTable"])).sent()
        account = self.cognito_sms.sent() if self.cognito_sms else []
        if phone:
            digits = "".join(ch for ch in phone if ch.isdigit())
            entries = [e for e in entries if e.to.endswith(digits[-11:])]
            account = [m for m in account if str(m["to"]).endswith(digits[-11:])]
        notices = [
            {
                "to": e.to,
                "body": e.body,
                "case_id": e.case_id,
                "event": e.event_type,
                "event_seq": e.event_seq,
                "kind": e.kind,
                "segments": e.segments,
                "sent_at": e.sent_at.isoformat() if e.sent_at else None,
                "provider_message_id": e.provider_message_id,
            }
            for e in entries
        ]
        return sorted(notices + account, key=lambda m: str(m["sent_at"] or ""))

    def _sms(self, headers: dict[str, str], body: bytes, query: dict[str, list[str]]) -> Any:
        phone = query.get("phone", [])
        return _json(200, {"messages": self.sent_sms(phone[-1] if phone else None)})

    def dead_letters(self) -> dict[str, Any]:
        import boto3

        sqs = boto3.client("sqs")
        depth = {}
        for logical_id in self.template.of_type("AWS::SQS::Queue"):
            attrs = sqs.get_queue_attributes(
                QueueUrl=self.resources[logical_id],
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            depth[logical_id] = int(attrs["ApproximateNumberOfMessages"]) + int(
                attrs["ApproximateNumberOfMessagesNotVisible"]
            )
        return {"queues": depth}

    def replay_dead_letters(self) -> dict[str, Any]:
        from infra.replay_dlq import replay

        results = {}
        assert self.streams is not None
        for mapping in self.streams.mappings:
            if mapping.on_failure_queue:
                invoke = functools.partial(self.lambdas.invoke, mapping.function)
                queue = self.resources[mapping.on_failure_queue]
                results[mapping.function] = replay(queue, invoke, mapping.wanted, self.region)
        return results

    def openapi(self) -> dict[str, Any]:
        """One OpenAPI document for every route in the template, from each function's resolver."""
        spec: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {"title": "Minyi API (民意速办)", "version": "1.0.0"},
            "servers": [{"url": self.base_url}],
            "paths": {},
            "components": {
                "schemas": {},
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            },
            "security": [{"bearer": []}],
        }
        public_paths = {r.path for s in self.lambdas.specs.values() for r in s.routes if r.public}
        for name in self.lambdas.specs:
            module = self.lambdas.module(name)
            app = getattr(module, "app", None)
            if app is None or not hasattr(app, "get_openapi_json_schema"):
                continue
            doc = json.loads(app.get_openapi_json_schema(title="Minyi"))
            for path, ops in doc.get("paths", {}).items():
                if path in public_paths:
                    for op in ops.values():
                        op["security"] = []
                spec["paths"].setdefault(path, {}).update(ops)
            spec["components"]["schemas"].update(doc.get("components", {}).get("schemas", {}))
        return spec
