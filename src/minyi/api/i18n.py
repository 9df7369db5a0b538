"""The reader's language for this request: Simplified Chinese unless `Accept-Language` prefers English.

Texts themselves come from the message catalogue (`minyi.text`, keys of `locale/*/minyi.po`): errors
(`minyi.api.http`), timeline events and notes (the views) are rendered there, in the language negotiated
here (Babel, through `minyi.text.negotiate`). The machine-readable parts of an answer (`error` code,
`problems[].field`, `current_status`) are the same in every language.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from minyi import text
from minyi.domain.models import Language

DEFAULT_LANGUAGE: Language = text.DEFAULT_LANGUAGE


def negotiate(accept_language: str | None) -> Language:
    """The reader's language from Accept-Language (`minyi.text.negotiate`)."""
    return text.negotiate(accept_language)


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
