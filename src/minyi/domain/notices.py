"""Which SMS notices a timeline event causes, to whom, and their text (pure).

Citizens get their language (Simplified Chinese by default, or English); units and supervisors get
Chinese. Every message carries the tracking number. Length is counted in SMS segments: 70 characters
per segment for Chinese (UCS-2; 67 per part when split), 160/153 for plain GSM-7 text.

Mainland providers send registered templates only, and refuse a link in a template variable (short links
included): a link must be constant text of the template. So a text's placeholders are of two sorts:
`CONSTANTS` (the rating address, filled in when the template is registered and the same in every SMS)
and `VARIABLES` (the case's facts, sent as the template's parameters), each with its largest value
declared, so `minyi sms templates` can print what to register and a test can hold every value to it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from minyi.domain.deadlines import CITY_TZ
from minyi.domain.models import Case, CloseReason, EventType, TimelineEvent, Unit

RecipientKind = Literal["citizen", "unit", "previous_unit", "dispatchers", "supervisors"]

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)


class TemplateMessage(BaseModel):
    """A notice as a provider's registered template (mainland SMS providers send only registered
    templates): which text it is and the values of its placeholders, in the order the text uses them."""

    #: `<kind>.<event type>.<lang>`, e.g. `citizen.dispatched.zh`: one per text in this module.
    key: str
    #: variable name -> value (`no`, `unit`, `due`, `code`), in order of first use in the text; never a
    #: constant (the rating address is part of the registered text).
    params: dict[str, str]


class Notice(BaseModel):
    case_id: str
    event_seq: int
    event_type: EventType
    kind: RecipientKind
    to: str
    body: str
    segments: int
    #: The same notice for template-based providers (not stored in the outbox: the body is).
    template: TemplateMessage | None = Field(default=None, exclude=True)

    @property
    def outbox_key(self) -> str:
        """One notice per (case, event, recipient): the exactly-once key."""
        return f"OUTBOX#{self.event_seq:05d}#{self.kind}"


class NoticeContext(BaseModel):
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


def _due(at: datetime | None, lang: str) -> str:
    if at is None:
        return "-"
    local = at.astimezone(CITY_TZ)
    return local.strftime("%m月%d日%H:%M") if lang == "zh" else local.strftime("%d %b %H:%M")


_CITIZEN: dict[EventType, dict[str, str]] = {
    EventType.SUBMITTED: {
        "zh": "【民意速办】您的诉求已受理，编号{no}，凭手机尾号四位可查进度。",
        "en": "[Minyi] Request received: {no}. Track it with the last 4 digits of your phone.",
    },
    EventType.DISPATCHED: {
        "zh": "【民意速办】您的诉求{no}已派至{unit}办理，时限{due}。",
        "en": "[Minyi] Your request {no} is with {unit}, due {due}.",
    },
    EventType.TRANSFERRED: {
        "zh": "【民意速办】您的诉求{no}已改派{unit}办理，时限{due}。",
        "en": "[Minyi] Your request {no} moved to {unit}, due {due}.",
    },
    EventType.EXTENSION_APPROVED: {
        "zh": "【民意速办】您的诉求{no}办理时限延至{due}。",
        "en": "[Minyi] The deadline of your request {no} moved to {due}.",
    },
    EventType.REPLIED: {
        # the address is constant text (no link in a variable); the page asks for the number and code
        # and shows the answer. It names who answered; where the unit's name and the rating address
        # together would not fit one segment, `_CITIZEN_SHORT`'s text goes instead. No 验证码 (that
        # would make it a verification-code template, whose variables may only be digits).
        "zh": "【民意速办】{unit}已答复{no}，请凭评价码{code}到{address}评价",
        "en": "[Minyi] {unit} answered your request {no}. Rate it at {address} with code {code}.",
    },
    EventType.REOPENED: {
        "zh": "【民意速办】您的诉求{no}已退回{unit}重新办理，新时限{due}。",
        "en": "[Minyi] Your request {no} went back to {unit} to be redone, due {due}.",
    },
    EventType.SUPERVISED: {
        "zh": "【民意速办】您的诉求{no}已转入督办，{unit}将在督办下重新办理。",
        "en": "[Minyi] Your request {no} is now under special supervision; {unit} will redo it.",
    },
    EventType.CLOSED: {
        "zh": "【民意速办】您的诉求{no}已办结，感谢您的参与。",
        "en": "[Minyi] Your request {no} is closed. Thank you.",
    },
    EventType.ANSWERED_AT_INTAKE: {
        # 直接办结: the answer as read out on the call, with the rating code. The answer is a knowledge
        # entry's (at most `MAX_ANSWER_LENGTH`, see VARIABLES): a short one fits one segment, the
        # longest takes five; the template is registered with that length declared.
        "zh": "【民意速办】您的咨询{no}答复：{answer}评价码{code}，可到{address}评价",
        "en": "[Minyi] Answer to {no}: {answer} Rate it at {address} with code {code}.",
    },
    EventType.WITHDRAWN: {
        "zh": "【民意速办】您的诉求{no}已撤回。",
        "en": "[Minyi] Your request {no} is withdrawn.",
    },
}

#: The citizen's text when `_CITIZEN`'s would take two segments (a long unit name at a long rating
#: address): one segment at the longest address (`MAX_HOST_LENGTH`), a template of its own.
_CITIZEN_SHORT: dict[EventType, dict[str, str]] = {
    EventType.REPLIED: {
        "zh": "【民意速办】{no}已答复，请凭评价码{code}到{address}评价",
        "en": "[Minyi] Your request {no} has been answered. Rate it at {address} with code {code}.",
    },
}
#: The template-key variant of `_CITIZEN_SHORT`'s texts (`citizen.replied.short.zh`).
SHORT = "short"
#: Citizen notices that cannot fit one segment, with the most segments they take at their longest values
#: (declared when the template is registered); every other citizen notice is one segment.
DECLARED_SEGMENTS: dict[EventType, int] = {EventType.ANSWERED_AT_INTAKE: 6}

_UNIT: dict[EventType, str] = {
    EventType.DISPATCHED: "【民意速办】新工单{no}已派至贵单位，请于{due}前办结。",
    EventType.TRANSFERRED: "【民意速办】工单{no}已改派贵单位，请于{due}前办结。",
    EventType.REOPENED: "【民意速办】工单{no}群众不满意，已退回贵单位重办，请于{due}前办结。",
    EventType.SUPERVISED: "【民意速办】工单{no}已列入督办，请于{due}前办结。",
    EventType.SUPERVISION_INSTRUCTED: "【民意速办】工单{no}已下达督办意见，请于{due}前办结。",
    EventType.EXTENSION_APPROVED: "【民意速办】工单{no}延期已批准，新时限{due}。",
    EventType.OVERDUE: "【民意速办】工单{no}已超过办理时限，已上报督办，请尽快办理。",
    EventType.DEADLINE_WARNING: "【民意速办】工单{no}办理时限将至（{due}），请抓紧办理。",
    EventType.WITHDRAWN: "【民意速办】工单{no}已由市民撤回，无需继续办理。",
    EventType.SUPPLEMENTED: "【民意速办】工单{no}市民补充了材料，请及时查看。",
}

#: An urgent case (紧急, the event's `urgent` fact): the unit's duty phone hears it at once, in these words.
_UNIT_URGENT: dict[EventType, str] = {
    EventType.DISPATCHED: "【民意速办】紧急工单{no}已派至贵单位，请立即处置，于{due}前办结。",
    EventType.TRANSFERRED: "【民意速办】紧急工单{no}已改派贵单位，请立即处置，于{due}前办结。",
}
#: The template-key suffix of the urgent texts (`unit.dispatched_urgent.zh`).
URGENT_VARIANT = "urgent"

_PREVIOUS_UNIT: dict[EventType, str] = {
    EventType.TRANSFERRED: "【民意速办】工单{no}已改派其他单位，贵单位无需继续办理。",
}

_DISPATCHERS: dict[EventType, str] = {
    EventType.DISPATCH_OVERDUE: "【民意速办】工单{no}超过派单时限仍未派出，请立即派单。",
}

_SUPERVISORS: dict[EventType, str] = {
    EventType.SUPERVISED: "【民意速办】工单{no}（{unit}）二次不满意，已转督办。",
    EventType.OVERDUE: "【民意速办】工单{no}（{unit}）已超过办理时限，请督办。",
    EventType.DISPATCH_OVERDUE: "【民意速办】工单{no}超过派单时限未派出，请督办。",
}

#: Supervisors hear when a case they supervised is finished.
_SUPERVISED_CLOSED = "【民意速办】督办工单{no}（{unit}）已办结。"


def plan_notices(event: TimelineEvent, ctx: NoticeContext) -> list[Notice]:
    case = ctx.case
    notices: list[Notice] = []

    def add(
        kind: RecipientKind, to: str | None, text: str, lang: str, short: str | None = None, variant: str | None = None
    ) -> None:
        if not to:
            return
        unit_name = (ctx.unit.name if lang == "zh" else ctx.unit.name_en) if ctx.unit else "-"
        values = {
            "no": case.tracking_no,
            "unit": unit_name,
            "due": _due(event.due_at, lang),
            "code": ctx.rating_code,
            "address": ctx.rating_address,
            "answer": event.note or "" if event.type == EventType.ANSWERED_AT_INTAKE else "",
        }
        body = text.format(**values)
        key = template_key(kind, event.type, lang, variant)
        if short is not None and (sms_segments(body) > 1 or ctx.unit is None):  # no unit to name: no "-"
            text, body, key = short, short.format(**values), template_key(kind, event.type, lang, variant, short=True)
        params = {name: values[name] for name in template_placeholders(text)}
        notices.append(
            Notice(
                case_id=case.id,
                event_seq=event.seq,
                event_type=event.type,
                kind=kind,
                to=to,
                body=body,
                segments=sms_segments(body),
                template=TemplateMessage(key=key, params=params),
            )
        )

    citizen_text = _CITIZEN.get(event.type)
    if event.type == EventType.CLOSED and case.closed_reason == CloseReason.ANSWERED_AT_INTAKE:
        citizen_text = None  # the answer's own SMS told the caller everything
    if citizen_text:
        short_text = _CITIZEN_SHORT.get(event.type, {}).get(case.language)
        add("citizen", case.phone, citizen_text[case.language], case.language, short_text)
    unit_text = _UNIT.get(event.type)
    urgent_text = _UNIT_URGENT.get(event.type) if event.facts.get("urgent") else None
    if urgent_text and ctx.unit:
        add("unit", ctx.unit.duty_phone, urgent_text, "zh", variant=URGENT_VARIANT)
    elif unit_text and ctx.unit:
        add("unit", ctx.unit.duty_phone, unit_text, "zh")
    previous_text = _PREVIOUS_UNIT.get(event.type)
    if previous_text and ctx.previous_unit:
        add("previous_unit", ctx.previous_unit.duty_phone, previous_text, "zh")
    dispatchers_text = _DISPATCHERS.get(event.type)
    if dispatchers_text:
        add("dispatchers", ctx.dispatchers_phone, dispatchers_text, "zh")
    supervisors_text = _SUPERVISORS.get(event.type)
    if event.type == EventType.CLOSED and (case.supervised or case.supervision is not None):
        supervisors_text = _SUPERVISED_CLOSED
    if supervisors_text:
        add("supervisors", ctx.supervisors_phone, supervisors_text, "zh")
    return notices


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def template_key(
    kind: RecipientKind, event_type: EventType, lang: str, variant: str | None = None, short: bool = False
) -> str:
    """The registered-template key of a notice text (unique: each recipient kind has one text per event,
    and per variant: `unit.dispatched_urgent.zh`; a citizen's may have a shorter text of its own:
    `citizen.replied.short.zh`)."""
    name = f"{event_type.value}_{variant}" if variant else event_type.value
    return f"{kind}.{name}.{SHORT}.{lang}" if short else f"{kind}.{name}.{lang}"


def notice_texts() -> dict[str, str]:
    """Every notice text by its template key: what a template-based SMS provider must have registered."""
    texts: dict[str, str] = {}
    for event_type, by_lang in _CITIZEN.items():
        for lang, text in by_lang.items():
            texts[template_key("citizen", event_type, lang)] = text
    for event_type, by_lang in _CITIZEN_SHORT.items():
        for lang, text in by_lang.items():
            texts[template_key("citizen", event_type, lang, short=True)] = text
    groups: list[tuple[RecipientKind, dict[EventType, str]]] = [
        ("unit", _UNIT),
        ("previous_unit", _PREVIOUS_UNIT),
        ("dispatchers", _DISPATCHERS),
        ("supervisors", _SUPERVISORS),
    ]
    for kind, by_event in groups:
        for event_type, text in by_event.items():
            texts[template_key(kind, event_type, "zh")] = text
    texts[template_key("supervisors", EventType.CLOSED, "zh")] = _SUPERVISED_CLOSED
    for event_type, text in _UNIT_URGENT.items():
        texts[template_key("unit", event_type, "zh", URGENT_VARIANT)] = text
    return texts


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
#: `minyi.domain.catalog_doc.Office`; tracking numbers are `SZyymm-XXXXXX`; times are `_due`'s).
VARIABLES: dict[str, TemplateVariable] = {
    "no": TemplateVariable("no", VariableKind.TEXT, {"zh": 13}, "tracking number, e.g. SZ2612-WUENY8"),
    "unit": TemplateVariable("unit", VariableKind.TEXT, {"zh": 64, "en": 128}, "the handling unit's name"),
    "due": TemplateVariable("due", VariableKind.TEXT, {"zh": 11, "en": 12}, "deadline, e.g. 12月31日23:59"),
    "code": TemplateVariable("code", VariableKind.DIGITS, {"zh": 6}, "6-digit code: rating (this round) or sign-in"),
    # 直接办结: the operator's answer (minyi.domain.catalog_doc.MAX_ANSWER_LENGTH, also for a typed one)
    "answer": TemplateVariable("answer", VariableKind.TEXT, {"zh": 300}, "the answer given on the call"),
    # the staff pool's temporary password (minyi.domain.account_codes): its policy asks for 12 characters
    "password": TemplateVariable("password", VariableKind.TEXT, {"zh": 12}, "a staff account's temporary password"),
}


def text_language(key: str) -> str:
    """The language of a template key (`citizen.replied.en` -> `en`)."""
    return key.rsplit(".", 1)[-1]
