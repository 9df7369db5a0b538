"""Error messages in the caller's language: Simplified Chinese unless `Accept-Language` prefers English.

Every error keeps its machine-readable parts (`error` code, `problems[].field`, `current_status`)
the same in both languages; only the human text changes. Domain code raises English texts; this
table gives their Chinese, and pydantic's validation errors are worded from their error type.
Unknown texts fall back to English rather than to nothing.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from minyi.domain.models import CaseStatus, Language

DEFAULT_LANGUAGE: Language = "zh"


def negotiate(accept_language: str | None) -> Language:
    """`zh` unless the caller's Accept-Language ranks English above Chinese."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower()
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, tag))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


TITLES: dict[str, str] = {
    "validation_error": "请求内容有误",
    "invalid_input": "请求内容有误",
    "not_found": "未找到",
    "forbidden": "无权进行此操作",
    "unauthorized": "请先登录",
    "invalid_state": "当前状态不允许此操作",
    "concurrent_update": "工单刚被他人更新，请刷新后重试",
    "too_many_attempts": "尝试次数过多，请稍后再试",
    "verification_required": "需要进一步验证",
    "internal_error": "系统繁忙，请稍后再试",
    "payload_too_large": "请求内容过大",
    "no_route": "没有这个接口",
    "in_progress": "相同的请求正在处理中",
    "invalid_catalog": "目录内容有误",
    "catalog_empty": "服务目录尚未导入，暂不能受理",
    "already_exists": "已存在",
    "unsupported_media_type": "不支持的内容类型",
}

STATUS_ZH: dict[str, str] = {
    CaseStatus.SUBMITTED: "已提交",
    CaseStatus.DISPATCHED: "已派单",
    CaseStatus.IN_PROGRESS: "办理中",
    CaseStatus.RETURNED: "已退回",
    CaseStatus.REPLIED: "已答复",
    CaseStatus.REOPENED: "重办中",
    CaseStatus.SUPERVISED: "督办中",
    CaseStatus.CLOSED: "已办结",
    CaseStatus.WITHDRAWN: "已撤回",
}

_ACTIONS_ZH: dict[str, str] = {
    "accept": "受理",
    "reply to": "答复",
    "return": "退回",
    "dispatch": "派单",
    "transfer": "改派",
    "correct the classification of": "更正分类",
    "rate": "评价",
    "withdraw": "撤回",
    "add information to": "补充材料",
    "extend": "申请延期",
    "request an extension for": "申请延期",
    "decide an extension for": "审批延期",
    "give instructions on": "下达督办意见",
    "close": "办结",
}

