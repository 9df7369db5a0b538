"""Admin API: Open311 API keys (issued once, listed, revoked) and the intake topic models (issue 18: the
stored versions with their held-out numbers, and which one is in force; promotion and rollback move the
pointer only). Admins only (minyi.policy)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.admin import ModelInForceView, ModelListView, model_in_force_view, model_list_view
from minyi.api.http import caller, create_app, resolve
from minyi.api.openapi import responses
from minyi.config import AdminSettings
from minyi.domain.model_registry import VERSION_PATTERN
from minyi.observability import logger, metrics, tracer
from minyi.open311.admin import IssuedKeyView, KeyList, KeyView, NewKeyBody, issued_view, key_view
from minyi.services.model_ops import ModelOps
from minyi.services.open311 import ApiKeyService

settings = AdminSettings.from_env()
app = create_app()


@cache
def service() -> ApiKeyService:
    return bootstrap.api_key_service(settings)


@cache
def models() -> ModelOps:
    return bootstrap.model_ops(settings)


ModelVersion = Annotated[str, Path(pattern=VERSION_PATTERN, description="a stored version (GET /v1/admin/models)")]


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


@app.get(
    "/v1/admin/models",
    summary="Admin: the intake topic model's versions with their held-out accuracy, and which is in force",
    responses=responses(),
)
def list_models() -> ModelListView:
    return model_list_view(models().models(caller(app)))


@app.post(
    "/v1/admin/models/<version>/promote",
    summary="Admin: put a stored topic model version in force",
    responses=responses(200, 404, body=True),
)
def promote_model(version: ModelVersion) -> ModelInForceView:
    return model_in_force_view(models().promote(caller(app), version))


@app.post(
    "/v1/admin/models/<version>/rollback",
    summary="Admin: put a topic model version trained before the one in force back in force",
    responses=responses(200, 404, 422, body=True),
)
def rollback_model(version: ModelVersion) -> ModelInForceView:
    return model_in_force_view(models().rollback(caller(app), version))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
