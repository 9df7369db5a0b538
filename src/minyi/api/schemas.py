"""HTTP request and response models (the OpenAPI document is generated from these)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    field_validator,
)
from pydantic_core import PydanticCustomError

from minyi.domain import models
from minyi.domain.base import Model
from minyi.domain.errors import InvalidValue
from minyi.domain.media import ALLOWED_MEDIA, MB
from minyi.domain.models import (
    DIMENSIONS,
    CaseStatus,
    Category,
    Channel,
    EventType,
    Language,
    Location,
    RatingScores,
    Role,
)
from minyi.domain.phone import normalise_phone
from minyi.domain.supervision import SupervisionReason
from minyi.request_body import StrictBody
from minyi.services.results import Scorecard


def _iso_date(value: object) -> object:
    """Only `YYYY-MM-DD`: pydantic would also read `0` or `1700000000` as a date (seconds since 1970)."""
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)):
        return value
    raise InvalidValue("error.not_a_date")


#: A calendar day in a query string, as the document says: `format: date`, nothing else.
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _whole_number(value: object) -> object:
    """JSON has one number type, and JSON Schema counts 22.0 as the integer 22: take it as 22. Anything
    else stays strict: "22", true and 22.5 are refused (not rounded, not parsed)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A list of upload ids: the API refuses one named twice, and the document says so.
UNIQUE: dict[str, Any] = {"uniqueItems": True}

#: An integer field of a body: 22 or 22.0, never "22", true or 22.5 (the document's `type: integer`).
WholeNumber = Annotated[int, BeforeValidator(_whole_number), Field(strict=True)]


def _hotline_needs_phone(schema: dict[str, Any]) -> None:
    """The document states what the API checks: a hotline call names the caller's mobile (a citizen's
    own requests take the account's verified number, so `phone` stays optional for the app and web)."""
    schema["if"] = {"properties": {"channel": {"const": "hotline"}}, "required": ["channel"]}
    schema["then"] = {"required": ["phone"], "properties": {"phone": {"type": "string"}}}


class IntakeAnswerBody(StrictBody):
    answer: str = Field(
        min_length=1, max_length=300, description="the answer read out to the caller (texted to them too)"
    )
    knowledge_id: str | None = Field(
        default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="from GET /v1/knowledge"
    )


class SubmitRequestBody(StrictBody):
    model_config = ConfigDict(json_schema_extra=_hotline_needs_phone)

    category: Category
    topic: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description=(
            "topic code from GET /v1/catalog. Optional: without it the platform takes the topic model's best"
            " suggestion when it is sure enough (its held-out 0.95-precision threshold), else the dispatch centre"
            " classifies the case (POST /v1/intake/suggestions shows what the model suggests)"
        ),
    )
    district: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="district code from GET /v1/catalog; optional when `location` lies in a district",
    )
    description: str = Field(min_length=1, max_length=4000)
    address: str | None = Field(default=None, max_length=300)
    location: Location | None = None
    phone: str | None = Field(
        default=None,
        description=(
            "citizens: optional, and if given the account's verified mobile (notices go only there); hotline"
            " operators: the caller's mobile. Mainland (13812345678) or E.164 (+8613812345678)"
        ),
    )
    attachments: list[str] = Field(
        default_factory=list, max_length=9, description="upload ids from POST /v1/uploads", json_schema_extra=UNIQUE
    )
    language: Language | None = Field(
        default=None, description="for SMS and timeline texts; default: the account's language, else zh"
    )
    channel: Literal["app", "web", "hotline"] = Field(
        default="app", description="how the request came in; hotline operators file with `hotline`"
    )
    public: bool = Field(
        default=False,
        strict=True,
        description=(
            "publish the description in the city's open data (phones, ID numbers, e-mails, bank cards and"
            " plates hidden); default false. Never for hotline calls"
        ),
    )
    answered_at_intake: IntakeAnswerBody | None = Field(
        default=None,
        description=(
            "直接办结, hotline operators: a consultation answered on the call. The case is CLOSED at once with the"
            " answer in its timeline; the caller is texted the answer and a rating code"
        ),
    )
    urgent: bool = Field(
        default=False,
        strict=True,
        description=(
            "hotline operators: 紧急 — the deadline is the catalogue's urgent_hours working hours (default 4),"
            " the case comes first in the unit's inbox and the unit's duty phone is texted at once"
        ),
    )

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalise_phone(value)


