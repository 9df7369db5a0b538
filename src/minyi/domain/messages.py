"""What the platform says, as a key and its facts: never as prose.

Timeline events, staff notes, errors and SMS carry a `Message`: a key of the message catalogue
(`src/minyi/locale/<lang>/LC_MESSAGES/minyi.po`) and the values of its placeholders. The text is
rendered at the edge, in the reader's language (`minyi.text`), so that the domain writes each fact
once, in no language, and no layer ever parses prose back into facts.

Parameter values are plain JSON values. Times are ISO 8601 strings (`iso_time`); the catalogue's text
says how a value is shown (`{due:time}`, `{status:status}`, see `minyi.text`), so one fact reads right in
every language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

from minyi.domain.base import Model

#: A placeholder's value: stored as JSON in events and outboxes.
ParamValue = str | int | float | bool | None

#: Keys are dotted: `<family>.<name>`, e.g. `event.dispatched`, `note.routed`, `error.invalid_state`.
MessageKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+$", max_length=120)]


class Message(Model):
    """A catalogue key with the values of its placeholders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: MessageKey
    params: dict[str, ParamValue] = Field(default_factory=dict)


def message(key: str, **params: ParamValue | datetime) -> Message:
    """`Message(key, params)`, with datetimes stored as ISO strings (shown with `{name:time}`)."""
    return Message(
        key=key,
        params={name: iso_time(value) if isinstance(value, datetime) else value for name, value in params.items()},
    )


def iso_time(at: datetime) -> str:
    return at.isoformat()
