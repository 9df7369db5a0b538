"""The city's numbers: on-time rate, satisfaction rate, rollbacks resolved, per unit (JSON or CSV)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api import views
from minyi.api.http import caller, create_app, resolve
from minyi.api.openapi import HotspotsView, PublicStatsView, StatsView, responses
from minyi.api.schemas import IsoDate
from minyi.config import StatsSettings
from minyi.observability import logger, metrics, tracer
from minyi.services.hotspots import HotspotService
from minyi.services.scoreboard import ScoreboardService

settings = StatsSettings.from_env()
app = create_app()


@cache
def service() -> ScoreboardService:
    return bootstrap.scoreboard_service(settings)


@app.get(
    "/v1/stats",
    summary="Totals, rates and the league table of units for a date range",
    responses=responses(
        model=StatsView,
        csv="`format=csv`: one row per unit and a TOTAL row, UTF-8 with a byte order mark (an attachment)",
    ),
)
def stats(
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="first day, YYYY-MM-DD (Asia/Shanghai); default: 30 days back")
    ] = None,
    to: Annotated[IsoDate | None, Query(description="last day, inclusive; default: today")] = None,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",  # the public name
) -> Response[Any]:
    report = service().stats_for(caller(app), from_, to, unit_id)
    if format == "csv":
        filename = f"minyi-stats-{report.day_from.isoformat()}-{report.day_to.isoformat()}.csv"
        return Response(
            status_code=200,
            content_type="text/csv; charset=utf-8",
            body=views.stats_csv(report),
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return Response(status_code=200, content_type="application/json", body=views.stats_body(report))


@cache
def hotspots() -> HotspotService:
    return bootstrap.hotspot_service(settings)


@app.get(
    "/v1/hotspots",
    summary="未诉先办: the cells whose reports of a topic reached their threshold on a day (dispatchers, supervisors)",
    responses=responses(model=HotspotsView),
)
def list_hotspots(
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="first day, YYYY-MM-DD (Asia/Shanghai); default: 7 days back")
    ] = None,
    to: Annotated[IsoDate | None, Query(description="last day, inclusive (at most 31 days); default: today")] = None,
    topic: Annotated[str | None, Query(max_length=64)] = None,
    district: Annotated[str | None, Query(max_length=64)] = None,
) -> Response[Any]:
    found = hotspots().hotspots_for(caller(app), from_, to, topic, district)
    return Response(status_code=200, content_type="application/json", body=views.hotspots_body(found))


@app.get(
    "/v1/public/stats",
    summary="The city's published on-time and satisfaction rates (anonymous)",
    responses=responses(public=True, model=PublicStatsView),
)
def public_stats(
    from_: Annotated[IsoDate | None, Query(alias="from", description="first day; default: 30 days back")] = None,
    to: Annotated[IsoDate | None, Query(description="last day, inclusive; default: today")] = None,
) -> Response[Any]:
    body = views.public_stats_body(service().public(from_, to))
    return Response(status_code=200, content_type="application/json", body=body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
