"""Domain models of a citizen request ("case") and its timeline. Pure: no AWS."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from minyi.domain.base import Model
from minyi.domain.errors import InvalidValue
from minyi.domain.messages import Message


class Category(StrEnum):
    CONSULTATION = "consultation"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    HELP = "help"


class CaseStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    DISPATCHED = "DISPATCHED"
    IN_PROGRESS = "IN_PROGRESS"
    RETURNED = "RETURNED"
    REPLIED = "REPLIED"
    REOPENED = "REOPENED"
    SUPERVISED = "SUPERVISED"
    CLOSED = "CLOSED"
    WITHDRAWN = "WITHDRAWN"
    #: 并单: the same problem as another open case (`Case.merged_into`), handled there once; its
    #: reporter follows the kept case. A supervisor may undo it (the case is routed again).
    MERGED = "MERGED"


#: Statuses a case never leaves: the workflow ends and the case leaves the working lists (the unit's
#: inbox, the nearby index, the sweep). MERGED is one too: a merged case is no unit's work any more; an
#: undone merge (`lifecycle.unmerge`) routes it again with a new workflow execution, as a new case.
TERMINAL_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.WITHDRAWN, CaseStatus.MERGED})
#: Statuses in which the citizen may still withdraw (the unit has not answered this round).
WITHDRAWABLE_STATUSES = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.DISPATCHED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.RETURNED,
        CaseStatus.REOPENED,
        CaseStatus.SUPERVISED,
    }
)


#: The dispatch centre's queue: where cases wait that no routing rule covers or that a unit returned.
#: Also the dispatch centre's unit id in every catalogue (its `dispatch_centre` section).
DISPATCH_QUEUE = "dispatch-centre"
#: Supervisors (督办): told of escalations and special supervision on this unit's duty phone; the
#: unit id of every catalogue's `supervision_office` section.
SUPERVISION_OFFICE_ID = "supervision-office"

#: Statuses in which the responsible unit owes the citizen an answer (the deadline clock runs).
HANDLING_STATUSES = frozenset(
    {CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED, CaseStatus.SUPERVISED}
)
#: Statuses in which the dispatch centre must choose a unit.
DISPATCH_STATUSES = frozenset({CaseStatus.SUBMITTED, CaseStatus.RETURNED})


class Role(StrEnum):
    CITIZEN = "citizen"
    OPERATOR = "operator"
    STAFF = "staff"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"


class EventType(StrEnum):
    SUBMITTED = "submitted"
    QUEUED = "queued_for_dispatch"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REPLIED = "replied"
    RATED = "rated"
    REOPENED = "reopened"
    SUPERVISED = "supervised"
    CLOSED = "closed"
    DEADLINE_WARNING = "deadline_warning"
    OVERDUE = "overdue"
    EXTENSION_REQUESTED = "extension_requested"
    EXTENSION_APPROVED = "extension_approved"
    EXTENSION_REFUSED = "extension_refused"
    WORKFLOW_REPAIRED = "workflow_repaired"
    FLAGGED = "flagged_for_supervisor"
    PHONE_REVEALED = "phone_revealed"
    MEDIA_VIEWED = "media_viewed"
    NOTE_ADDED = "note_added"
    WITHDRAWN = "withdrawn"
    SUPPLEMENTED = "supplemented"
    TRANSFERRED = "transferred"
    DISPATCH_OVERDUE = "dispatch_overdue"
    SUPERVISION_INSTRUCTED = "supervision_instructed"
    #: 直接办结: the operator answered the consultation on the call (the answer is the event's note).
    ANSWERED_AT_INTAKE = "answered_at_intake"
    #: 回访: an operator called the caller back about the reply (facts: outcome, attempt).
    CALLBACK = "callback"
    #: the holding unit gave the case to one of its people (staff-only)
    ASSIGNED = "assigned"
    #: other units were asked to help (协办; staff-only)
    ASSIST_REQUESTED = "assist_requested"
    RECLASSIFIED = "reclassified"
    #: 并单: this case was merged into another (facts: into, into_case); its reporter follows that one
    MERGED = "merged"
    #: a supervisor undid the merge: the case is routed again (facts: from, from_case)
    UNMERGED = "unmerged"
    #: the kept case gained reporters: a merged case's (facts: via merged, from, count) or a "me too"
    REPORTER_ADDED = "reporter_added"
    #: an undone merge took the merged case's reporters off the kept case (facts: from, count)
    REPORTER_REMOVED = "reporter_removed"


class Channel(StrEnum):
    """How a request reached the platform (kept on every case, counted in the stats)."""

    APP = "app"
    HOTLINE = "hotline"
    WEB = "web"
    OPEN311 = "open311"


class CloseReason(StrEnum):
    SATISFIED = "satisfied"
    CLOSED_UNDER_SUPERVISION = "closed_under_supervision"
    UNRATED = "unrated"
    WITHDRAWN = "withdrawn"
    #: 直接办结: a consultation the operator answered on the call.
    ANSWERED_AT_INTAKE = "answered_at_intake"
    #: 回访: the caller could not be reached on `CALLBACK_ATTEMPTS` different working days.
    UNREACHABLE = "unreachable"
    #: 回访: the caller was reached and declined to rate.
    CALLBACK_DECLINED = "callback_declined"


class OutboxStatus(StrEnum):
    """An SMS notice's state in the outbox: SENT is final."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class ExecutionStatus(StrEnum):
    """A Step Functions execution's status (the names AWS uses)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    VOICE = "voice"
    VIDEO = "video"


#: Coordinates closer to zero than this are no place anyone is (and below 1e-130 DynamoDB cannot store them).
SMALLEST_COORDINATE = 1e-9


class Location(Model):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)

    @field_validator("lat", "lon")
    @classmethod
    def _storable(cls, value: float) -> float:
        if value != 0 and abs(value) < SMALLEST_COORDINATE:
            raise InvalidValue("error.coordinate_near_zero", smallest=SMALLEST_COORDINATE)
        return value


class Attachment(Model):
    upload_id: str
    key: str
    kind: AttachmentKind
    content_type: str
    size: int
    #: Who posted it (the citizen, or the hotline operator filing for a caller).
    uploaded_by: str | None = None


class RatingChannel(StrEnum):
    """How a rating reached the platform: the citizen online (app, SMS code), or read out to an operator
    who called back (回访)."""

    ONLINE = "online"
    CALLBACK = "callback"


class CallbackOutcome(StrEnum):
    RATED = "rated"
    UNREACHABLE = "unreachable"
    DECLINED = "declined"


class CallbackAttempt(Model):
    """One 回访 call about a round's reply: who called, when, on which working day, and how it went."""

    round: int
    outcome: CallbackOutcome
    at: datetime
    by: str
    #: The working day it was made on (`DeadlineClock.working_day`): unreachable attempts count once a day.
    working_day: str


