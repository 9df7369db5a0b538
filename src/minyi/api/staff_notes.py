"""The platform's own notes in the staff timeline, in the reader's language.

The domain writes the notes of system events (routing, warnings, escalations, repairs, reads of
personal data) in English, once, into the event: they are the audit record and are never rewritten.
Unit staff read the console in Chinese, so the api layer shows those notes in Chinese when the reader
asks for it, matching each note as a whole against the shape the domain writes. Anything staff wrote
themselves (return reasons, replies, internal notes, instructions) matches no shape and is shown as
written; so is a system note of a shape this table does not know yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from minyi.domain.models import EventType, Language
from minyi.domain.timeline_text import local_time

_ROLES_ZH = {
    "citizen": "群众",
    "operator": "坐席",
    "staff": "承办单位",
    "dispatcher": "派单员",
    "supervisor": "督办员",
    "admin": "管理员",
    "system": "系统",
}
#: The platform's names of the four rating dimensions (the citizen app's and the console's too).
_SCORES_ZH = {
    "speed": "处置速度",
    "effectiveness": "处置效果",
    "experience": "服务体验",
    "feedback_quality": "反馈质量",
}


def _when(iso: str) -> str:
    try:
        return local_time(datetime.fromisoformat(iso), "zh")
    except ValueError:
        return iso


def _role(name: str) -> str:
    return _ROLES_ZH.get(name, name)


def _scores(summary: str) -> str:
    return "，".join(
        f"{_SCORES_ZH.get(key, key)} {value}" for key, _, value in (part.partition(" ") for part in summary.split(", "))
    )


def _comment(text: str | None) -> str:
    return f"。群众意见：{text}" if text else ""


def _workflow_reason(reason: str) -> str:
    if reason == "workflow execution never started":
        return "办理流程未启动"
    if reason.startswith("workflow execution "):
        return f"办理流程异常（{reason.removeprefix('workflow execution ')}）"
    return reason


Rewrite = Callable[[re.Match[str]], str]

#: (event type, the whole note as the domain writes it, its Chinese).
_ZH: list[tuple[EventType, re.Pattern[str], Rewrite]] = [
    (EventType.DISPATCHED, re.compile(r"routed to (.+)"), lambda m: f"按派单规则派至{m[1]}"),
    (EventType.DISPATCHED, re.compile(r"dispatched to (.+)"), lambda m: f"派单员派至{m[1]}"),
    (
        EventType.QUEUED,
        re.compile(r"no routing rule for (\S+) in (\S+)"),
        lambda m: f"没有适用的派单规则（{m[1]} · {m[2]}），转派单中心",
    ),
    (
        EventType.RATED,
        re.compile(r"satisfied \(([^)]*)\)(?:; comment: (.*))?", re.S),
        lambda m: f"满意（{_scores(m[1])}）{_comment(m[2])}",
    ),
    (
        EventType.RATED,
        re.compile(r"unsatisfied \(([^)]*)\)(?:; comment: (.*))?", re.S),
        lambda m: f"不满意（{_scores(m[1])}）{_comment(m[2])}",
    ),
    (
        EventType.REOPENED,
        re.compile(r"unsatisfied: returned to the same unit to redo"),
        lambda m: "群众不满意，退回原承办单位重办",
    ),
    (
        EventType.SUPERVISED,
        re.compile(r"unsatisfied after the redo: under special supervision"),
        lambda m: "重办后群众仍不满意，转入督办",
    ),
    (
        EventType.OVERDUE,
        re.compile(r"deadline (\S+) passed: escalated to supervisors"),
        lambda m: f"已超过办理时限（{_when(m[1])}），上报督办",
    ),
    (EventType.DEADLINE_WARNING, re.compile(r"due (\S+)"), lambda m: f"临近办理时限：{_when(m[1])}到期"),
    (
        EventType.EXTENSION_REQUESTED,
        re.compile(r"(\d+) working day\(s\): (.*)", re.S),
        lambda m: f"申请延期{m[1]}个工作日：{m[2]}",
    ),
    (
        EventType.EXTENSION_APPROVED,
        re.compile(r"new deadline (\S+?)(?:: (.*))?", re.S),
        lambda m: f"新的办理时限：{_when(m[1])}" + (f"：{m[2]}" if m[2] else ""),
    ),
    (
        EventType.WORKFLOW_REPAIRED,
        re.compile(r"(.*); restarted as (\S+)"),
        lambda m: f"{_workflow_reason(m[1])}，已重新启动（{m[2]}）",
    ),
    (
        EventType.PHONE_REVEALED,
        re.compile(r"citizen's phone number shown to (\S+) (\S+)"),
        lambda m: f"向{_role(m[1])} {m[2]} 显示了群众的完整手机号",
    ),
    (
        EventType.FLAGGED,
        re.compile(r"not routed in time although its workflow runs"),
        lambda m: "办理流程在运行，但未按时派单，请人工处理",
    ),
    (
        EventType.FLAGGED,
        re.compile(r"(.*); automatic restarts exhausted"),
        lambda m: f"{_workflow_reason(m[1])}，自动重启次数已用完，请人工处理",
    ),
    (
        EventType.MEDIA_VIEWED,
        re.compile(r"(\d+) attachment link\(s\) given to (\S+) (\S+)"),
        lambda m: f"向{_role(m[2])} {m[3]} 提供了 {m[1]} 个附件链接",
    ),
    (EventType.DISPATCH_OVERDUE, re.compile(r"not dispatched by (\S+)"), lambda m: f"未在{_when(m[1])}前派单"),
    (EventType.ASSIGNED, re.compile(r"assigned to (.+) \((\S+)\)"), lambda m: f"已交由{m[1]}（{m[2]}）办理"),
    (EventType.ASSIGNED, re.compile(r"assigned to (\S+)"), lambda m: f"已交由 {m[1]} 办理"),
]


def staff_note(event_type: EventType, note: str | None, language: Language) -> str | None:
    """The note as the reader should see it: a system note in Chinese for a Chinese reader, anything
    else as written."""
    if note is None or language != "zh":
        return note
    for kind, shape, rewrite in _ZH:
        if kind == event_type and (match := shape.fullmatch(note)):
            return rewrite(match)
    return note