_TEXTS_ZH: dict[str, str] = {
    # not found
    "no such request": "没有这个诉求",
    "no such case": "没有这个工单",
    "no such case in your unit": "本单位没有这个工单",
    "no such unit": "没有这个单位",
    "no such key": "没有这个密钥",
    "no request with this tracking number and phone": "没有与该编号和手机尾号相符的诉求",
    "no such rating link; use the link from your latest SMS": "评价链接无效，请使用最新短信中的链接",
    "not found": "未找到",
    # forbidden
    "staff see only their own unit's cases": "只能查看本单位的工单",
    "staff see only their own unit's numbers": "只能查看本单位的统计",
    "staff without a unit see no numbers": "未关联单位的工作人员不能查看统计",
    "the caller belongs to no Minyi group": "账号未分配角色",
    "the dispatch queue is the dispatchers'": "调度队列仅限调度员查看",
    "this case belongs to another unit": "该工单属于其他单位",
    "no verified identity": "身份未验证",
    # conflicts
    "an account with this phone number exists": "该手机号已有账号",
    # transitions
    "no extension is pending": "没有待审批的延期申请",
    "one is already pending": "已有待审批的延期申请",
    "the deadline has already passed": "已超过办理时限",
    "a reopened case stays with its unit": "重办工单须由原单位办理",
    "the case is already with this unit": "工单已在该单位",
    "the case is already classified so": "工单已是该分类",
    "this reply was already rated": "该答复已评价",
    "the case changed while you were acting on it; reload and retry": "工单刚被他人更新，请刷新后重试",
    "too many wrong guesses from this device; try again later": "本设备查询错误次数过多，请稍后再试",
    "sign in, or use the code from your SMS, to track this request": "请登录，或使用短信中的验证码查询此诉求",
    "a request with this Idempotency-Key is still being processed": "相同幂等键的请求正在处理中",
    # input
    "already used with a different request body": "已用于内容不同的请求",
    "give either the phone's last four digits or the code t from the SMS": "请提供手机号后四位或短信验证码 t",
    "the same upload is named twice": "同一附件重复出现",
    "an operator files hotline calls: use channel 'hotline'": "坐席代录须使用 hotline 渠道",
    "not a cursor for this list": "分页游标与此列表不符",
    "not a cursor returned by this API": "不是本接口返回的分页游标",
    "unknown district; see GET /v1/catalog": "未知的区，请查看 GET /v1/catalog",
    "unknown topic; see GET /v1/catalog": "未知的类别，请查看 GET /v1/catalog",
    "unknown unit; see GET /v1/units": "未知的单位，请查看 GET /v1/units",
    "unknown unit; see GET /v1/catalog": "未知的单位",
    "outside the city; leave it out or pick a place in the city": "位置不在本市范围内",
    "a transfer needs a reason": "改派须说明理由",
    "give the corrected topic, district or both": "请填写更正后的类别或区（或两者）",
    "must not be before from": "不能早于开始日期",
    "nothing was uploaded for this upload id yet": "该附件尚未上传",
    "this upload is already attached to another case": "该附件已用于其他诉求",
    "unknown upload id; use one returned by POST /v1/uploads": "未知的附件编号",
    "not a phone number": "不是电话号码",
    "not a valid phone number": "不是有效的电话号码",
    "must be a mobile number that can receive SMS": "须为能接收短信的手机号码",
    "no such route": "没有这个接口",
    "must be the account's verified mobile number (or leave it out)": "须为账号已验证的手机号码（或不填）",
    "the account has no verified mobile number; sign in with your mobile": "账号没有已验证的手机号码，请用手机号登录",
    "the account's mobile number cannot receive SMS": "账号的手机号码无法接收短信",
    "required: the caller's mobile number": "必填：来电人的手机号码",
    "no catalogue is loaded yet; an administrator must import one (minyi catalog import)": (
        "服务目录尚未导入，请管理员先导入（minyi catalog import）"
    ),
    "must be a date YYYY-MM-DD": "日期格式应为 YYYY-MM-DD",
    "the body must be JSON (Content-Type: application/json)": "请求体须为 JSON（Content-Type: application/json）",
    "not valid JSON": "不是有效的 JSON",
    "must be a JSON object": "必须是 JSON 对象",
    "contains control characters": "含有控制字符",
    "the uploaded file is empty": "上传的文件是空的",
}

_PATTERNS_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^this action needs the role: (.+)$"), r"此操作需要角色：\1"),
    (re.compile(r"^we can text only mobile numbers of (.+)$"), r"仅能向以下号码段的手机发送短信：\1"),
    (re.compile(r"^at most (\d+) days per query for your role$"), r"您的角色每次最多查询\1天"),
    (re.compile(r"^at most (\d+) days per query$"), r"每次最多查询\1天"),
    (re.compile(r"^at most (\d+) extension\(s\) per handling round$"), r"每个办理轮次最多申请\1次延期"),
    (re.compile(r"^must be 1 to (\d+) characters$"), r"长度须为1到\1个字符"),
    (re.compile(r"^not an allowed type; use one of (.+)$"), r"不允许的类型，可用：\1"),
    (re.compile(r"^(photo|voice|video) files may be at most (\d+) MB$"), r"该类文件最大\2 MB"),
    (
        re.compile(r"^the uploaded file is (\d+) bytes, more than the (\d+) declared$"),
        r"上传文件为\1字节，超过声明的\2字节",
    ),
    (re.compile(r"^the uploaded file is not of the declared type (.+)$"), r"上传文件不是声明的类型 \1"),
    (re.compile(r"^the uploaded file's content is not (.+)$"), r"上传文件内容不是 \1"),
    (re.compile(r"^the body may be at most (\d+) KB$"), r"请求体最大\1 KB"),
    (re.compile(r"^nested deeper than (\d+) levels$"), r"嵌套超过\1层"),
    (re.compile(r"^a number has more than (\d+) digits$"), r"数字超过\1位"),
    (re.compile(r"^something went wrong on our side; quote request id (.+)$"), r"系统出错，请提供请求编号 \1"),
    (re.compile(r"^too close to zero to be a coordinate .*$"), "坐标过于接近0，请填0"),
]