#: One score of a rating: 1 (worst) to 5 (best).
Score = Annotated[int, Field(ge=1, le=5)]

#: The four dimensions a citizen scores an answer on (处置速度、处置效果、服务体验、反馈质量), in order.
DIMENSIONS = ("speed", "effectiveness", "experience", "feedback_quality")


class RatingScores(Model):
    """The four 1–5 scores of a rating, declared once: the rating bodies of the API are this type
    (the handler passes the validated body down as it is), the stored `Rating` and its view extend it."""

    speed: Score
    effectiveness: Score
    experience: Score = Field(description="service experience")
    feedback_quality: Score

    def scores(self) -> dict[str, int]:
        """The four scores by dimension (nothing else a subclass carries: a comment, a proof)."""
        return {dimension: getattr(self, dimension) for dimension in DIMENSIONS}


class Rating(RatingScores):
    round: int
    #: Who rated: None for the case's citizen (as in ratings stored before reporters existed), or one of its
    #: other reporters (`Case.reporters`), each once per round.
    by: str | None = None
    comment: str | None = None
    satisfied: bool
    at: datetime
    channel: RatingChannel = RatingChannel.ONLINE


class Reply(Model):
    round: int
    unit_id: str
    message: str
    at: datetime
    on_time: bool
    #: Upload ids of the files the unit sent with its answer (in the case's attachments).
    attachments: list[str] = Field(default_factory=list)


class Extension(Model):
    days: int
    reason: str
    requested_at: datetime
    requested_by: str
    status: Literal["pending", "approved", "refused"] = "pending"
    decided_at: datetime | None = None


class Supplement(Model):
    """Information the citizen added while the case was open."""

    text: str
    upload_ids: list[str] = Field(default_factory=list)
    at: datetime


class SupervisionOrder(Model):
    """A supervisor's instructions to the unit, with the deadline they set."""

    instructions: str
    due_at: datetime
    by: str
    at: datetime


class WorkflowWait(Model):
    """Where the case's workflow execution is parked: the callback token for one phase and round."""

    phase: Literal["dispatch", "handling", "rating"]
    round: int
    token: str
    due_at: datetime | None = None


class Actor(Model):
    role: Role
    id: str
    unit_id: str | None = None
    #: The language stored on the account (Cognito `locale`), the default for the citizen's requests.
    language: Literal["zh", "en"] | None = None
    #: The account's verified mobile number (Cognito `phone_number`, E.164), where a citizen's notices go.
    phone: str | None = None


Language = Literal["zh", "en"]

