"""What a preflight check or a smoke step says: one line each (PASS / WARN / FAIL and why), and the
exit status of the run (1 when any failed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TextIO


class Verdict(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"


class Check(StrEnum):
    """Every preflight check and smoke step, by the name its line starts with."""

    REGION = "region"
    LAMBDA_CONCURRENCY = "lambda concurrency"
    CERTIFICATE = "web certificate"
    SMS_SECRET = "sms secret"
    SMS_TEMPLATES = "sms templates"
    CATALOGUE = "catalogue"
    SUBMISSION = "submission"
    UPLOAD = "upload"
    RATING_ADDRESS = "rating address"
    UNAUTHORIZED = "no token"
    NO_ROUTE = "unknown route"
    CLEANUP = "cleanup"


@dataclass(frozen=True)
class Result:
    check: Check
    verdict: Verdict
    why: str

    def line(self) -> str:
        return f"{self.verdict.value:<4} {self.check.value}: {self.why}"


def report(results: Iterable[Result], out: TextIO) -> int:
    """Print one line per result; 1 when any failed, else 0."""
    failed = False
    for result in results:
        out.write(result.line() + "\n")
        out.flush()
        failed = failed or result.verdict is Verdict.FAIL
    return 1 if failed else 0


# --- preflight: the facts it reads, and the checks ---------------------------------------------------