class CaseCreated(Model):
    id: str
    tracking_no: str
    status: CaseStatus
    created_at: datetime


class AttachmentView(Model):
    upload_id: str
    kind: str
    content_type: str
    size: int
    download_url: str | None = None


class RatingView(RatingScores):
    round: int
    comment: str | None = None
    satisfied: bool
    at: datetime
    channel: str = Field(default="online", description="online (app, SMS code) or callback (回访 by an operator)")


class ReplyView(Model):
    round: int
    unit_id: str
    message: str
    at: datetime
    on_time: bool
    attachments: list[str] = Field(default_factory=list, description="upload ids of the unit's files")


class ExtensionView(Model):
    days: int
    reason: str
    status: str
    requested_at: datetime
    decided_at: datetime | None = None


class CaseSummary(Model):
    id: str
    tracking_no: str
    status: CaseStatus
    category: Category
    topic: str
    district: str
    unit_id: str | None = None
    due_at: datetime | None = None
    overdue: bool = False
    created_at: datetime
    updated_at: datetime
    urgent: bool = Field(default=False, description="紧急: a deadline in working hours, first in the inbox")


class SupplementView(Model):
    text: str
    upload_ids: list[str]
    at: datetime


class CaseView(CaseSummary):
    description: str
    address: str | None = None
    location: Location | None = None
    phone: str = Field(description="masked, e.g. 138****5678")
    language: Language
    unit_name: str | None = None
    reopen_count: int
    supervised: bool
    round: int
    closed_at: datetime | None = None
    closed_reason: str | None = None
    on_time: bool | None = None
    replies: list[ReplyView]
    ratings: list[RatingView]
    extension: ExtensionView | None = None
    attachments: list[AttachmentView]
    supplements: list[SupplementView] = Field(default_factory=list)
    channel: Channel
    version: int
    merged_into: str | None = Field(default=None, description="并单: the tracking number it was merged into")
    reporters: int = Field(default=0, description="并单: how many other people reported this problem (follow it)")


class CaseList(Model):
    items: list[CaseSummary]
    next_cursor: str | None = None


class StaffCaseSummary(CaseSummary):
    """A case in a unit's list: who of the unit has it and which units help (协办)."""

    assignee: str | None = Field(default=None, description="the holding unit's person the case is given to")
    assist_units: list[str] = Field(default_factory=list, description="units asked to help (协办)")
    assisting: bool = Field(default=False, description="the listed unit helps on it (协办); another unit leads")


class StaffCaseList(Model):
    items: list[StaffCaseSummary]
    next_cursor: str | None = None


class SupervisionItem(CaseSummary):
    reasons: list[SupervisionReason] = Field(description="why a supervisor should look at it")


class SupervisionList(Model):
    items: list[SupervisionItem]
    next_cursor: str | None = None


class KnowledgeItem(Model):
    id: str
    topic: str | None = None
    question: str
    answer: str
    score: int = Field(description="how well it matches the query (0 without one)")


class KnowledgeList(Model):
    items: list[KnowledgeItem]


class ReplyTemplateView(Model):
    id: str
    topic: str | None = None
    title: str
    text: str


class ReplyTemplateList(Model):
    items: list[ReplyTemplateView]


class CallbackItem(CaseSummary):
    phone: str = Field(description="the caller's number, to call back (operators only)")
    description: str
    reply: str = Field(description="the unit's answer this round, to read out")
    replied_at: datetime
    unreachable_days: int = Field(description="working days this round's caller could not be reached (3 close it)")


class CallbackList(Model):
    items: list[CallbackItem]
    next_cursor: str | None = None