#: The topic of a case filed without one that the model could not route alone (issue 18): no routing
#: rule has it, so the case waits in the dispatch centre's queue until a dispatcher classifies it.
UNSORTED_TOPIC = "unsorted"


class SuggestionSource(StrEnum):
    """Who chose the topic a case was filed with."""

    #: the citizen or the operator picked it
    GIVEN = "given"
    #: the topic model, its score above the auto-route threshold
    MODEL = "model"
    #: nobody yet: the dispatch centre will (the case is `UNSORTED_TOPIC`)
    DISPATCH = "dispatch"


class SuggestedTopic(Model):
    topic: str
    score: float


class CaseSuggestion(Model):
    """What smart intake suggested when the case was filed (the model's version and its best topics)
    and what was chosen then; a dispatcher's correction later shows in the case's own topic."""

    model_version: str
    topics: list[SuggestedTopic]
    chosen: str
    source: SuggestionSource


class ReporterVia(StrEnum):
    """How a person came to follow a case they did not file."""

    #: their own case was merged into it (并单)
    MERGED = "merged"
    #: "me too" (我也遇到): they asked to follow it instead of filing
    FOLLOW = "follow"


class Reporter(Model):
    """Someone else who reported the same problem: they hear the case's reply and closure by SMS, in
    their language, and may rate its answer (each once per round)."""

    citizen_id: str
    #: Where their notices go (the merged case's notice phone; the follower's verified mobile).
    phone: str
    language: Language = "zh"
    via: ReporterVia
    #: The merged case they came with (its id and tracking number); None for "me too".
    case_id: str | None = None
    tracking_no: str | None = None
    at: datetime


class Case(Model):
    """A citizen request with its whole lifecycle state. `version` is the optimistic lock."""

    model_config = ConfigDict(extra="ignore")

    id: str
    tracking_no: str
    citizen_id: str
    phone: str
    language: Language = "zh"
    channel: Channel = Channel.APP
    category: Category
    topic: str
    district: str
    description: str
    address: str | None = None
    location: Location | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    #: A link to media the submitting system hosts (Open311 `media_url`); never fetched.
    media_url: str | None = None
    #: The citizen chose to publish the description (scrubbed) in the open-data feed. Cases stored
    #: before the choice existed have no such attribute and read as private (domain/privacy.py).
    public: bool = False
    status: CaseStatus
    unit_id: str | None = None
    in_dispatch_queue: bool = False
    #: While in the dispatch centre's queue: when a dispatcher must have picked a unit.
    dispatch_due_at: datetime | None = None
    dispatch_overdue: bool = False
    previous_unit_ids: list[str] = Field(default_factory=list)
    due_at: datetime | None = None
    dispatched_at: datetime | None = None
    #: The unit the scoreboard's `dispatched` last counted the case for (its last dispatch; a transfer
    #: leaves it): a merge takes the case off that count while that unit holds it (并单: counted once).
    dispatched_unit: str | None = None
    overdue: bool = False
    ever_overdue: bool = False
    #: The unit whose open-overdue gauge counts this case (set when it goes overdue, cleared when it leaves).
    overdue_unit: str | None = None
    warned_round: int = 0
    reopen_count: int = 0
    supervised: bool = False
    round: int = 1
    replies: list[Reply] = Field(default_factory=list)
    ratings: list[Rating] = Field(default_factory=list)
    extension: Extension | None = None
    #: The rounds in which the unit asked for an extension (at most a configured number per round).
    extension_rounds: list[int] = Field(default_factory=list)
    supplements: list[Supplement] = Field(default_factory=list)
    supervision: SupervisionOrder | None = None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    closed_reason: CloseReason | None = None
    on_time: bool | None = None
    wait: WorkflowWait | None = None
    #: Step Functions execution name: the case id, or `<id>-r<n>` after the sweep restarted it.
    execution_name: str | None = None
    repair_count: int = 0
    #: The catalogue version the case was routed with (its rules, units and deadline days).
    catalog_version: int | None = None
    #: Smart intake's suggestion at filing and what was chosen (issue 18); None for cases before it.
    suggestion: CaseSuggestion | None = None
    #: Needs a supervisor's eyes (the workflow could not be repaired automatically).
    flagged: bool = False
    #: 直接办结: the knowledge-base entry the operator answered from, if any.
    knowledge_id: str | None = None
    #: 回访 calls made about the replies of a hotline case.
    callbacks: list[CallbackAttempt] = Field(default_factory=list)
    #: The holding unit's person the case is given to (their username in the staff pool, which is
    #: their `sub`); cleared when the case leaves the unit.
    assignee: str | None = None
    #: Units asked to help (协办): they read the case and add notes; the lead unit (`unit_id`) answers.
    assist_units: list[str] = Field(default_factory=list)
    #: 紧急: a deadline in working hours (the catalogue's `urgent_hours`), first in the inbox, the
    #: unit's duty phone texted at once.
    urgent: bool = False
    #: 并单: the other people who reported this problem (merged cases' reporters, "me too").
    reporters: list[Reporter] = Field(default_factory=list)
    #: While MERGED: the kept case's tracking number and id.
    merged_into: str | None = None
    merged_into_case: str | None = None
    #: Merges of this case a supervisor undid (each routed it again with an execution of its own).
    unmerge_count: int = 0
    event_count: int = 0
    version: int = 0


