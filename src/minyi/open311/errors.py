"""GeoReport errors: a list of (code, description), answered with the HTTP status of the worst one."""

from __future__ import annotations

from dataclasses import dataclass

from minyi.domain.errors import DomainError


@dataclass(frozen=True)
class Problem:
    code: int
    description: str


class Open311Error(DomainError):
    """One or more problems with a request; `status` is the HTTP status of the answer."""

    code = "open311_error"

    def __init__(self, problems: list[Problem], retry_after: int | None = None):
        super().__init__("error.open311", descriptions="; ".join(p.description for p in problems))
        self.problems = problems
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        # a 403 or 404 outranks field problems; 429 outranks everything
        return max(p.code for p in self.problems)


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error([Problem(400, d) for d in descriptions])


def forbidden(description: str) -> Open311Error:
    return Open311Error([Problem(403, description)])


def not_found(description: str) -> Open311Error:
    return Open311Error([Problem(404, description)])


def too_many(description: str, retry_after: int) -> Open311Error:
    return Open311Error([Problem(429, description)], retry_after=retry_after)


def conflict(description: str) -> Open311Error:
    return Open311Error([Problem(409, description)])