#: One of the four scores (the domain's `Score`, 1-5) as a body sends it: a whole number (the bounds
#: inside the type: on an optional field pydantic would write them into the document as unknown keywords).
Score = Annotated[models.Score, BeforeValidator(_whole_number), Field(strict=True)]
#: The four scores of a rating (处置速度、处置效果、服务体验、反馈质量).
SCORE_FIELDS = DIMENSIONS


def _scores_only_when_rated(schema: dict[str, Any]) -> None:
    """The document states the rule the API checks: a `rated` call gives all four scores, any other
    outcome none."""
    schema["if"] = {"properties": {"outcome": {"const": "rated"}}, "required": ["outcome"]}
    schema["then"] = {"required": list(SCORE_FIELDS), "properties": {s: {"type": "integer"} for s in SCORE_FIELDS}}
    schema["else"] = {"properties": {s: {"type": "null"} for s in SCORE_FIELDS}}


class CallbackBody(StrictBody):
    model_config = ConfigDict(json_schema_extra=_scores_only_when_rated)

    outcome: Literal["rated", "unreachable", "declined"]
    speed: Score | None = None
    effectiveness: Score | None = None
    experience: Score | None = Field(default=None, description="service experience")
    feedback_quality: Score | None = None
    comment: str | None = Field(default=None, max_length=1000)


class UnitView(Model):
    id: str
    name: str
    name_en: str
    district: str | None = None
    topics: list[str]


class UnitDirectory(Model):
    units: list[UnitView]


class MessageView(Model):
    """What the platform says, as a message-catalogue key and its facts (`src/minyi/locale`): a client
    may render it itself, in its own words, instead of the rendered text next to it."""

    key: str = Field(description="the catalogue key, e.g. `note.routed`")
    params: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="the values of the key's placeholders (times in ISO 8601)"
    )


class TimelineEventView(Model):
    seq: int
    type: EventType
    at: datetime
    actor: Role
    status: CaseStatus
    round: int
    unit_id: str | None = None
    text: str | None = Field(
        default=None, description="what happened, written by the platform in the reader's language"
    )
    key: str | None = Field(default=None, description="`text`'s message-catalogue key, e.g. `event.dispatched`")
    params: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="the values of `key`'s placeholders (unit ids, ISO 8601 times)"
    )
    note: str | None = Field(
        default=None,
        description="staff views: the platform's note in the reader's language, with what a person typed "
        "as written (or only that); the citizen's view: the unit's answer",
    )
    note_message: MessageView | None = Field(
        default=None,
        description="staff views: the platform's note as its key and facts (`text`: what a person typed)",
    )
    attachments: list[AttachmentView] = Field(
        default_factory=list,
        description="the files the event brought: the unit's answer files; in the citizen's own view also "
        "the files of their supplements",
    )


class Timeline(Model):
    events: list[TimelineEventView]


class StaffTimeline(Timeline):
    notifications: list[NotificationView] = Field(default_factory=list, description="every SMS of the case")


class AnswerView(Model):
    """The unit's answer as its owner reads it on public tracking (they proved the phone or the SMS code)."""

    round: int
    text: str = Field(description="the unit's answer, as the unit wrote it")
    at: datetime
    unit: str | None = Field(default=None, description="the answering unit's name in the reader's language")
    attachments: list[AttachmentView] = Field(default_factory=list, description="the unit's answer files")


class PublicTracking(Model):
    tracking_no: str
    status: CaseStatus
    category: Category
    topic: str
    district: str
    created_at: datetime
    due_at: datetime | None = None
    events: list[TimelineEventView]
    replies: list[AnswerView] = Field(default_factory=list, description="the unit's answers, oldest first")


#: The media types POST /v1/uploads takes, for the document (the service checks them: minyi.domain.media).
MEDIA_TYPES: list[JsonValue] = [content_type for content_type in sorted(ALLOWED_MEDIA)]


