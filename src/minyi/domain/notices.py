"""Which SMS notices a timeline event causes, to whom, and with which message (pure).

The domain decides the message (a catalogue key `sms.<kind>.<event>[.variant]`) and its facts, never
the prose: the texts live in the message catalogue (`src/minyi/locale/<lang>/LC_MESSAGES/minyi.po`,
server section) and are rendered at the edge (`minyi.services.notify`, through `minyi.text`), which
hands `compose` a renderer. Citizens get their language (Simplified Chinese by default, or English);
units, dispatchers and supervisors get Chinese. Every message carries the tracking number. Length is
counted in SMS segments: 70 characters per segment for Chinese (UCS-2; 67 per part when split),
160/153 for plain GSM-7 text.

Mainland providers send registered templates only, and refuse a link in a template variable (short links
included): a link must be constant text of the template. So a text's placeholders are of two sorts:
`CONSTANTS` (the rating address, filled in when the template is registered and the same in every SMS)
and `VARIABLES` (the case's facts, sent as the template's parameters), each with its largest value
declared, so `minyi sms templates` can print what to register and a test can hold every value to it.
A registered template's key is its catalogue key without `sms.`, with the language:
`sms.citizen.dispatched` in Chinese is `citizen.dispatched.zh`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import Field

from minyi.domain.base import Model
from minyi.domain.messages import Message, message
from minyi.domain.models import Case, CloseReason, EventType, Language, TimelineEvent, Unit

RecipientKind = Literal["citizen", "unit", "previous_unit", "dispatchers", "supervisors", "assist_unit", "hotspot"]

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)


class TemplateMessage(Model):
    """A notice as a provider's registered template (mainland SMS providers send only registered
    templates): which text it is and the values of its placeholders, in the order the text uses them."""

    #: The registered-template key: the catalogue key without `sms.`, with the language
    #: (`sms.citizen.dispatched` in Chinese: `citizen.dispatched.zh`; see `registered_key`).
    key: str
    #: variable name -> value (`no`, `unit`, `due`, `code`), in order of first use in the text; never a
    #: constant (the rating address is part of the registered text).
    params: dict[str, str]


class Notice(Model):
    case_id: str
    event_seq: int
    event_type: EventType
    kind: RecipientKind
    to: str
    body: str
    segments: int
    #: The same notice for template-based providers (not stored in the outbox: the body is).
    template: TemplateMessage | None = Field(default=None, exclude=True)
    #: Which of several recipients of one kind (an assisting unit's id); None where a kind has one.
    recipient: str | None = None

    @property
    def outbox_key(self) -> str:
        """One notice per (case, event, recipient): the exactly-once key."""
        key = f"OUTBOX#{self.event_seq:05d}#{self.kind}"
        return f"{key}#{self.recipient}" if self.recipient else key


class NoticeContext(Model):
    case: Case
    unit: Unit | None
    supervisors_phone: str | None
    #: The constant rating address as the SMS shows it (`12345.sz.gov.cn/r`: `RatingLinks.address`).
    rating_address: str
    #: The 6-digit rating code of the event's round (`RatingLinks.code`).
    rating_code: str
    #: The unit a transfer took the case from.
    previous_unit: Unit | None = None
    dispatchers_phone: str | None = None
    #: The units an `ASSIST_REQUESTED` event asked to help (协办), as the catalogue knows them.
    assist_units: list[Unit] = Field(default_factory=list)
    #: 并单: each of the case's other reporters' rating code for the event's round, by citizen id
    #: (`RatingLinks.code(..., reporter=)`: a code names who rates with it).
    reporter_codes: dict[str, str] = Field(default_factory=dict)


#: GSM 03.38 extension table: each costs two septets (escape + character).
_GSM7_EXTENSION = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """GSM-7 text: 160 septets, 153 per part; anything else (Chinese) is UCS-2: 70, 67 per part."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in _GSM7_EXTENSION else 1 for ch in text)
        single, part = 160, 153
    else:
        units = len(text)
        single, part = 70, 67
    return 1 if units <= single else math.ceil(units / part)


