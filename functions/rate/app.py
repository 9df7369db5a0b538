"""Citizen rating of a reply on four dimensions (speed, effectiveness, experience, feedback quality)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api import schemas, views
from minyi.api.http import caller, client_address, create_app, resolve
from minyi.api.openapi import responses
from minyi.config import RateSettings
from minyi.domain.errors import InvalidInput
from minyi.observability import logger, metrics, tracer
from minyi.services.cases import CaseService
from minyi.services.rating_links import LinkRating

settings = RateSettings.from_env()
app = create_app()


@cache
def service() -> CaseService:
    return bootstrap.case_service(settings)


@app.post(
    "/v1/requests/<case_id>/rating",
    summary="Rate the reply (owner only, once per round)",
    responses=responses(200, 404, 409, body=True),
)
def rate(case_id: Annotated[str, Path(max_length=64)], body: schemas.RatingBody) -> schemas.CaseView:
    return views.owner_view(service().rate(caller(app), case_id, body))


@cache
def link_rating() -> LinkRating:
    return bootstrap.link_rating(settings)


#: Rating without signing in takes exactly one proof.
RATING_PROOF = "error.rating_proof"
RATING_RESPONSES = responses(200, 404, 429, public=True)
RATING_RESPONSES[429] = {
    **RATING_RESPONSES[429],
    "description": "`too_many_attempts`: 5 wrong codes for this number within the hour (its code is refused for "
    "an hour), or 5 wrong guesses from this client within 15 minutes; retry after `Retry-After` seconds",
}

RATE_RESPONSES = responses(200, 404, 409, 429, public=True, body=True)
RATE_RESPONSES[429] = RATING_RESPONSES[429]


def _proof(field: str, code: str | None, token: str | None) -> str:
    if (code is None) == (token is None):
        raise InvalidInput(field, RATING_PROOF)
    return code if code is not None else str(token)


@app.get(
    "/v1/track/<tracking_no>/rating",
    summary="The rating page, before the form: does the answer still wait for this rating?",
    responses=RATING_RESPONSES,
)
def rating_link_state(
    tracking_no: Annotated[str, Path(max_length=32)],
    code: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description="the 6-digit rating code from the SMS")
    ] = None,
    t: Annotated[
        str | None, Query(min_length=1, max_length=64, description="the `t` of an earlier SMS's link (instead of code)")
    ] = None,
) -> schemas.RatingLinkState:
    proof = _proof("code", code, t)
    return views.rating_link_state(link_rating().state(tracking_no, proof, client_address(app)))


@app.post(
    "/v1/track/<tracking_no>/rating",
    summary="Rate with the tracking number and the SMS's code, without signing in (once per round); the answer: "
    "the status and round",
    responses=RATE_RESPONSES,
)
def rate_by_link(
    tracking_no: Annotated[str, Path(max_length=32)], body: schemas.LinkRatingBody
) -> schemas.RatingLinkState:
    proof = _proof("code", body.code, body.token)
    return views.rating_link_state(link_rating().rate(tracking_no, proof, body, client_address(app)).case)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
