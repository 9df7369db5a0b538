"""Admin API: the catalogue as data. GET the document in force, or the versions accepted so far (who,
when); PUT a whole new one (validated as a whole, `?dry_run=true` answers the difference only; each
accepted document is a new version).
Admins only (minyi.policy); the `minyi` CLI and the local runtime's seed use these routes."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.admin import (
    CatalogChangeView,
    CatalogHistoryView,
    CatalogVersionView,
    catalog_change_view,
    catalog_history_view,
    catalog_version_view,
)
from minyi.api.http import caller, create_app, resolve
from minyi.api.openapi import responses
from minyi.config import CatalogAdminSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.catalog_admin import CatalogAdminService

settings = CatalogAdminSettings.from_env()
app = create_app()

#: A catalogue document is bigger than a request (Shenzhen's is about 26 KB of JSON).
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024


@cache
def service() -> CatalogAdminService:
    return bootstrap.catalog_admin_service(settings)


@app.get(
    "/v1/admin/catalog",
    summary="Admin: the catalogue document in force, with its version",
    responses=responses(200, 404),
)
def get_catalog() -> CatalogVersionView:
    return catalog_version_view(service().current(caller(app)))


@app.get(
    "/v1/admin/catalog/versions",
    summary="Admin: every accepted catalogue version, newest first, with who accepted it and when",
    responses=responses(200),
)
def get_catalog_versions() -> CatalogHistoryView:
    return catalog_history_view(service().history(caller(app)))


@app.put(
    "/v1/admin/catalog",
    summary="Admin: a new catalogue document (whole), or its difference (dry run)",
    responses=responses(200, 409, body=True, description="What the document changes, and the version it became"),
)
def put_catalog(
    document: Annotated[dict[str, Any], Body(embed=False, description="the document, as data/catalog/*.yaml")],
    dry_run: Annotated[bool, Query()] = False,
) -> CatalogChangeView:
    return catalog_change_view(service().put(caller(app), document, dry_run=dry_run))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context, max_body_bytes=MAX_DOCUMENT_BYTES)
