"""What the use cases take and give: plain domain data, no HTTP.

The `api` layer maps request bodies to these commands and these results to its response models, so
the services know nothing of routes, status codes or the OpenAPI document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pydantic import Field

from minyi.domain.base import Model
from minyi.domain.models import (
    Case,
    Category,
    Channel,
    Language,
    Location,
    OutboxEntry,
    RatingScores,
    TimelineEvent,
    Unit,
    Upload,
)
from minyi.domain.scoreboard import Scores, UnitScores


class IntakeAnswer(Model):
    """The answer an operator gave on the call, and the knowledge entry it came from, if any."""

    answer: str
    knowledge_id: str | None = None


class NewRequest(Model):
    """A citizen's request as submitted (already validated and normalised by the caller)."""

    category: Category
    #: None: left to smart intake (the model when sure enough, else the dispatch centre; issue 18).
    topic: str | None = None
    #: None: the location's district (the catalogue's areas, else the nearby cases'), else refused.
    district: str | None = None
    description: str
    #: E.164; empty when there is no number to text (an Open311 report without a mainland mobile): no citizen SMS.
    #: A citizen's is the account's verified number (the service fills it in); an operator's the caller's.
    phone: str = ""
    language: Language = "zh"
    address: str | None = None
    location: Location | None = None
    attachments: list[str] = Field(default_factory=list)
    channel: Channel = Channel.APP
    media_url: str | None = None
    #: The citizen's choice to publish the description; kept only where they could make it (privacy.py).
    public: bool = False
    #: 直接办结: the operator answered the consultation on the call (the case closes at once).
    answered_at_intake: IntakeAnswer | None = None
    #: 紧急 (hotline operators only): a deadline in working hours, first in the inbox, the unit texted.
    urgent: bool = False


class Scorecard(RatingScores):
    """What a citizen gives when rating: the four scores (1 worst to 5) and, if they like, why."""

    comment: str | None = None


@dataclass(frozen=True)
class CaseDetail:
    """A case with what its readers need beside it: the unit, download links, the SMS outbox."""

    case: Case
    unit: Unit | None
    download_urls: dict[str, str] = field(default_factory=dict)
    outbox: list[OutboxEntry] = field(default_factory=list)
    #: The full number, only for the unit holding the open case or a supervisor who asked (recorded).
    citizen_phone: str | None = None


@dataclass(frozen=True)
class CaseTimeline:
    """A case's events with what their texts need (the units they name, by id)."""

    case: Case
    events: list[TimelineEvent]
    units: dict[str, Unit]
    #: Staff views: every SMS of the case (masked by the api layer).
    outbox: list[OutboxEntry] = field(default_factory=list)
    #: The citizen's own view: links to the files events brought (answers, supplements), by upload id.
    download_urls: dict[str, str] = field(default_factory=dict)
    #: Staff views: the districts' names by code (a note naming the district a location lies in).
    districts: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    next_cursor: str | None


@dataclass(frozen=True)
class PublicCase:
    """What public tracking may show: the case's state and its timeline (the API strips personal data)."""

    case: Case
    events: list[TimelineEvent]
    units: dict[str, Unit]
    #: Links to the unit's answer files only (never the citizen's own media), by upload id.
    download_urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PresignedUpload:
    upload: Upload
    url: str
    fields: dict[str, str]
    expires_in: int


@dataclass(frozen=True)
class AreaScores:
    code: str
    name: str
    scores: Scores


@dataclass(frozen=True)
class PublicStats:
    """The city's published numbers: no case, no person, only counters."""

    day_from: date
    day_to: date
    city: Scores
    districts: list[AreaScores]
    units: list[UnitScores]
    #: Submissions per channel (app, hotline, web, open311): counts only.
    by_channel: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StatsReport:
    day_from: date
    day_to: date
    unit_id: str | None
    totals: Scores
    units: list[UnitScores]
    items_read: int
    #: Submissions per channel (app, hotline, web, open311) in the range.
    by_channel: dict[str, int] = field(default_factory=dict)
