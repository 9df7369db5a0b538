"""Text at the edge: a `Message` rendered in the reader's language from the one message catalogue.

The catalogue is gettext: `.po` files per language (`locale/<locale>/LC_MESSAGES/minyi.po`, the source,
edited by people) compiled by Babel to `.mo` (`make messages`; a drift test keeps them equal), read here
with the standard library's `gettext`, which costs a few milliseconds where Babel's `.po` reader costs
hundreds. Babel itself is imported only when a time is formatted or `Accept-Language` negotiated, so
handlers that render nothing never load it.

The catalogue's text decides how a placeholder reads, through its format spec:
- `{due:time}` / `{day:date}`: an ISO time shown in Asia/Shanghai, in the language's own pattern;
  `{due:day_time}` the same without the year (an SMS's deadline: `12月31日23:59`, `31 Dec 23:59`);
- `{status:status}`, `{role:role}`, `{dimension:dimension}`, `{category:category}`: a glossary term
  (`term.<kind>.<value>`), so a term is named once, in the glossary;
- `{unit:unit}` (any other word): the caller's `Names` lookup (a unit's name in that language), else
  the value as stored;
- `{term.dimension.speed}`: a glossary term by its key, for a text that names a fixed term.
A key missing from a language falls back to Chinese, then to the key itself; a placeholder without a
value is shown as `{name}`: a message never fails to render.
"""

from __future__ import annotations

import gettext
import re
import string
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from minyi.domain.messages import Message
from minyi.domain.models import Language, Unit

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "minyi"
DEFAULT_LANGUAGE: Language = "zh"
#: The platform's languages and their gettext locales.
LOCALES: dict[Language, str] = {"zh": "zh_CN", "en": "en"}
#: Format specs that name a glossary kind (`term.<kind>.<value>`).
TERM_SPECS = frozenset({"status", "role", "dimension", "category"})
#: Patterns of times and dates (Babel / CLDR syntax), in Asia/Shanghai.
_TIME_PATTERNS: dict[Language, str] = {"zh": "yyyy年MM月dd日 HH:mm", "en": "yyyy-MM-dd HH:mm"}
_DATE_PATTERNS: dict[Language, str] = {"zh": "yyyy年MM月dd日", "en": "yyyy-MM-dd"}
_DAY_TIME_PATTERNS: dict[Language, str] = {"zh": "MM月dd日HH:mm", "en": "dd MMM HH:mm"}
#: Format specs that show a time, and their patterns.
_TIME_SPECS: dict[str, dict[Language, str]] = {
    "time": _TIME_PATTERNS,
    "date": _DATE_PATTERNS,
    "day_time": _DAY_TIME_PATTERNS,
}

#: (spec, value, language) -> a display name, or None for "show the value as stored".
Names = Callable[[str, str, Language], str | None]


@cache
def _translations(language: Language) -> gettext.NullTranslations:
    path = LOCALE_DIR / LOCALES[language] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as mo:
        return gettext.GNUTranslations(mo)


def has(key: str, language: Language = DEFAULT_LANGUAGE) -> bool:
    return _translations(language).gettext(key) != key


def template(key: str, language: Language) -> str:
    """The catalogue's text for `key` in `language` (Chinese, then the key itself, when missing)."""
    for lang in (language, DEFAULT_LANGUAGE):
        text = _translations(lang).gettext(key)
        if text != key:
            return text
    return key


def term(kind: str, value: str, language: Language) -> str:
    """A glossary term, e.g. `term("dimension", "speed", "zh")` = 处置速度; unknown values as stored."""
    key = f"term.{kind}.{value}"
    text = template(key, language)
    return value if text == key else text


def render(
    msg: Message | str,
    language: Language,
    names: Names | None = None,
    **params: Any,
) -> str:
    """`msg` (a `Message`, or a key with `params`) in `language`."""
    if isinstance(msg, Message):
        key, values = msg.key, {**msg.params, **params}
    else:
        key, values = msg, params
    return format_text(template(key, language), language, names, values)