def _size_per_media_type(schema: dict[str, Any]) -> None:
    """The document states the service's size limit of each media type (photos, voice, video)."""
    limits: dict[int, list[JsonValue]] = {}
    for content_type, media in sorted(ALLOWED_MEDIA.items()):
        limits.setdefault(media.max_size, []).append(content_type)
    schema["allOf"] = [
        {
            "if": {"properties": {"content_type": {"enum": types}}, "required": ["content_type"]},
            "then": {"properties": {"size": {"maximum": max_size}}},
        }
        for max_size, types in sorted(limits.items())
    ]


_SIZE_LIMITS = ", ".join(
    sorted({f"{media.kind.value} {media.max_size // MB} MB" for media in ALLOWED_MEDIA.values()}, key=len)
)


class UploadRequest(StrictBody):
    model_config = ConfigDict(json_schema_extra=_size_per_media_type)

    content_type: str = Field(
        description="the file's media type: " + ", ".join(sorted(ALLOWED_MEDIA)),
        json_schema_extra={"enum": MEDIA_TYPES},
    )
    size: WholeNumber = Field(gt=0, le=1024**3, description="bytes; at most, by kind: " + _SIZE_LIMITS)
    filename: str | None = Field(default=None, max_length=200)


class UploadTicket(Model):
    upload_id: str
    url: str
    fields: dict[str, str]
    method: str = "POST"
    max_size: int
    expires_in: int


class CatalogView(Model):
    categories: list[Category]
    topics: dict[str, dict[str, str]]
    districts: dict[str, dict[str, str]]
    deadline_days: dict[str, int]
    #: Each district's area ([lat, lon] corners), for suggesting the district from a position.
    district_areas: dict[str, list[list[float]]] = Field(default_factory=dict)


class ErrorProblem(Model):
    field: str
    problem: str


class ErrorBody(Model):
    error: str
    message: str
    problems: list[ErrorProblem] = Field(default_factory=list)


#: The four scores (the domain's `RatingScores`) and a comment: the handler passes the body down as the
#: service's `Scorecard`, validated once, here (no docstring: it would be the document's description).
class RatingBody(StrictBody, Scorecard):
    comment: str | None = Field(default=None, max_length=1000)

    @field_validator(*DIMENSIONS, mode="before")
    @classmethod
    def _score_as_sent(cls, value: object) -> object:
        """A score is sent as `WholeNumber`: 5 or 5.0, never "5", true or 4.5 (refused, not parsed or rounded)."""
        value = _whole_number(value)
        if type(value) is not int:
            raise PydanticCustomError("int_type", "Input should be a valid integer")
        return value


class RatingLinkState(Model):
    """All the SMS rating link learns, before and after rating: whether the answer still waits for this
    rating (`rateable`), else the case's status to show instead. Whoever holds the SMS holds the link,
    so it says nothing more (no description, address, location, case id or attachments)."""

    model_config = ConfigDict(extra="forbid")

    status: CaseStatus
    round: int
    rateable: bool


#: The proofs of a rating without signing in: exactly one is sent.
RATING_PROOFS = ("code", "token")


def _not_null(schema: dict[str, Any], names: tuple[str, ...]) -> None:
    """These optional fields, when sent, are strings: their `null` branch and default leave the document
    (a rule on which of them to send follows beside it)."""
    for name in names:
        prop = schema["properties"][name]
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if branches:
            prop.update(branches[0])
        prop.pop("default", None)


def _one_proof(schema: dict[str, Any]) -> None:
    """The document states the rule the API checks: exactly one of `code` and `token`, a string (not null)."""
    _not_null(schema, RATING_PROOFS)
    schema["oneOf"] = [
        {"required": [name], "not": {"required": [other]}} for name, other in (RATING_PROOFS, RATING_PROOFS[::-1])
    ]


