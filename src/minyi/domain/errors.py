"""Domain errors. The API layer maps each to an HTTP status; the domain knows nothing of HTTP."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"


class InvalidInput(DomainError):
    """Input that passed schema validation but breaks a business rule; names the field."""

    code = "invalid_input"

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class InvalidFields(DomainError):
    """Input that breaks several rules at once (a whole document); each problem names its path (HTTP 422)."""

    code = "invalid_input"

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {problem}" for path, problem in self.problems))


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
    """The action is not allowed in the case's current status (HTTP 409)."""

    code = "invalid_state"

    def __init__(self, action: str, status: str, detail: str = ""):
        message = f"cannot {action} a case in status {status}"
        super().__init__(f"{message}: {detail}" if detail else message)
        self.action = action
        self.status = status
        self.detail = detail


class ConcurrentUpdate(DomainError):
    """Another writer changed the case first (optimistic lock lost); safe to retry."""

    code = "concurrent_update"


class TooManyAttempts(DomainError):
    """Too many failed attempts at something guessable (HTTP 429); try again after `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