#: Which events each recipient kind hears of: the catalogue holds `sms.<kind>.<event>` for each.
_CITIZEN: frozenset[EventType] = frozenset(
    {
        EventType.SUBMITTED,
        EventType.DISPATCHED,
        EventType.TRANSFERRED,
        EventType.EXTENSION_APPROVED,
        # names who answered, with the rating code and the constant rating address (no link in a
        # variable); no 验证码 (that would make it a verification-code template, digits-only variables)
        EventType.REPLIED,
        EventType.REOPENED,
        EventType.SUPERVISED,
        EventType.CLOSED,
        # 直接办结: the answer as read out on the call (at most `MAX_ANSWER_LENGTH`, see VARIABLES), with
        # the rating code: a short one fits one segment, the longest takes more (`DECLARED_SEGMENTS`)
        EventType.ANSWERED_AT_INTAKE,
        EventType.WITHDRAWN,
        # 并单: the merged case's citizen hears into which case (its SMS tell the rest from then on)
        EventType.MERGED,
    }
)
#: 并单: what the case's other reporters hear (merged cases' and "me too"s), each at their phone, in their
#: language, in the citizen's words, with a rating code of their own (one notice per reporter).
_REPORTER: frozenset[EventType] = frozenset({EventType.REPLIED, EventType.CLOSED})
#: Citizen texts with a shorter variant (`sms.citizen.replied.short`), sent where the full text would take
#: two segments (a long unit name at a long rating address) or has no unit to name: one segment at the
#: longest address (`MAX_HOST_LENGTH`), a template of its own.
_CITIZEN_SHORT: frozenset[EventType] = frozenset({EventType.REPLIED})
#: The catalogue-key variant of `_CITIZEN_SHORT`'s texts (`sms.citizen.replied.short`).
SHORT = "short"
#: Citizen notices that cannot fit one segment, with the most segments they take at their longest values
#: (declared when the template is registered); every other citizen notice is one segment.
DECLARED_SEGMENTS: dict[EventType, int] = {EventType.ANSWERED_AT_INTAKE: 6}

_UNIT: frozenset[EventType] = frozenset(
    {
        EventType.DISPATCHED,
        EventType.TRANSFERRED,
        EventType.REOPENED,
        EventType.SUPERVISED,
        EventType.SUPERVISION_INSTRUCTED,
        EventType.EXTENSION_APPROVED,
        EventType.OVERDUE,
        EventType.DEADLINE_WARNING,
        EventType.WITHDRAWN,
        EventType.SUPPLEMENTED,
    }
)
#: An urgent case (紧急, the event's `urgent` fact): the unit's duty phone hears it at once, in these words
#: (`sms.unit.dispatched.urgent`).
_UNIT_URGENT: frozenset[EventType] = frozenset({EventType.DISPATCHED, EventType.TRANSFERRED})
#: The catalogue-key variant of the urgent texts.
URGENT_VARIANT = "urgent"
_PREVIOUS_UNIT: frozenset[EventType] = frozenset({EventType.TRANSFERRED})
_DISPATCHERS: frozenset[EventType] = frozenset({EventType.DISPATCH_OVERDUE})
#: Supervisors also hear when a case they supervised is finished (`sms.supervisors.closed`).
_SUPERVISORS: frozenset[EventType] = frozenset(
    {EventType.SUPERVISED, EventType.OVERDUE, EventType.DISPATCH_OVERDUE, EventType.CLOSED}
)
#: 协办: each unit asked to help on a case hears it at its duty phone (one notice per unit).
_ASSIST_UNIT: frozenset[EventType] = frozenset({EventType.ASSIST_REQUESTED})

#: The languages a recipient kind is texted in: citizens their own, staff Chinese.
_LANGUAGES: dict[RecipientKind, tuple[Language, ...]] = {
    "citizen": ("zh", "en"),
    "unit": ("zh",),
    "previous_unit": ("zh",),
    "dispatchers": ("zh",),
    "supervisors": ("zh",),
    "assist_unit": ("zh",),
    # 未诉先办: the supervision office hears of a hotspot (minyi.domain.hotspots, not an event's notice)
    "hotspot": ("zh",),
}


class PlannedNotice(Model):
    """A notice decided but not yet worded: to whom, in which language, which message."""

    case_id: str
    event_seq: int
    event_type: EventType
    kind: RecipientKind
    to: str
    language: Language
    message: Message
    #: The shorter message to send instead when `message` would take more than one segment.
    short: Message | None = None
    #: Which of several recipients of one kind (an assisting unit's id), for the exactly-once key.
    recipient: str | None = None


#: A message in a language -> its text, and each placeholder's value as shown (in order of first use).
Render = Callable[[Message, Language], tuple[str, dict[str, str]]]