class LinkRatingBody(RatingBody):
    """The scores with exactly one proof: `code`, the 6-digit rating code from the SMS, or `token`, the
    `t` of the per-case link earlier SMS carried (still taken for the round it was sent for)."""

    model_config = ConfigDict(json_schema_extra=_one_proof)

    @field_validator(*RATING_PROOFS, mode="before")
    @classmethod
    def _proof_is_a_string(cls, value: object) -> object:
        """A proof sent as null is no proof: refused naming it, as the document says (a string or absent)."""
        if value is None:
            raise PydanticCustomError("string_type", "Input should be a valid string")
        return value

    code: str | None = Field(
        default=None, pattern=r"^[0-9]{6}$", description="the 6-digit rating code from the SMS (this round's)"
    )
    token: str | None = Field(
        default=None, min_length=1, max_length=64, description="the `t` of an earlier SMS's link (instead of code)"
    )


class ReplyBody(StrictBody):
    message: str = Field(min_length=1, max_length=4000)
    attachments: list[str] = Field(
        default_factory=list,
        max_length=9,
        description="upload ids from POST /v1/uploads (e.g. a photo of the repair)",
        json_schema_extra=UNIQUE,
    )


class ReturnBody(StrictBody):
    reason: str = Field(min_length=1, max_length=1000)


class DispatchBody(StrictBody):
    unit_id: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(
        default=None, min_length=1, max_length=1000, description="required to transfer (改派) a case a unit holds"
    )
    urgent: bool = Field(
        default=False,
        strict=True,
        description="紧急: the deadline is the catalogue's urgent_hours working hours and the unit is texted so",
    )


class AssigneeBody(StrictBody):
    username: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9@._+-]+$",
        description="a staff account of the unit holding the case (GET /v1/units/{unit_id}/staff)",
    )


class AssistBody(StrictBody):
    units: list[str] = Field(
        min_length=1,
        max_length=5,
        description="units asked to help (协办), ids from GET /v1/units",
        json_schema_extra=UNIQUE,
    )
    note: str = Field(min_length=1, max_length=1000, description="what the lead unit needs from them")


class MergeBody(StrictBody):
    into: str = Field(
        min_length=1, max_length=32, description="the tracking number of the open case of the same problem to keep"
    )
    reason: str = Field(min_length=1, max_length=1000, description="why they are one problem (staff timeline)")


class UnmergeBody(StrictBody):
    reason: str = Field(min_length=1, max_length=1000, description="why the merge is undone (staff timeline)")


class FollowView(Model):
    """ "Me too": the case the caller now follows (no one's words, no one's number)."""

    tracking_no: str
    status: CaseStatus
    topic: str
    following: bool = Field(default=True, description="the caller hears its reply and closure and may rate it")


class StaffMember(Model):
    """A person of a unit a case may be given to."""

    username: str
    name: str | None = None


class UnitStaff(Model):
    items: list[StaffMember]


_CORRECTED = ("topic", "district")


def _topic_or_district(schema: dict[str, Any]) -> None:
    """The document states the rule the API checks: `topic`, `district` or both, each a string (not null)."""
    _not_null(schema, _CORRECTED)
    schema["anyOf"] = [{"required": [name]} for name in _CORRECTED]


class ClassificationBody(StrictBody):
    """A dispatcher's correction: the new topic, district or both (codes from GET /v1/catalog), and why."""

    model_config = ConfigDict(json_schema_extra=_topic_or_district)

    @field_validator(*_CORRECTED, mode="before")
    @classmethod
    def _code_is_a_string(cls, value: object) -> object:
        """A code sent as null corrects nothing: refused naming it, as the document says (a string or absent)."""
        if value is None:
            raise PydanticCustomError("string_type", "Input should be a valid string")
        return value

    topic: str | None = Field(
        default=None, min_length=1, max_length=64, description="the corrected topic code from GET /v1/catalog"
    )
    district: str | None = Field(
        default=None, min_length=1, max_length=64, description="the corrected district code from GET /v1/catalog"
    )
    reason: str = Field(min_length=1, max_length=1000, description="why (staff timeline only)")


class NoteBody(StrictBody):
    text: str = Field(min_length=1, max_length=2000)


