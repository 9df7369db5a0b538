"""Pydantic models of the DynamoDB stream records the consumers receive (timeline events only)."""

from __future__ import annotations

from aws_lambda_powertools.utilities.parser.models import DynamoDBStreamChangedRecordModel, DynamoDBStreamRecordModel

from minyi.domain.models import TimelineEvent


class TimelineChange(DynamoDBStreamChangedRecordModel):
    NewImage: TimelineEvent  # type: ignore[assignment]


class TimelineStreamRecord(DynamoDBStreamRecordModel):
    """An INSERT of `CASE#<id>/EVENT#<seq>` (the event source mapping filters on that)."""

    dynamodb: TimelineChange  # type: ignore[assignment]
