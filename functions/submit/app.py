"""Citizen API: submit requests, attach media, follow cases, public tracking, the catalogue."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api import schemas, views
from minyi.api.http import caller, client_address, create_app, resolve
from minyi.api.i18n import DEFAULT_LANGUAGE
from minyi.api.idempotency import IdempotentSubmit
from minyi.api.openapi import CASE_LINKS, error_response, responses
from minyi.config import CitizenApiSettings
from minyi.domain.errors import InvalidInput
from minyi.domain.models import Actor, CaseStatus, Location
from minyi.observability import logger, metrics, tracer
from minyi.services.intake import IntakeQuery, IntakeService
from minyi.services.requests import RequestService
from minyi.services.results import NewRequest

settings = CitizenApiSettings.from_env()
app = create_app()

IDEMPOTENCY_KEY_MAX = 128
TRACK_PROOF = "error.tracking_proof"


@cache
def service() -> RequestService:
    return bootstrap.request_service(settings)


def _submit(citizen: Actor, body: schemas.SubmitRequestBody) -> schemas.CaseCreated:
    request = NewRequest.model_validate(
        {
            **body.model_dump(),
            "phone": body.phone or "",
            "language": body.language or citizen.language or DEFAULT_LANGUAGE,
        }
    )
    return views.created(service().submit(citizen, request))


@cache
def intake() -> IntakeService:
    """The request service's own smart intake (one catalogue cache for both)."""
    wired = service().intake
    if wired is None:  # bootstrap always wires one
        raise RuntimeError("the request service has no intake service")
    return wired


@cache
def idempotent_submit() -> IdempotentSubmit:
    return IdempotentSubmit(bootstrap.idempotency_store(settings), _submit)


@app.post(
    "/v1/requests",
    summary="Submit a request (citizen)",
    responses=responses(
        201, 409, 503, body=True, model=schemas.CaseCreated, description="The case is filed", links=CASE_LINKS
    ),
)
def submit_request(body: schemas.SubmitRequestBody) -> Response[schemas.CaseCreated]:
    """Optional `Idempotency-Key` header: the same key and body return the same case."""
    citizen = caller(app)
    key = app.current_event.headers.get("Idempotency-Key") or app.current_event.headers.get("idempotency-key")
    if key is not None and not (1 <= len(key) <= IDEMPOTENCY_KEY_MAX):
        raise InvalidInput("Idempotency-Key", "error.idempotency_key_length", max=IDEMPOTENCY_KEY_MAX)
    created = idempotent_submit()(citizen, body, key, app.lambda_context) if key else _submit(citizen, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


@app.post(
    "/v1/intake/suggestions",
    summary="While writing: the topics the text suggests, the district, and open cases it may repeat",
    responses=responses(200, body=True),
)
def intake_suggestions(body: schemas.IntakeSuggestionBody) -> schemas.IntakeSuggestions:
    """Citizens, operators, dispatchers, staff and supervisors. `lat` and `lon` come together; citizens
    and operators read near cases as the topic, the district and how long ago, staff read them masked."""
    if (body.lat is None) != (body.lon is None):
        raise InvalidInput("lon" if body.lon is None else "lat", "error.lat_lon_together")
    location = Location(lat=body.lat, lon=body.lon) if body.lat is not None and body.lon is not None else None
    query = IntakeQuery(description=body.description, topic=body.topic, location=location, address=body.address)
    return views.intake_suggestions(intake().suggest(caller(app), query))


@app.get("/v1/requests", summary="The caller's own requests, newest first", responses=responses())
def list_requests(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query()] = None,
    status: Annotated[CaseStatus | None, Query()] = None,
) -> schemas.CaseList:
    return views.case_list(service().list_own(caller(app), limit, cursor, status))


@app.get("/v1/requests/<case_id>", summary="One of the caller's requests", responses=responses(200, 404))
def get_request(case_id: Annotated[str, Path(max_length=64)]) -> schemas.CaseView:
    return views.owner_view(service().own_case(caller(app), case_id))


@app.get("/v1/requests/<case_id>/timeline", summary="Every step of the caller's request", responses=responses(200, 404))
def get_timeline(case_id: Annotated[str, Path(max_length=64)]) -> schemas.Timeline:
    return views.owner_timeline(service().timeline(caller(app), case_id))


@app.post(
    "/v1/requests/<case_id>/withdraw",
    summary="Withdraw a request the unit has not answered yet",
    responses=responses(200, 404, 409, body=True),
)
def withdraw(case_id: Annotated[str, Path(max_length=64)], body: schemas.WithdrawBody) -> schemas.CaseView:
    return views.owner_view(service().withdraw(caller(app), case_id, body.reason))


@app.post(
    "/v1/requests/<case_id>/supplements",
    summary="Add information (text, media) to an open request",
    responses=responses(200, 404, 409, body=True),
)
def supplement(case_id: Annotated[str, Path(max_length=64)], body: schemas.SupplementBody) -> schemas.CaseView:
    return views.owner_view(service().supplement(caller(app), case_id, body.text, body.attachments))


#: The track route's 403 and 429, as they read there (a public route has no role to refuse).
TRACK_RESPONSES = responses(200, 403, 404, 429, public=True)
TRACK_RESPONSES[403] = {
    **error_response(403),
    "description": "`verification_required`: the number collected too many wrong guesses lately, so the "
    "phone's last four digits alone are refused for 15 minutes; sign in, or use the code `t` from the SMS",
}
TRACK_RESPONSES[429] = {
    **error_response(429),
    "description": "`too_many_attempts`: this client made 5 wrong guesses within 15 minutes and may not track "
    "for 15 minutes, even with the right digits; retry after `Retry-After` seconds",
}


@app.get(
    "/v1/track/<tracking_no>",
    summary="Public tracking by number and the phone's last four digits, or the code from the SMS",
    responses=TRACK_RESPONSES,
)
def track(
    tracking_no: Annotated[str, Path(max_length=32)],
    phone_last4: Annotated[str | None, Query(pattern=r"^[0-9]{4}$")] = None,
    t: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> schemas.PublicTracking:
    """Exactly one proof: `phone_last4`, or `t`, the code of the rating link in the case's SMS. Wrong
    guesses count per client (CloudFront's viewer address, else the source IP) and per number."""
    if (phone_last4 is None) == (t is None):
        raise InvalidInput("phone_last4", TRACK_PROOF)
    found = service().track(tracking_no, client_address(app), phone_last4=phone_last4, token=t)
    return views.public_tracking(found)


@app.post(
    "/v1/track/<tracking_no>/follow",
    summary="Me too (我也遇到): follow an open case instead of filing another (its reply and closure by SMS, "
    "and a say in its rating)",
    responses=responses(200, 404, 409, body=True),
)
def follow(tracking_no: Annotated[str, Path(max_length=32)]) -> schemas.FollowView:
    case = service().follow(caller(app), tracking_no)
    return schemas.FollowView(tracking_no=case.tracking_no, status=case.status, topic=case.topic)


@app.get("/v1/catalog", summary="Categories, topics and districts", responses=responses(public=True))
def catalog() -> schemas.CatalogView:
    return views.catalog_view(service().catalog_snapshot())


@app.post(
    "/v1/uploads",
    summary="A presigned upload for a photo, voice or video attachment",
    responses=responses(201, body=True, model=schemas.UploadTicket, description="Upload with this presigned POST"),
)
def new_upload(body: schemas.UploadRequest) -> Response[schemas.UploadTicket]:
    ticket = views.upload_ticket(service().new_upload(caller(app), body.content_type, body.size))
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=ticket)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
