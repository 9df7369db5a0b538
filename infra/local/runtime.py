"""The local runtime: embedded AWS from template.yaml, in-process Lambdas, a local API Gateway."""

from __future__ import annotations

import json
import os
from typing import Any

from infra.local.aws import EmbeddedAws
from infra.local.gateway import ROLES, LocalGateway, TokenIssuer, swagger_page
from infra.local.lambdas import LocalLambdas
from infra.local.template import Template

#: Environment variables of the local runtime that shrink time for demos (README: "Local time").
TIME_KNOBS = {
    "WORKING_DAY_SECONDS": None,  # a working day lasts this many seconds (unset: real working days)
    "RATING_WINDOW_SECONDS": "RatingWindowSeconds",
}

API_FUNCTIONS_ORDER = ("SubmitFunction", "RateFunction", "CasesFunction", "StatsFunction")


def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()


class LocalRuntime:
    def __init__(self, host: str = "127.0.0.1", port: int = 3000, region: str | None = None):
        self.host = host
        self.port = port
        self.region = region or os.environ.get("AWS_REGION") or "ap-east-1"
        for key, value in {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": os.environ.get("POWERTOOLS_METRICS_DISABLED", "true"),
            "POWERTOOLS_DEV": "false",
        }.items():
            os.environ[key] = value
        overrides = {param: os.environ[env] for env, param in TIME_KNOBS.items() if param and env in os.environ}
        self.template = Template(self.region, parameter_overrides=overrides)
        env_overrides = {k: os.environ[k] for k in TIME_KNOBS if k in os.environ}
        env_overrides["POWERTOOLS_LOG_LEVEL"] = os.environ.get("MINYI_LOG_LEVEL", "WARNING")
        self.aws = EmbeddedAws(self.template, host=host, port=int(os.environ.get("MOTO_PORT_LOCAL", "0")))
        self.lambdas = LocalLambdas(self.template, env_overrides)
        self.tokens = TokenIssuer()
        self.gateway: LocalGateway | None = None
        self.resources: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalRuntime:
        self.lambdas.install_botocore_hook()  # before any boto3 client exists
        self.aws.start()
        self.resources = self.aws.create_resources()
        self._seed()
        self.lambdas.warm_all()
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
            },
        )
        self.port = self.gateway.serve(self.host, self.port)
        return self

    def stop(self) -> None:
        if self.gateway:
            self.gateway.stop()
        self.aws.stop()

    def _seed(self) -> None:
        from minyi.adapters.dynamo import DynamoRepository
        from minyi.domain.catalog import shenzhen_catalog, shenzhen_units_and_rules

        _, rules = shenzhen_units_and_rules()
        DynamoRepository(self.resources["CasesTable"]).seed_catalog(shenzhen_catalog(), rules)

    # --- local-only endpoints ------------------------------------------------------------------

    def _issue_token(self, headers: dict[str, str], body: bytes, query: dict[str, list[str]]) -> Any:
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return _json(400, {"error": "bad_json", "message": "body is not JSON", "problems": []})
        problems = []
        if not isinstance(req, dict):
            req = {}
        if not isinstance(req.get("sub"), str) or not req.get("sub"):
            problems.append({"field": "sub", "problem": "required: the user id"})
        if req.get("role") not in ROLES:
            problems.append({"field": "role", "problem": f"one of {sorted(ROLES)}"})
        if req.get("role") == "staff" and not req.get("unit"):
            problems.append({"field": "unit", "problem": "staff tokens carry their unit id"})
        if problems:
            message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
            return _json(422, {"error": "validation_error", "message": message, "problems": problems})
        token = self.tokens.issue(req["sub"], req["role"], req.get("unit"), req.get("phone"))
        return _json(200, {"token": token})

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
