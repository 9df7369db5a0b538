"""Projections of timeline events from the table's stream: the scoreboard's counters per unit and day,
the hotspot counters per cell, topic and day (with the supervision office's alert) and the Open311
open-data feed, in one function.

One reader, not one per projection: DynamoDB throttles a shard read by more than two processes, and the
notify function is the other. Each record goes through every projector in turn; a record that fails is
reported (ReportBatchItemFailures) and the batch retried from it, so a projector may see a record again
after it or another projector succeeded. Each one is therefore idempotent: the scoreboard counts an event
once (a marker written in the same transaction as the counters), so do the hotspot counters (a marker of
their own; the alert is claimed per cell and sent through the outbox), the feed keeps a public request only if
it is not older than the stored one and writes each update under a key derived from its event.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from minyi import bootstrap
from minyi.api.stream import consume
from minyi.config import ProjectionsSettings
from minyi.domain.models import TimelineEvent
from minyi.observability import logger, metrics, tracer
from minyi.services.hotspots import HotspotService
from minyi.services.open311_feed import Open311Feed
from minyi.services.scoreboard import ScoreboardService

settings = ProjectionsSettings.from_env()


@cache
def scoreboard() -> ScoreboardService:
    return bootstrap.scoreboard_service(settings)


@cache
def hotspots() -> HotspotService:
    return bootstrap.hotspot_service(settings)


@cache
def feed() -> Open311Feed:
    return bootstrap.open311_feed_service(settings)


def process(
    event: dict[str, Any],
    context: LambdaContext,
    counters: ScoreboardService,
    open_data: Open311Feed,
    cells: HotspotService | None = None,
) -> PartialItemFailureResponse:
    """One stream batch through every projector (the port-injected cores), record by record."""

    def project(timeline_event: TimelineEvent) -> None:
        counters.count(timeline_event)
        if cells is not None:
            cells.count(timeline_event)
        open_data.project(timeline_event)

    return consume(event, context, project)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process(event, context, scoreboard(), feed(), hotspots())