#: The key that names a unit no one recorded or the directory no longer knows.
SOME_UNIT = "event.some_unit"
_UNIT_ID = re.compile(r"[a-z0-9_-]*")


def unit_names(units: Mapping[str, Unit]) -> Names:
    """`Names` for `{unit:unit}`: a unit id as the unit's name in the reader's language; no id or an
    id `units` does not know as `SOME_UNIT` ("the responsible unit"); a name (what events stored
    before ids: not a slug) as stored."""

    def name(spec: str, value: str, language: Language) -> str | None:
        if spec != "unit":
            return None
        unit = units.get(value)
        if unit is not None:
            return unit.name if language == "zh" else unit.name_en
        return template(SOME_UNIT, language) if _UNIT_ID.fullmatch(value) else None

    return name


def format_text(
    text: str, language: Language, names: Names | None = None, params: Mapping[str, Any] | None = None
) -> str:
    """A catalogue text with its placeholders filled (see the module's format specs)."""
    return _Formatter(language, names).vformat(text, (), _Values(params or {}))


def render_fields(msg: Message, language: Language, names: Names | None = None) -> tuple[str, dict[str, str]]:
    """`msg` in `language`, and each of its placeholders' values as shown, in order of first use (what
    a template-based SMS provider takes: the registered text's variables, not the text)."""
    text = template(msg.key, language)
    formatter = _Formatter(language, names)
    values = _Values(msg.params)
    shown: dict[str, str] = {}
    for _, field, spec, _ in formatter.parse(text):
        if field and field not in shown:
            value, _ = formatter.get_field(field, (), values)
            shown[field] = formatter.format_field(value, spec or "")
    return formatter.vformat(text, (), values), shown


def format_time(at: datetime | str, language: Language, *, date_only: bool = False, spec: str | None = None) -> str:
    """A time in Asia/Shanghai, in the language's pattern (Babel): `spec` one of `_TIME_SPECS`."""
    from babel.dates import format_datetime

    from minyi.domain.deadlines import CITY_TZ

    when = datetime.fromisoformat(at) if isinstance(at, str) else at
    patterns = _TIME_SPECS[spec or ("date" if date_only else "time")]
    return format_datetime(when, patterns[language], tzinfo=CITY_TZ, locale=LOCALES[language])


def negotiate(accept_language: str | None) -> Language:
    """The reader's language from `Accept-Language` (q-values honoured), by Babel; Chinese by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    from babel.core import negotiate_locale

    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, *options = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.replace("_", "-")))
    preferred = [tag for _, _, tag in sorted(ranked)]
    # "zh-Hans-CN" and "en-GB" match by their language; Babel's aliases map bare "zh" to zh_CN.
    available = {locale.replace("_", "-"): language for language, locale in LOCALES.items()}
    available.update({locale.split("_")[0]: language for language, locale in LOCALES.items()})
    languages_only = [tag.split("-")[0] for tag in preferred]
    for candidates in (preferred, languages_only):
        chosen = negotiate_locale(candidates, list(available), sep="-")
        if chosen is not None:
            return available[chosen]
    return DEFAULT_LANGUAGE


class _Values(dict[str, Any]):
    """Placeholders without a value stay visible as `{name}` instead of failing the render."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


class _Formatter(string.Formatter):
    def __init__(self, language: Language, names: Names | None):
        self.language = language
        self.names = names

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        return kwargs[str(key)]

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if field_name.startswith("term."):  # a fixed glossary term: `{term.dimension.speed}`
            kind, _, value = field_name.removeprefix("term.").partition(".")
            return term(kind, value, self.language), field_name
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "-"
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return value  # a missing placeholder, shown as written
        if format_spec in _TIME_SPECS:
            try:
                return format_time(value, self.language, spec=format_spec)
            except (TypeError, ValueError):
                return str(value)
        if format_spec in TERM_SPECS:
            return term(format_spec, str(value), self.language)
        if format_spec and not format_spec[0].isdigit() and format_spec[0] not in "<>^=+- .,_":
            named = self.names(format_spec, str(value), self.language) if self.names else None
            return named if named is not None else str(value)
        return super().format_field(value, format_spec)
