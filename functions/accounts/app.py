"""Admin API: staff accounts (staff, dispatchers, supervisors, operators, admins) in the user pool.
Created only here, listed, disabled. Admins only (minyi.policy)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.admin import NewStaffBody, StaffList, StaffView, staff_view
from minyi.api.http import caller, create_app, resolve
from minyi.api.openapi import responses
from minyi.config import AccountsSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.accounts import AccountService

settings = AccountsSettings.from_env()
app = create_app()


@cache
def service() -> AccountService:
    return bootstrap.account_service(settings)


@app.post(
    "/v1/admin/staff",
    summary="Admin: create a staff account (texted a temporary password)",
    responses=responses(201, 409, body=True, model=StaffView, description="The account (409: the phone has one)"),
)
def create_staff(body: NewStaffBody) -> Response[StaffView]:
    account = staff_view(service().create_staff(caller(app), body.command()))
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=account)


@app.get("/v1/admin/staff", summary="Admin: every staff account", responses=responses())
def list_staff() -> StaffList:
    return StaffList(items=[staff_view(a) for a in service().list_staff(caller(app))])


@app.post(
    "/v1/admin/staff/<username>/disable",
    summary="Admin: disable a staff account and end its sessions",
    responses=responses(200, 404, 409, body=True),
)
def disable_staff(username: Annotated[str, Path(min_length=1, max_length=128)]) -> StaffView:
    return staff_view(service().disable(caller(app), username))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