class TimelineEvent(Model):
    case_id: str
    seq: Annotated[int, Field(ge=1)]
    type: EventType
    at: datetime
    actor_role: Role
    actor_id: str
    status: CaseStatus
    unit_id: str | None = None
    note: str | None = None
    round: int = 1
    due_at: datetime | None = None
    #: Machine-readable outcome details for consumers of the stream (scoreboard), e.g. on_time.
    facts: dict[str, bool | int | str] = Field(default_factory=dict)
    #: What the platform says about the event (a system note: routing, warnings, repairs, reads of
    #: personal data), as a catalogue key and its facts, rendered in the reader's language; `note`
    #: then holds only what a person typed (a return reason, a citizen's comment), as written.
    message: Message | None = None
    #: The event's schema: 1 (stored before messages, absent in old items): `note` may hold the
    #: platform's English prose (read through `legacy_events`); `EVENT_VERSION` since.
    v: int = 1


#: The schema version `lifecycle` writes (see `TimelineEvent.v`).
EVENT_VERSION = 2


class Unit(Model):
    id: str
    name: str
    name_en: str
    district: str | None = None
    duty_phone: str | None = None
    #: The topics the unit handles (the unit directory filters on them).
    topics: list[str] = Field(default_factory=list)


class RoutingRule(Model):
    topic: str
    district: str
    unit_id: str
    #: The catalogue version that defined the rule (None for rules seeded before versions).
    catalog_version: int | None = None


class Bounds(Model):
    """The city's bounding box: a location outside it is no place the city can send anyone to."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, location: Location) -> bool:
        return self.south <= location.lat <= self.north and self.west <= location.lon <= self.east


class KnowledgeEntry(Model):
    """A question callers often ask and the centre's approved answer (知识库): what an operator reads
    out to answer a consultation on the call (直接办结)."""

    id: str
    topic: str | None = None
    question: str
    answer: str


class ReplyTemplate(Model):
    """A reply a unit may start from (答复模板): the console's picker fills the answer with `text`."""

    id: str
    topic: str | None = None
    title: str
    text: str


class Catalog(Model):
    categories: list[Category]
    topics: dict[str, dict[str, str]]
    districts: dict[str, dict[str, str]]
    units: dict[str, Unit]
    deadline_days: dict[Category, int]
    #: Working hours an urgent case (紧急) gives its unit (`minyi.domain.deadlines.after_working_hours`).
    urgent_hours: float = 4.0
    #: The fewest reports of a topic in one cell and day that make a hotspot (`minyi.domain.hotspots`).
    hotspot_min_reports: int = 5
    bounds: Bounds | None = None
    #: Each district's area, a simple polygon of [lat, lon] corners (suggests a district; domain/geo.py).
    district_areas: dict[str, list[list[float]]] = Field(default_factory=dict)
    #: Keywords per topic: the intake model's cold start (domain/intake_model.py `keyword_model`).
    topic_keywords: dict[str, list[str]] = Field(default_factory=dict)
    #: The accepted catalogue document this is (0: none accepted yet, or seeded without versions).
    version: int = 0
    #: The knowledge base and the reply templates the catalogue document carries (catalog_doc.py).
    knowledge: list[KnowledgeEntry] = Field(default_factory=list)
    reply_templates: list[ReplyTemplate] = Field(default_factory=list)


class TrackingEntry(Model):
    """A public tracking number and what public tracking checks it against."""

    tracking_no: str
    case_id: str
    phone_last4: str


class Upload(Model):
    """A presigned attachment upload: who may attach it, what it may be, and the case that claimed it."""

    upload_id: str
    owner_id: str
    key: str
    content_type: str
    size: int
    created_at: datetime
    expires_at: int
    case_id: str | None = None


class OutboxEntry(Model):
    """One SMS notice as recorded in a case's outbox (what staff see in the case's notifications)."""

    model_config = ConfigDict(extra="ignore")

    case_id: str
    event_seq: int
    event_type: EventType
    kind: str
    to: str
    body: str
    segments: int
    status: OutboxStatus
    attempts: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    provider_message_id: str | None = None
    last_error: str | None = None
