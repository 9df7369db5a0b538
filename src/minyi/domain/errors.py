"""Domain errors. The API layer maps each to an HTTP status; the domain knows nothing of HTTP.

An error says what went wrong as a `Message` (a catalogue key and its facts, `minyi.domain.messages`),
never as prose: the edge renders it in the reader's language (`minyi.api.http` through `minyi.text`),
and machine-readable parts (`code`, `field`, `status`) stay beside it. `str(error)` is the key and its
facts, for logs.
"""

from __future__ import annotations

from collections.abc import Sequence

from minyi.domain.messages import Message, ParamValue, message


def _message(what: Message | str, params: dict[str, ParamValue]) -> Message:
    """A `Message`, or a catalogue key (`error.*`) with its params; prose is refused (a key has no spaces)."""
    return what if isinstance(what, Message) else message(what, **params)


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, what: Message | str | None = None, /, **params: ParamValue):
        self.message = _message(what if what is not None else f"error.title.{self.code}", params)
        super().__init__(describe(self.message))


def describe(msg: Message) -> str:
    """A message as a log line: its key and its facts, in no language."""
    facts = ", ".join(f"{name}={value}" for name, value in msg.params.items())
    return f"{msg.key} ({facts})" if facts else msg.key


class InvalidInput(DomainError):
    """Input that passed schema validation but breaks a business rule; names the field."""

    code = "invalid_input"

    def __init__(self, field: str, problem: Message | str, /, **params: ParamValue):
        self.field = field
        self.problem = _message(problem, params)
        super().__init__(self.problem)
        self.args = (f"{field}: {describe(self.problem)}",)


class InvalidFields(DomainError):
    """Input that breaks several rules at once (a whole document); each problem names its path (HTTP 422).

    A problem is a `Message`, or the text of a document's own checks (`catalog_doc`, `geo`: their
    operators' tools read them as they are)."""

    code = "invalid_input"

    def __init__(self, problems: Sequence[tuple[str, Message | str]]):
        self.problems = list(problems)
        super().__init__()
        self.args = (
            "; ".join(
                f"{path}: {describe(problem) if isinstance(problem, Message) else problem}"
                for path, problem in self.problems
            ),
        )


class Unavailable(DomainError):
    """The stack cannot serve this yet, e.g. no catalogue is loaded (HTTP 503); not the caller's fault."""

    code = "unavailable"
    retry_after = 60


class CatalogEmpty(Unavailable):
    code = "catalog_empty"


class AlreadyExists(DomainError):
    """What the caller asks to create exists already (HTTP 409)."""

    code = "already_exists"


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class VerificationRequired(Forbidden):
    """What was offered does not prove enough here (HTTP 403): e.g. a tracking number under a guessing
    attack takes the sign-in or the code from the SMS, no longer the phone's last four digits alone."""

    code = "verification_required"


class InvalidTransition(DomainError):
    """The action is not allowed in the case's current status (HTTP 409).

    `action` names what was tried (a word of the catalogue's `error.action.*`, e.g. "request an
    extension for"); `detail`, when given, says why (a `Message` or an `error.*` key)."""

    code = "invalid_state"

    def __init__(self, action: str, status: str, detail: Message | str | None = None, /, **params: ParamValue):
        self.action = action
        self.status = status
        self.detail = _message(detail, params) if detail else None
        facts: dict[str, ParamValue] = {"action": action, "status": str(status)}
        super().__init__(message("error.transition", **facts))
        if self.detail is not None:
            self.args = (f"{describe(self.message)}: {describe(self.detail)}",)


class ConcurrentUpdate(DomainError):
    """Another writer changed the case first (optimistic lock lost); safe to retry."""

    code = "concurrent_update"


class TooManyAttempts(DomainError):
    """Too many failed attempts at something guessable (HTTP 429); try again after `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, what: Message | str, retry_after: int, /, **params: ParamValue):
        super().__init__(what, **params)
        self.retry_after = retry_after


class InvalidValue(ValueError):
    """A value a validator refuses (a phone number, a date, a coordinate), as a `Message`: pydantic keeps
    the exception in its error's context, and the edge renders the message in the reader's language."""

    def __init__(self, what: Message | str, /, **params: ParamValue):
        self.message = _message(what, params)
        super().__init__(describe(self.message))
