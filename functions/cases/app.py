"""Unit, dispatcher and supervisor API: inboxes, accept, reply, return, dispatch, classification, extensions,
supervision."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api import schemas, views
from minyi.api.http import caller, create_app, resolve
from minyi.api.openapi import STAFF_LINKS, responses
from minyi.config import CasesSettings
from minyi.domain.errors import InvalidInput
from minyi.domain.models import CallbackOutcome, CaseStatus, RatingScores
from minyi.observability import logger, metrics, tracer
from minyi.services.cases import CaseService
from minyi.services.hotline import HotlineService
from minyi.services.intake import IntakeService

settings = CasesSettings.from_env()
app = create_app()

CaseId = Annotated[str, Path(max_length=64)]


@cache
def service() -> CaseService:
    return bootstrap.case_service(settings)


@cache
def intake() -> IntakeService:
    return bootstrap.intake_service(settings)


@app.get(
    "/v1/cases/<case_id>/duplicates",
    summary="Open cases of the same topic within 300 m and 30 days this case may repeat (并单), best first",
    responses=responses(200, 404),
)
def duplicates(case_id: CaseId) -> schemas.DuplicateList:
    """Dispatchers, and the staff of the unit holding the case: descriptions with identifiers masked."""
    return views.duplicate_list(intake().duplicates(caller(app), case_id))


@app.get(
    "/v1/units/<unit_id>/cases",
    summary="A unit's open cases, most urgent deadline first",
    responses=responses(200, 404),
)
def unit_inbox(
    unit_id: Annotated[str, Path(max_length=64)],
    status: Annotated[CaseStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query()] = None,
    assignee: Annotated[
        Literal["me"] | None, Query(description="`me`: only the open cases given to the caller")
    ] = None,
    assist: Annotated[bool, Query(description="the open cases other units lead and this unit helps on (协办)")] = False,
) -> schemas.StaffCaseList:
    found = service().inbox(caller(app), unit_id, status, limit, cursor, mine=assignee == "me", assisting=assist)
    return views.staff_case_list(found, unit_id)


@app.get("/v1/units/<unit_id>/staff", summary="A unit's people a case may be given to", responses=responses(200, 404))
def unit_staff(unit_id: Annotated[str, Path(max_length=64)]) -> schemas.UnitStaff:
    return schemas.UnitStaff(
        items=[
            schemas.StaffMember(username=a.username, name=a.name) for a in service().unit_staff(caller(app), unit_id)
        ]
    )


@app.post(
    "/v1/cases/<case_id>/assignee",
    summary="The holding unit gives the case to one of its people",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def assign(case_id: CaseId, body: schemas.AssigneeBody) -> schemas.StaffCaseView:
    return views.staff_view(service().assign(caller(app), case_id, body.username))


@app.post(
    "/v1/cases/<case_id>/assist",
    summary="Ask other units to help (协办): they read the case and add notes; the lead unit answers",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def assist(case_id: CaseId, body: schemas.AssistBody) -> schemas.StaffCaseView:
    return views.staff_view(service().request_assist(caller(app), case_id, body.units, body.note))


@app.post(
    "/v1/cases/<case_id>/merge",
    summary="并单: the case is the same problem as another open case of its topic, handled there once; its "
    "reporter follows that case",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def merge(case_id: CaseId, body: schemas.MergeBody) -> schemas.StaffCaseView:
    return views.staff_view(service().merge(caller(app), case_id, body.into, body.reason))


@app.post(
    "/v1/cases/<case_id>/unmerge",
    summary="Supervisor: undo a merge; the case is routed again and its reporter stops following the other",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def unmerge(case_id: CaseId, body: schemas.UnmergeBody) -> schemas.StaffCaseView:
    return views.staff_view(service().unmerge(caller(app), case_id, body.reason))


@app.get(
    "/v1/cases/<case_id>", summary="A case as its unit sees it", responses=responses(200, 404, 409, links=STAFF_LINKS)
)
def get_case(
    case_id: CaseId,
    reveal: Annotated[
        Literal["phone"] | None,
        Query(description="supervisors: `phone` shows the citizen's full number (recorded in the staff timeline)"),
    ] = None,
) -> schemas.StaffCaseView:
    return views.staff_view(service().staff_case(caller(app), case_id, reveal_phone=reveal == "phone"))


@app.get(
    "/v1/cases/<case_id>/timeline",
    summary="Every event of a case with the notes staff wrote",
    responses=responses(200, 404),
)
def get_staff_timeline(case_id: CaseId) -> schemas.StaffTimeline:
    return views.staff_timeline(service().staff_timeline(caller(app), case_id))


@app.post(
    "/v1/cases/<case_id>/accept",
    summary="Take up a dispatched, reopened or supervised case",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def accept(case_id: CaseId) -> schemas.StaffCaseView:
    return views.staff_view(service().accept(caller(app), case_id))


@app.post(
    "/v1/cases/<case_id>/reply",
    summary="Answer the citizen (completes this round)",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def reply(case_id: CaseId, body: schemas.ReplyBody) -> schemas.StaffCaseView:
    return views.staff_view(service().reply(caller(app), case_id, body.message, body.attachments))


@app.post(
    "/v1/cases/<case_id>/return",
    summary="Misrouted: back to the dispatch centre",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def return_case(case_id: CaseId, body: schemas.ReturnBody) -> schemas.StaffCaseView:
    return views.staff_view(service().return_case(caller(app), case_id, body.reason))


@app.post(
    "/v1/cases/<case_id>/dispatch",
    summary="Dispatcher: send a queued or returned case to a unit, or transfer (改派) one a unit holds",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def dispatch(case_id: CaseId, body: schemas.DispatchBody) -> schemas.StaffCaseView:
    return views.staff_view(service().dispatch(caller(app), case_id, body.unit_id, body.reason, body.urgent))


@app.post(
    "/v1/cases/<case_id>/classification",
    summary="Dispatcher: correct a case's topic and/or district, with a reason (the case stays where it is)",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def correct_classification(case_id: CaseId, body: schemas.ClassificationBody) -> schemas.StaffCaseView:
    return views.staff_view(
        service().correct_classification(caller(app), case_id, body.topic, body.district, body.reason)
    )


@app.post(
    "/v1/cases/<case_id>/notes",
    summary="An internal note (staff views only)",
    responses=responses(200, 404, 409, body=True),
)
def add_note(case_id: CaseId, body: schemas.NoteBody) -> schemas.StaffTimeline:
    return views.staff_timeline(service().add_note(caller(app), case_id, body.text))


@app.post(
    "/v1/cases/<case_id>/supervision",
    summary="Supervisor: instructions and a deadline for the unit",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def instruct(case_id: CaseId, body: schemas.InstructionBody) -> schemas.StaffCaseView:
    return views.staff_view(service().instruct(caller(app), case_id, body.instructions, body.due_in_days))


@app.get("/v1/units", summary="The unit directory (dispatchers, supervisors)", responses=responses())
def unit_directory(
    district: Annotated[str | None, Query(max_length=64)] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
) -> schemas.UnitDirectory:
    return views.unit_directory(service().units(caller(app), district, topic))


@app.post(
    "/v1/cases/<case_id>/extension",
    summary="Staff: ask for more working days",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def request_extension(case_id: CaseId, body: schemas.ExtensionBody) -> schemas.StaffCaseView:
    return views.staff_view(service().request_extension(caller(app), case_id, body.days, body.reason))


@app.post(
    "/v1/cases/<case_id>/extension/decision",
    summary="Supervisor: approve or refuse an extension",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def decide_extension(case_id: CaseId, body: schemas.ExtensionDecisionBody) -> schemas.StaffCaseView:
    return views.staff_view(service().decide_extension(caller(app), case_id, body.approve, body.note))


@app.get("/v1/supervision", summary="Supervisor: the cases that need one, each with its reasons", responses=responses())
def supervision(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query()] = None
) -> schemas.SupervisionList:
    return views.supervision_list(service().supervision(caller(app), limit, cursor))


@cache
def hotline() -> HotlineService:
    return bootstrap.hotline_service(settings)


@app.get(
    "/v1/knowledge", summary="Search the knowledge base (operators, desks), best match first", responses=responses()
)
def knowledge(
    q: Annotated[str, Query(max_length=100, description="words of the question, Chinese or not")] = "",
    topic: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> schemas.KnowledgeList:
    return views.knowledge_list(hotline().knowledge(caller(app), q, topic, limit))


@app.get("/v1/reply-templates", summary="Reply templates for a unit's answer (staff)", responses=responses())
def reply_templates(topic: Annotated[str | None, Query(max_length=64)] = None) -> schemas.ReplyTemplateList:
    return views.reply_template_list(hotline().reply_templates(caller(app), topic))


@app.get(
    "/v1/callbacks",
    summary="回访: hotline replies waiting for the caller's rating, oldest first (operators)",
    responses=responses(),
)
def callbacks(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query()] = None
) -> schemas.CallbackList:
    return views.callback_list(hotline().callbacks(caller(app), limit, cursor))


@app.post(
    "/v1/cases/<case_id>/callback",
    summary="回访: record a call to the caller (rated counts as their rating; 3 unreachable days close it)",
    responses=responses(200, 404, 409, body=True, links=STAFF_LINKS),
)
def record_callback(case_id: CaseId, body: schemas.CallbackBody) -> schemas.StaffCaseView:
    scores = body.model_dump(exclude={"outcome", "comment"})
    given = {k: v for k, v in scores.items() if v is not None}
    card = None
    if given:
        missing = [k for k, v in scores.items() if v is None]
        if missing:
            raise InvalidInput(missing[0], "error.callback_needs_four_scores")
        card = RatingScores.model_construct(**given)  # validated once, as the body's scores

    result = hotline().callback(caller(app), case_id, CallbackOutcome(body.outcome), card, body.comment)
    return views.staff_view(result)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