class InstructionBody(StrictBody):
    instructions: str = Field(min_length=1, max_length=2000)
    due_in_days: WholeNumber = Field(ge=1, le=30, description="working days the unit has from now")


class WithdrawBody(StrictBody):
    reason: str | None = Field(default=None, max_length=500)


class SupplementBody(StrictBody):
    text: str = Field(min_length=1, max_length=2000)
    attachments: list[str] = Field(
        default_factory=list, max_length=9, description="upload ids from POST /v1/uploads", json_schema_extra=UNIQUE
    )


class ExtensionBody(StrictBody):
    days: WholeNumber = Field(ge=1, le=30, description="extra working days")
    reason: str = Field(min_length=1, max_length=1000)


class ExtensionDecisionBody(StrictBody):
    approve: bool = Field(strict=True)
    note: str | None = Field(default=None, max_length=1000)


class NotificationView(Model):
    """One SMS of the case's outbox."""

    event_seq: int
    event: EventType
    kind: str
    to: str = Field(description="masked")
    status: str
    segments: int
    attempts: int = 0
    provider_message_id: str | None = None
    sent_at: datetime | None = None
    last_error: str | None = None


class SuggestedTopicView(Model):
    topic: str = Field(description="topic code from GET /v1/catalog")
    score: float = Field(ge=0, le=1)


class CaseSuggestionView(Model):
    """What smart intake suggested when the case was filed, and what was chosen then."""

    model_version: str
    topics: list[SuggestedTopicView]
    chosen: str = Field(description="the topic the case was filed with (`unsorted`: left to the dispatch centre)")
    source: models.SuggestionSource = Field(
        description="given (the citizen or operator chose), model (sure enough to route), dispatch (a person will)"
    )


class IntakeSuggestionBody(StrictBody):
    description: str = Field(min_length=1, max_length=4000, description="what the person has written so far")
    category: Category | None = None
    topic: str | None = Field(
        default=None, min_length=1, max_length=64, description="the topic chosen so far: duplicates of this topic"
    )
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address: str | None = Field(default=None, max_length=300)


class DistrictSuggestion(Model):
    district: str = Field(description="district code from GET /v1/catalog")
    source: Literal["boundary", "history", "text"] = Field(
        description="boundary: the catalogue's district areas; history: the nearby open cases; text: a name in it"
    )


class DuplicateCandidateView(Model):
    tracking_no: str
    topic: str
    status: CaseStatus
    distance_m: float = Field(ge=0)
    score: float = Field(ge=0, le=1, description="text similarity, distance and recency together, best first")
    likely_duplicate: bool = Field(
        description="the platform bets it is the same problem: similar words, within 150 m, 14 days, same district"
    )
    summary: str = Field(
        description="citizens and operators: the topic, the district and how long ago; staff: the description,"
        " phone numbers and other identifiers masked"
    )


class IntakeSuggestions(Model):
    model_version: str
    topics: list[SuggestedTopicView] = Field(description="at least three, best first")
    district: DistrictSuggestion | None
    duplicates: list[DuplicateCandidateView] = Field(description="at most five open cases, best first")


class DuplicateList(Model):
    tracking_no: str
    duplicates: list[DuplicateCandidateView] = Field(description="at most five open cases, best first")


class StaffCaseView(CaseView):
    """A unit's view: the SMS outbox, and the citizen's full phone number where the unit may call back."""

    citizen_phone: str | None = Field(
        default=None,
        description="full number: only for the unit holding the open case, or a supervisor's recorded reveal",
    )
    notifications: list[NotificationView] = Field(default_factory=list)
    catalog_version: int | None = Field(
        default=None, description="the catalogue version the case was routed with (GET /v1/admin/catalog)"
    )
    assignee: str | None = Field(default=None, description="the holding unit's person the case is given to")
    assist_units: list[str] = Field(default_factory=list, description="units asked to help (协办)")
    suggestion: CaseSuggestionView | None = Field(
        default=None, description="smart intake's suggestion at filing (issue 18); none for older cases"
    )