_PYDANTIC_ZH: dict[str, str] = {
    "missing": "必填",
    "string_too_short": "至少{min_length}个字符",
    "string_too_long": "最多{max_length}个字符",
    "too_short": "至少{min_length}项",
    "too_long": "最多{max_length}项",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "greater_than": "必须大于{gt}",
    "less_than": "必须小于{lt}",
    "int_type": "必须是整数",
    "int_parsing": "必须是整数",
    "int_from_float": "必须是整数",
    "float_type": "必须是数字",
    "float_parsing": "必须是数字",
    "finite_number": "必须是有限的数字",
    "bool_type": "必须是 true 或 false",
    "bool_parsing": "必须是 true 或 false",
    "string_type": "必须是文本",
    "dict_type": "必须是对象",
    "list_type": "必须是数组",
    "enum": "必须是以下之一：{expected}",
    "literal_error": "必须是以下之一：{expected}",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "不是有效的 JSON",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "string_pattern_mismatch": "格式不正确",
    "model_attributes_type": "必须是对象",
}


def text(english: str, language: Language) -> str:
    """One of our texts in `language` (English falls through unchanged)."""
    if language == "en":
        return english
    if english in _TEXTS_ZH:
        return _TEXTS_ZH[english]
    for pattern, replacement in _PATTERNS_ZH:
        if pattern.match(english):
            return pattern.sub(replacement, english)
    return english


def validation_problem(error: dict[str, Any], language: Language) -> str:
    """A pydantic error in `language`, worded from its type (ours come through `value_error`)."""
    english = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if language == "en":
        return english
    if error.get("type") == "value_error":
        return text(english, language)
    template = _PYDANTIC_ZH.get(str(error.get("type")))
    if template is None:
        return english
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return english


def transition(action: str, status: str, detail: str, english: str, language: Language) -> str:
    if language == "en":
        return english
    message = f"工单当前状态为“{STATUS_ZH.get(status, status)}”，不能{_ACTIONS_ZH.get(action, action)}"
    return f"{message}：{text(detail, language)}" if detail else message


def title(code: str, language: Language) -> str | None:
    return TITLES.get(code) if language == "zh" else None


#: The language the reader of this request asked for (Accept-Language), set by `minyi.api.http.resolve`
#: for the request it handles; None when the request did not say (the case's own language is used).
#: A context variable: each thread of the local runtime has its own.
_READER: ContextVar[Language | None] = ContextVar("minyi_reader_language", default=None)


def accept_language(headers: dict[str, Any] | None) -> str | None:
    """The request's Accept-Language header (any case), if it has one."""
    return next((str(v) for k, v in (headers or {}).items() if str(k).lower() == "accept-language"), None)


def set_reader_language(headers: dict[str, Any] | None) -> Any:
    """Remember the request's Accept-Language for the views; the token to `reset_reader_language`."""
    value = accept_language(headers)
    return _READER.set(negotiate(value) if value else None)


def reset_reader_language(token: Any) -> None:
    _READER.reset(token)


def reader_language(default: Language) -> Language:
    """The language the reader asked for, else `default` (the case's)."""
    return _READER.get() or default
