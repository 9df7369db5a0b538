"""Citizen API: submit requests, attach media, follow cases, public tracking, the catalogue."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi.adapters.dynamo import DynamoRepository
from minyi.adapters.storage import AttachmentStore
from minyi.adapters.workflow import CaseWorkflow
from minyi.api import schemas
from minyi.api.http import caller, create_app, require_role
from minyi.config import ApiSettings
from minyi.domain.errors import InvalidInput
from minyi.domain.models import Role
from minyi.observability import logger, metrics, tracer
from minyi.services.idempotency import IdempotentSubmit
from minyi.services.requests import RequestService

settings = ApiSettings.from_env()
app = create_app()


@cache
def service() -> RequestService:
    return RequestService(
        repo=DynamoRepository(settings.table_name),
        store=AttachmentStore(settings.attachments_bucket),
        workflow=CaseWorkflow(settings.state_machine_arn),
        upload_ttl=settings.upload_url_ttl_seconds,
        download_ttl=settings.download_url_ttl_seconds,
    )


@cache
def idempotent_submit() -> IdempotentSubmit:
    return IdempotentSubmit(settings.idempotency_table, service().submit)


@app.post("/v1/requests", summary="Submit a request (citizen)")
def submit_request(body: schemas.SubmitRequestBody) -> Response[schemas.CaseCreated]:
    """Optional `Idempotency-Key` header: the same key and body return the same case."""
    citizen = caller(app)
    require_role(citizen, Role.CITIZEN)
    key = app.current_event.headers.get("Idempotency-Key") or app.current_event.headers.get("idempotency-key")
    if key is not None and not (1 <= len(key) <= 128):
        raise InvalidInput("Idempotency-Key", "must be 1 to 128 characters")
    created = idempotent_submit()(citizen, body, key, app.lambda_context) if key else service().submit(citizen, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


@app.get("/v1/requests", summary="The caller's own requests, newest first")
def list_requests(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query()] = None
) -> schemas.CaseList:
    citizen = caller(app)
    return service().list_own(citizen, limit, cursor)


@app.get("/v1/requests/<case_id>", summary="One of the caller's requests")
def get_request(case_id: Annotated[str, Path(max_length=64)]) -> schemas.CaseView:
    svc = service()
    return svc.case_view(svc.own_case(caller(app), case_id))


@app.get("/v1/requests/<case_id>/timeline", summary="Every step of the caller's request")
def get_timeline(case_id: Annotated[str, Path(max_length=64)]) -> schemas.Timeline:
    return service().timeline(caller(app), case_id)


@app.get("/v1/track/<tracking_no>", summary="Public tracking by number and the phone's last four digits")
def track(
    tracking_no: Annotated[str, Path(max_length=32)],
    phone_last4: Annotated[str, Query(pattern=r"^[0-9]{4}$")],
) -> schemas.PublicTracking:
    return service().track(tracking_no, phone_last4)


@app.get("/v1/catalog", summary="Categories, topics and districts")
def catalog() -> schemas.CatalogView:
    return service().catalog_view()


@app.post("/v1/uploads", summary="A presigned upload for a photo, voice or video attachment")
def new_upload(body: schemas.UploadRequest) -> Response[schemas.UploadTicket]:
    citizen = caller(app)
    require_role(citizen, Role.CITIZEN)
    ticket = service().new_upload(citizen, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=ticket)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