def plan_messages(event: TimelineEvent, ctx: NoticeContext) -> list[PlannedNotice]:
    """Which notices `event` causes: recipients, languages, messages and their facts (no prose)."""
    case = ctx.case
    planned: list[PlannedNotice] = []
    facts = {
        "no": case.tracking_no,
        "unit": ctx.unit.id if ctx.unit else None,
        "due": event.due_at,
        "code": ctx.rating_code,
        "address": ctx.rating_address,
    }
    if event.type == EventType.ANSWERED_AT_INTAKE:
        facts["answer"] = event.note or ""
    if event.type == EventType.MERGED:
        facts["into"] = str(event.facts.get("into", ""))

    def add(
        kind: RecipientKind,
        to: str | None,
        lang: Language,
        variant: str | None = None,
        short: bool = False,
        recipient: str | None = None,
        code: str | None = None,
    ) -> None:
        if not to:
            return
        key = sms_key(kind, event.type, variant)
        own = {**facts, "code": code} if code is not None else facts
        message_, short_message = message(key, **own), None
        if short:
            short_message = message(sms_key(kind, event.type, variant, short=True), **own)
            if ctx.unit is None:  # no unit to name: no "-"
                message_, short_message = short_message, None
        planned.append(
            PlannedNotice(
                case_id=case.id,
                event_seq=event.seq,
                event_type=event.type,
                kind=kind,
                to=to,
                language=lang,
                message=message_,
                short=short_message,
                recipient=recipient,
            )
        )

    citizen = event.type in _CITIZEN
    if event.type == EventType.CLOSED and case.closed_reason == CloseReason.ANSWERED_AT_INTAKE:
        citizen = False  # the answer's own SMS told the caller everything
    if citizen:
        add("citizen", case.phone, case.language, short=event.type in _CITIZEN_SHORT)
    if citizen and event.type in _REPORTER:
        phones = {case.phone}
        for reporter in case.reporters:
            if reporter.phone in phones:
                continue  # one SMS per phone: a reporter texted from the case's own number hears it once
            phones.add(reporter.phone)
            add(
                "citizen",
                reporter.phone,
                reporter.language,
                short=event.type in _CITIZEN_SHORT,
                recipient=reporter.citizen_id,
                code=ctx.reporter_codes.get(reporter.citizen_id, ctx.rating_code),
            )
    if ctx.unit and event.type in _UNIT_URGENT and event.facts.get("urgent"):
        add("unit", ctx.unit.duty_phone, "zh", variant=URGENT_VARIANT)
    elif ctx.unit and event.type in _UNIT:
        add("unit", ctx.unit.duty_phone, "zh")
    if ctx.previous_unit and event.type in _PREVIOUS_UNIT:
        add("previous_unit", ctx.previous_unit.duty_phone, "zh")
    if event.type in _DISPATCHERS:
        add("dispatchers", ctx.dispatchers_phone, "zh")
    supervised = case.supervised or case.supervision is not None
    if event.type in _SUPERVISORS and (event.type != EventType.CLOSED or supervised):
        add("supervisors", ctx.supervisors_phone, "zh")
    if event.type in _ASSIST_UNIT:
        for unit in ctx.assist_units:
            add("assist_unit", unit.duty_phone, "zh", recipient=unit.id)
    return planned


def compose(plan: PlannedNotice, render: Render) -> Notice:
    """The notice as sent: its message rendered (the short one where the full would take two segments),
    its segments counted, and its template's variables (never a constant) in order of first use."""
    chosen = plan.message
    body, shown = render(chosen, plan.language)
    if plan.short is not None and sms_segments(body) > 1:
        chosen = plan.short
        body, shown = render(chosen, plan.language)
    params = {name: value for name, value in shown.items() if name not in CONSTANTS}
    return Notice(
        case_id=plan.case_id,
        event_seq=plan.event_seq,
        event_type=plan.event_type,
        kind=plan.kind,
        to=plan.to,
        recipient=plan.recipient,
        body=body,
        segments=sms_segments(body),
        template=TemplateMessage(key=registered_key(chosen.key, plan.language), params=params),
    )


def sms_key(kind: RecipientKind, event_type: EventType, variant: str | None = None, short: bool = False) -> str:
    """The catalogue key of a notice text: `sms.<kind>.<event>[.variant][.short]` (unique: each recipient
    kind has one text per event and variant, and a citizen's may have a shorter one of its own)."""
    return ".".join(["sms", kind, event_type.value, *([variant] if variant else []), *([SHORT] if short else [])])


def registered_key(key: str, lang: str) -> str:
    """The registered-template key of a catalogue key in a language (`sms.citizen.replied` in English:
    `citizen.replied.en`): what the provider's configuration maps to a template id."""
    return f"{key.removeprefix('sms.')}.{lang}"


def template_key(
    kind: RecipientKind, event_type: EventType, lang: str, variant: str | None = None, short: bool = False
) -> str:
    """The registered-template key of a notice text (`unit.dispatched.urgent.zh`, `citizen.replied.short.zh`)."""
    return registered_key(sms_key(kind, event_type, variant, short), lang)


