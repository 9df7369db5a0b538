"""Citizen rating of a reply on four dimensions (speed, effectiveness, experience, feedback quality)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api import schemas, views
from minyi.api.http import caller, create_app, resolve
from minyi.api.openapi import responses
from minyi.config import RateSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.cases import CaseService
from minyi.services.rating_links import LinkRating
from minyi.services.results import Scorecard

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
    card = Scorecard.model_validate(body.model_dump())
    return views.owner_view(service().rate(caller(app), case_id, card))


@cache
def link_rating() -> LinkRating:
    return bootstrap.link_rating(settings)


@app.get(
    "/v1/track/<tracking_no>/rating",
    summary="What the SMS rating link opens on: is the answer still waiting for this rating?",
    responses=responses(200, 404, public=True),
)
def rating_link_state(
    tracking_no: Annotated[str, Path(max_length=32)],
    t: Annotated[str, Query(min_length=1, max_length=64, description="the `t` parameter of the SMS link")],
) -> schemas.RatingLinkState:
    return views.rating_link_state(link_rating().state(tracking_no, t))


@app.post(
    "/v1/track/<tracking_no>/rating",
    summary="Rate from the SMS link, without signing in (once per round); the answer: the status and round",
    responses=responses(200, 404, 409, public=True, body=True),
)
def rate_by_link(
    tracking_no: Annotated[str, Path(max_length=32)], body: schemas.LinkRatingBody
) -> schemas.RatingLinkState:
    card = Scorecard.model_validate(body.model_dump(exclude={"token"}))
    return views.rating_link_state(link_rating().rate(tracking_no, body.token, card).case)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
