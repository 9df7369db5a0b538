"""Admin API: Open311 API keys (issued once, listed, revoked). Admins only (minyi.policy)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.http import caller, create_app, resolve
from minyi.api.openapi import responses
from minyi.config import AdminSettings
from minyi.observability import logger, metrics, tracer
from minyi.open311.admin import IssuedKeyView, KeyList, KeyView, NewKeyBody, issued_view, key_view
from minyi.services.open311 import ApiKeyService

settings = AdminSettings.from_env()
app = create_app()


@cache
def service() -> ApiKeyService:
    return bootstrap.api_key_service(settings)


@app.post(
    "/v1/admin/open311-keys",
    summary="Admin: issue an Open311 API key (answered once)",
    responses=responses(201, body=True, model=IssuedKeyView, description="The key, shown this once"),
)
def issue_key(body: NewKeyBody) -> Response[IssuedKeyView]:
    issued = issued_view(service().issue(caller(app), body.name))
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=issued)


@app.get(
    "/v1/admin/open311-keys",
    summary="Admin: the Open311 API keys (never the keys themselves)",
    responses=responses(),
)
def list_keys() -> KeyList:
    return KeyList(items=[key_view(k) for k in service().list_keys(caller(app))])


@app.delete(
    "/v1/admin/open311-keys/<key_id>", summary="Admin: revoke an Open311 API key", responses=responses(200, 404)
)
def revoke_key(key_id: Annotated[str, Path(max_length=32)]) -> KeyView:
    return key_view(service().revoke(caller(app), key_id))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
