"""Unit, dispatcher and supervisor API: inboxes, accept, reply, return, dispatch, extensions, supervision."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi.api import schemas
from minyi.api.http import caller, create_app, require_role
from minyi.config import WorkflowSettings
from minyi.domain.models import CaseStatus, Role
from minyi.observability import logger, metrics, tracer
from minyi.services.cases import CaseService
from minyi.services.views import staff_view

settings = WorkflowSettings.from_env()
app = create_app()

CaseId = Annotated[str, Path(max_length=64)]
STAFF_ROLES = (Role.STAFF, Role.DISPATCHER, Role.SUPERVISOR)


@cache
def service() -> CaseService:
    return CaseService.from_settings(settings)


def _view(case: Any) -> schemas.StaffCaseView:
    return staff_view(case, service().catalog)


@app.get("/v1/units/<unit_id>/cases", summary="A unit's open cases, most urgent deadline first")
def unit_inbox(
    unit_id: Annotated[str, Path(max_length=64)],
    status: Annotated[CaseStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query()] = None,
) -> schemas.CaseList:
    actor = caller(app)
    require_role(actor, *STAFF_ROLES)
    return service().inbox(actor, unit_id, status, limit, cursor)


@app.get("/v1/cases/<case_id>", summary="A case as its unit sees it")
def get_case(case_id: CaseId) -> schemas.StaffCaseView:
    actor = caller(app)
    require_role(actor, *STAFF_ROLES)
    svc = service()
    case = svc.staff_case(actor, case_id)
    return staff_view(case, svc.catalog, svc.store.repo.outbox(case.id))


@app.post("/v1/cases/<case_id>/accept", summary="Take up a dispatched, reopened or supervised case")
def accept(case_id: CaseId) -> schemas.StaffCaseView:
    actor = caller(app)
    require_role(actor, Role.STAFF, Role.SUPERVISOR)
    return _view(service().accept(actor, case_id))


@app.post("/v1/cases/<case_id>/reply", summary="Answer the citizen (completes this round)")
def reply(case_id: CaseId, body: schemas.ReplyBody) -> schemas.StaffCaseView:
    actor = caller(app)
    require_role(actor, Role.STAFF, Role.SUPERVISOR)
    return _view(service().reply(actor, case_id, body.message))


@app.post("/v1/cases/<case_id>/return", summary="Misrouted: back to the dispatch centre")
def return_case(case_id: CaseId, body: schemas.ReturnBody) -> schemas.StaffCaseView:
    actor = caller(app)
    require_role(actor, Role.STAFF)
    return _view(service().return_case(actor, case_id, body.reason))


@app.post("/v1/cases/<case_id>/dispatch", summary="Dispatcher: send a queued or returned case to a unit")
def dispatch(case_id: CaseId, body: schemas.DispatchBody) -> schemas.StaffCaseView:
    actor = caller(app)
    require_role(actor, Role.DISPATCHER)
    return _view(service().dispatch(actor, case_id, body.unit_id))


@app.post("/v1/cases/<case_id>/extension", summary="Staff: ask for more working days")
def request_extension(case_id: CaseId, body: schemas.ExtensionBody) -> schemas.StaffCaseView:
    actor = caller(app)
    require_role(actor, Role.STAFF)
    return _view(service().request_extension(actor, case_id, body.days, body.reason))


@app.post("/v1/cases/<case_id>/extension/decision", summary="Supervisor: approve or refuse an extension")
def decide_extension(case_id: CaseId, body: schemas.ExtensionDecisionBody) -> schemas.StaffCaseView:
    actor = caller(app)
    require_role(actor, Role.SUPERVISOR)
    return _view(service().decide_extension(actor, case_id, body.approve, body.note))


@app.get("/v1/supervision", summary="Supervisor: overdue, supervised and extension-pending cases")
def supervision(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query()] = None
) -> schemas.CaseList:
    actor = caller(app)
    require_role(actor, Role.SUPERVISOR)
    return service().supervision(limit, cursor)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