def notice_keys() -> dict[str, tuple[Language, ...]]:
    """Every notice text's catalogue key, with the languages it is sent in: what a template-based SMS
    provider must have registered (the texts themselves are the catalogue's)."""
    keys: dict[str, tuple[Language, ...]] = {}
    groups: list[tuple[RecipientKind, frozenset[EventType], str | None, bool]] = [
        ("citizen", _CITIZEN, None, False),
        ("citizen", _CITIZEN_SHORT, None, True),
        ("unit", _UNIT, None, False),
        ("unit", _UNIT_URGENT, URGENT_VARIANT, False),
        ("previous_unit", _PREVIOUS_UNIT, None, False),
        ("dispatchers", _DISPATCHERS, None, False),
        ("supervisors", _SUPERVISORS, None, False),
        ("assist_unit", _ASSIST_UNIT, None, False),
    ]
    for kind, events, variant, short in groups:
        for event_type in sorted(events):
            keys[sms_key(kind, event_type, variant, short)] = _LANGUAGES[kind]
    return keys


#: A placeholder, with or without a format spec (`{no}`, `{due:day_time}`, `{unit:unit}`).
_PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")


def template_placeholders(text: str) -> list[str]:
    """The variable names of a notice text, in order of first use (the template's parameter order);
    constants are not parameters."""
    return [name for name in dict.fromkeys(_PLACEHOLDER.findall(text)) if name not in CONSTANTS]


def template_constants(text: str) -> list[str]:
    """The constants a notice text holds (filled in when the template is registered)."""
    return [name for name in dict.fromkeys(_PLACEHOLDER.findall(text)) if name in CONSTANTS]


#: Placeholders that are constant text of the registered template, the same in every SMS.
CONSTANTS = frozenset({"address"})


class VariableKind(StrEnum):
    """What a template variable may carry (providers check it)."""

    #: digits only (a verification code: at most 6 digits)
    DIGITS = "digits"
    #: plain text: names, numbers, times; never a link
    TEXT = "text"


@dataclass(frozen=True)
class TemplateVariable:
    name: str
    kind: VariableKind
    #: The longest value, by language (`zh`, `en`): what the provider is told to expect.
    max_length: dict[str, int]
    description: str

    def limit(self, lang: str) -> int:
        return self.max_length.get(lang, self.max_length["zh"])


#: Every variable a notice text may use, with its largest value (the catalogue bounds unit names:
#: `minyi.domain.catalog_doc.Office`; tracking numbers are `SZyymm-XXXXXX`; times are the catalogue's `{due:day_time}`).
VARIABLES: dict[str, TemplateVariable] = {
    "no": TemplateVariable("no", VariableKind.TEXT, {"zh": 13}, "tracking number, e.g. SZ2612-WUENY8"),
    "unit": TemplateVariable("unit", VariableKind.TEXT, {"zh": 64, "en": 128}, "the handling unit's name"),
    "due": TemplateVariable("due", VariableKind.TEXT, {"zh": 11, "en": 12}, "deadline, e.g. 12月31日23:59"),
    "code": TemplateVariable("code", VariableKind.DIGITS, {"zh": 6}, "6-digit code: rating (this round) or sign-in"),
    # 并单: the kept case's tracking number
    "into": TemplateVariable("into", VariableKind.TEXT, {"zh": 13}, "the tracking number a case was merged into"),
    # 直接办结: the operator's answer (minyi.domain.catalog_doc.MAX_ANSWER_LENGTH, also for a typed one)
    "answer": TemplateVariable("answer", VariableKind.TEXT, {"zh": 300}, "the answer given on the call"),
    # the staff pool's temporary password (minyi.domain.account_codes): its policy asks for 12 characters
    "password": TemplateVariable("password", VariableKind.TEXT, {"zh": 12}, "a staff account's temporary password"),
    # 未诉先办 (minyi.domain.hotspots): a district's and a topic's Chinese names, the day's count, its baseline
    "district": TemplateVariable("district", VariableKind.TEXT, {"zh": 64}, "a district's name"),
    "topic": TemplateVariable("topic", VariableKind.TEXT, {"zh": 64}, "a topic's name"),
    "count": TemplateVariable("count", VariableKind.TEXT, {"zh": 6}, "reports in the cell that day"),
    "baseline": TemplateVariable("baseline", VariableKind.TEXT, {"zh": 8}, "the cell's usual reports per day"),
}


def text_language(key: str) -> str:
    """The language of a template key (`citizen.replied.en` -> `en`)."""
    return key.rsplit(".", 1)[-1]
