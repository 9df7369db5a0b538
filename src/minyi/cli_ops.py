"""`minyi preflight` and `minyi smoke`: an operator's checks before and after a deployment.

    minyi preflight --region ap-east-1 [--web-domain D [--certificate-arn ARN]] [--sms-secret ARN]
    minyi smoke --api https://WEB-ADDRESS --token CITIZEN_ID_TOKEN [--rating-base URL]

Everything the emulator forgives and AWS does not shows up on the first day of a real stack: a region
that was never enabled (ap-east-1 is opt-in), a new account's Lambda quota of 10 that cannot leave 100
unreserved, a certificate still pending validation, an SMS secret with its placeholder, templates the
provider has not approved yet. `preflight` asks each of these read-only, before `sam deploy`, and
prints one line per check (PASS / WARN / FAIL and why); any FAIL makes it exit 1. The facts come from
a `DeployFacts` (the AWS and Tencent Cloud reads live in `minyi.adapters.deploy_facts`, wired by
`minyi.bootstrap.deploy_facts`), so the checks themselves are plain code tested on moto, recorded
Tencent answers and fakes.

`smoke` runs after the deployment through the web address (CloudFront: the web app and `/v1/*`), as
a citizen's phone does: the catalogue, a submission read back, a small upload through the presigned
POST attached to it, the rating page on the web domain, and API Gateway's own refusals in the API's
error shape. It withdraws the request it filed, prints one line per step and stops at the first failure
(exit 1). It needs nothing but the standard library.

Neither is imported by a Lambda handler: `minyi.cli` loads this module only for these two commands.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any, Protocol, TextIO

# --- what a check says -------------------------------------------------------------------------------


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


class OptIn(StrEnum):
    """EC2 DescribeRegions' OptInStatus."""

    NOT_REQUIRED = "opt-in-not-required"
    OPTED_IN = "opted-in"
    NOT_OPTED_IN = "not-opted-in"


@dataclass(frozen=True)
class LambdaConcurrency:
    """lambda:GetAccountSettings' AccountLimit, per region."""

    total: int
    unreserved: int


@dataclass(frozen=True)
class Certificate:
    arn: str
    domains: tuple[str, ...]  # DomainName and SubjectAlternativeNames
    status: str  # PENDING_VALIDATION, ISSUED, INACTIVE, EXPIRED, VALIDATION_TIMED_OUT, REVOKED, FAILED


@dataclass(frozen=True)
class SmsSecret:
    """The SMS provider's secret as read: `problems` names what is empty or invalid (the template's
    placeholder has every credential empty); `templates` maps a template key to the provider's id."""

    problems: tuple[str, ...]
    templates: Mapping[str, str] = field(default_factory=dict)


class TemplateState(IntEnum):
    """Tencent Cloud SMS DescribeSmsTemplateList StatusCode: only APPROVED templates send."""

    APPROVED = 0
    IN_REVIEW = 1
    APPROVED_NOT_YET_EFFECTIVE = 2
    REJECTED = -1


@dataclass(frozen=True)
class TemplateStatus:
    template_id: str
    state: int
    content: str = ""
    review_reply: str = ""


class ProviderRefused(Exception):
    """The SMS provider refused the question itself (bad credentials, no such application, ...)."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


class DeployFacts(Protocol):
    """What preflight reads from the account and the SMS provider; every call is read-only."""

    def region_opt_in(self, region: str) -> str | None:
        """OptInStatus (`OptIn`) of the region, None when the account does not know it."""

    def lambda_concurrency(self, region: str) -> LambdaConcurrency: ...

    def certificates(self) -> list[Certificate]:
        """Every ACM certificate in us-east-1 (where CloudFront takes them from)."""

    def sms_secret(self, secret_id: str) -> SmsSecret | None:
        """The provider secret, None when it does not exist."""

    def template_statuses(self, secret_id: str, template_ids: list[str]) -> dict[str, TemplateStatus]:
        """The provider's review state of these template ids (absent: unknown there). Raises
        ProviderRefused."""

    def required_templates(self) -> Mapping[str, str]:
        """The registry of templates the stack sends: key -> text in the provider's syntax (the list
        `python -m minyi.adapters.sms.templates` prints)."""


#: AWS refuses a reservation that leaves less than this unreserved in the region.
MIN_UNRESERVED = 100
#: Below this a launch day throttles (a new account's quota is 10; Service Quotas code L-B99A9384).
RECOMMENDED_CONCURRENCY = 1000
_RESERVED = re.compile(r"^\s*ReservedConcurrentExecutions:\s*(\d+)\s*$", re.MULTILINE)


def reserved_by_template(template: Path) -> int | None:
    """The sum of the template's fixed ReservedConcurrentExecutions; None without a template file."""
    try:
        text = template.read_text(encoding="utf-8")
    except OSError:
        return None
    return sum(int(n) for n in _RESERVED.findall(text))


@dataclass(frozen=True)
class PreflightOptions:
    region: str
    web_domain: str | None = None
    certificate_arn: str | None = None
    sms_secret: str | None = None
    reserved: int = 0


def check_region(facts: DeployFacts, region: str) -> Result:
    status = facts.region_opt_in(region)
    if status in (OptIn.NOT_REQUIRED, OptIn.OPTED_IN):
        return Result(Check.REGION, Verdict.PASS, f"{region} is enabled ({status})")
    if status is None:
        return Result(Check.REGION, Verdict.FAIL, f"{region} is not a region this account knows")
    return Result(
        Check.REGION,
        Verdict.FAIL,
        f"{region} is {status}: enable it (aws account enable-region --region-name {region}) and wait until "
        "aws account get-region-opt-status says ENABLED",
    )


def check_concurrency(facts: DeployFacts, region: str, reserved: int) -> Result:
    limits = facts.lambda_concurrency(region)
    ask = f"ask Service Quotas for {RECOMMENDED_CONCURRENCY} (L-B99A9384, Lambda concurrent executions, {region})"
    if reserved and limits.unreserved - reserved < MIN_UNRESERVED:
        return Result(
            Check.LAMBDA_CONCURRENCY,
            Verdict.FAIL,
            f"the stack reserves {reserved} of {limits.unreserved} unreserved and AWS keeps {MIN_UNRESERVED} "
            f"unreserved, so the stack would fail to create: {ask}",
        )
    if limits.total < MIN_UNRESERVED:
        return Result(
            Check.LAMBDA_CONCURRENCY,
            Verdict.FAIL,
            f"quota {limits.total} concurrent executions (a new account's): the first citizens would be "
            f"throttled; {ask}",
        )
    if limits.total < RECOMMENDED_CONCURRENCY:
        return Result(Check.LAMBDA_CONCURRENCY, Verdict.WARN, f"quota {limits.total}; {ask} before launch")
    return Result(
        Check.LAMBDA_CONCURRENCY,
        Verdict.PASS,
        f"quota {limits.total}, {limits.unreserved} unreserved, the stack reserves {reserved}",
    )


def covers(pattern: str, domain: str) -> bool:
    """Does a certificate name cover the domain (exactly, or by a one-level wildcard)?"""
    pattern, domain = pattern.lower().rstrip("."), domain.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, parent = domain.partition(".")
        return bool(head) and parent == pattern[2:]
    return pattern == domain


def check_certificate(facts: DeployFacts, domain: str | None, arn: str | None) -> Result:
    if not domain:
        return Result(
            Check.CERTIFICATE,
            Verdict.WARN,
            "no --web-domain: CloudFront serves its own *.cloudfront.net name, and the rating SMS needs its "
            "link on the city's ICP-filed domain",
        )
    certificates = [c for c in facts.certificates() if arn is None or c.arn == arn]
    if arn is not None and not certificates:
        return Result(Check.CERTIFICATE, Verdict.FAIL, f"{arn} is not a certificate in us-east-1")
    covering = [c for c in certificates if any(covers(name, domain) for name in c.domains)]
    issued = [c for c in covering if c.status == "ISSUED"]
    if issued:
        return Result(Check.CERTIFICATE, Verdict.PASS, f"{issued[0].arn} is ISSUED and covers {domain}")
    if covering:
        states = ", ".join(f"{c.arn} {c.status}" for c in covering)
        return Result(Check.CERTIFICATE, Verdict.FAIL, f"no ISSUED certificate for {domain} ({states})")
    named = f"{arn} does not cover {domain}" if arn else f"no certificate in us-east-1 covers {domain}"
    return Result(
        Check.CERTIFICATE,
        Verdict.FAIL,
        f"{named}: aws acm request-certificate --region us-east-1 --domain-name {domain} --validation-method DNS",
    )


def _listed(items: list[str], limit: int = 4) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def check_sms(facts: DeployFacts, secret_id: str | None) -> list[Result]:
    """The provider secret (filled, every template key has an id), then the provider's review of each."""
    if not secret_id:
        why = "not checked: give --sms-secret (the SmsProviderSecretArn output; SmsProvider sns needs none)"
        return [Result(Check.SMS_SECRET, Verdict.WARN, why), Result(Check.SMS_TEMPLATES, Verdict.WARN, why)]
    secret = facts.sms_secret(secret_id)
    if secret is None:
        return [
            Result(Check.SMS_SECRET, Verdict.FAIL, f"{secret_id} does not exist"),
            Result(Check.SMS_TEMPLATES, Verdict.FAIL, "not checked: no provider secret"),
        ]
    if secret.problems:
        return [
            Result(
                Check.SMS_SECRET,
                Verdict.FAIL,
                f"still the placeholder or invalid ({_listed(list(secret.problems))}): put the provider's "
                "configuration (docs/deploy.md)",
            ),
            Result(Check.SMS_TEMPLATES, Verdict.FAIL, "not checked: the provider secret is not filled"),
        ]
    required = facts.required_templates()
    missing = sorted(set(required) - set(secret.templates))
    if missing:
        secret_result = Result(
            Check.SMS_SECRET, Verdict.FAIL, f"{len(missing)} template key(s) without an id: {_listed(missing)}"
        )
    else:
        secret_result = Result(Check.SMS_SECRET, Verdict.PASS, f"filled; an id for each of {len(required)} templates")
    return [secret_result, check_templates(facts, secret_id, secret, required)]


def check_templates(facts: DeployFacts, secret_id: str, secret: SmsSecret, required: Mapping[str, str]) -> Result:
    wanted = {key: secret.templates[key] for key in sorted(required) if key in secret.templates}
    try:
        statuses = facts.template_statuses(secret_id, sorted(set(wanted.values())))
    except ProviderRefused as exc:
        return Result(Check.SMS_TEMPLATES, Verdict.FAIL, f"the provider refused to answer: {exc}")
    unknown, pending, rejected, differs = [], [], [], []
    for key, template_id in wanted.items():
        status = statuses.get(template_id)
        if status is None:
            unknown.append(f"{key} #{template_id}")
        elif status.state == TemplateState.REJECTED:
            rejected.append(f"{key} #{template_id}" + (f" ({status.review_reply})" if status.review_reply else ""))
        elif status.state != TemplateState.APPROVED:
            pending.append(f"{key} #{template_id}")
        elif status.content and status.content.strip() != required[key].strip():
            differs.append(f"{key} #{template_id}")
    problems = []
    if rejected:
        problems.append(f"{len(rejected)} rejected: {_listed(rejected)}")
    if pending:
        problems.append(f"{len(pending)} not approved yet: {_listed(pending)}")
    if unknown:
        problems.append(f"{len(unknown)} unknown to the provider's application: {_listed(unknown)}")
    if len(wanted) < len(required):
        problems.append(f"{len(required) - len(wanted)} without an id in the secret")
    if problems:
        return Result(Check.SMS_TEMPLATES, Verdict.FAIL, "; ".join(problems))
    if differs:
        return Result(
            Check.SMS_TEMPLATES,
            Verdict.WARN,
            f"all {len(wanted)} approved, but the text of {_listed(differs)} differs from the registry",
        )
    return Result(Check.SMS_TEMPLATES, Verdict.PASS, f"all {len(wanted)} templates approved")


def preflight(facts: DeployFacts, options: PreflightOptions) -> Iterable[Result]:
    """Every check in the order docs/deploy.md takes them; a check that cannot ask is a FAIL of its own."""
    steps: list[Callable[[], list[Result]]] = [
        lambda: [check_region(facts, options.region)],
        lambda: [check_concurrency(facts, options.region, options.reserved)],
        lambda: [check_certificate(facts, options.web_domain, options.certificate_arn)],
        lambda: check_sms(facts, options.sms_secret),
    ]
    names = [Check.REGION, Check.LAMBDA_CONCURRENCY, Check.CERTIFICATE, Check.SMS_SECRET]
    for name, step in zip(names, steps, strict=True):
        try:
            yield from step()
        except Exception as exc:  # an AccessDenied or a network failure fails this check, not the run
            yield Result(name, Verdict.FAIL, f"could not ask: {type(exc).__name__}: {exc}")


# --- smoke: the deployed stack, through its web address ----------------------------------------------

#: (method, url, body, headers) -> (status, headers, body)
Http = Callable[[str, str, bytes | None, Mapping[str, str]], tuple[int, Mapping[str, str], bytes]]

#: The smallest upload the API accepts: a JPEG's three magic bytes (`minyi.domain.media.matches`).
SMOKE_UPLOAD = b"\xff\xd8\xff"
SMOKE_UPLOAD_TYPE = "image/jpeg"
SMOKE_DESCRIPTION = "minyi smoke: a check after deployment, withdrawn at once; no action needed"


def urllib_http(timeout: float = 30.0) -> Http:
    def call(
        method: str, url: str, body: bytes | None, headers: Mapping[str, str]
    ) -> tuple[int, Mapping[str, str], bytes]:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as resp:
                return int(resp.status), dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), dict(exc.headers.items()), exc.read()

    return call


class SmokeFailed(Exception):
    def __init__(self, check: Check, why: str):
        super().__init__(why)
        self.result = Result(check, Verdict.FAIL, why)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def _multipart(fields: Mapping[str, str], data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = "minyi-smoke-" + uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="smoke.jpg"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Smoke:
    """The steps, each returning its line or raising SmokeFailed; `run()` stops at the first failure."""

    def __init__(self, web: str, token: str, http: Http, rating_base: str | None = None):
        self.web = web.rstrip("/")
        self.token = token
        self.http = http
        self.rating_base = rating_base.rstrip("/") if rating_base else None
        self.case: dict[str, Any] | None = None
        self.catalog: dict[str, Any] = {}
        self.upload_id = ""

    def call(self, method: str, path: str, body: Any = None, token: bool = True) -> tuple[int, Mapping[str, str], Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, response_headers, raw = self.http(method, self.web + path, data, headers)
        return status, response_headers, _json(raw)

    def catalogue(self) -> Result:
        status, _, body = self.call("GET", "/v1/catalog", token=False)
        if status != 200 or not isinstance(body, dict):
            raise SmokeFailed(Check.CATALOGUE, f"GET /v1/catalog answered {status}")
        sizes = {k: len(body.get(k) or ()) for k in ("categories", "topics", "districts")}
        if not all(sizes.values()):
            raise SmokeFailed(Check.CATALOGUE, f"empty: {sizes}; load one with `minyi catalog import`")
        self.catalog = body
        return Result(Check.CATALOGUE, Verdict.PASS, ", ".join(f"{n} {k}" for k, n in sizes.items()))

    def upload(self) -> Result:
        status, _, ticket = self.call(
            "POST", "/v1/uploads", {"content_type": SMOKE_UPLOAD_TYPE, "size": len(SMOKE_UPLOAD)}
        )
        if status != 201 or not isinstance(ticket, dict) or "url" not in ticket:
            raise SmokeFailed(Check.UPLOAD, f"POST /v1/uploads answered {status}: {ticket}")
        body, content_type = _multipart(ticket.get("fields") or {}, SMOKE_UPLOAD, SMOKE_UPLOAD_TYPE)
        stored, _, raw = self.http("POST", ticket["url"], body, {"Content-Type": content_type})
        host = urllib.parse.urlsplit(ticket["url"]).netloc
        if not 200 <= stored < 300:
            raise SmokeFailed(Check.UPLOAD, f"the presigned POST to {host} answered {stored}: {raw[:200]!r}")
        self.upload_id = str(ticket["upload_id"])
        return Result(Check.UPLOAD, Verdict.PASS, f"{len(SMOKE_UPLOAD)} bytes stored through {host} ({stored})")

    def submission(self) -> Result:
        categories = list(self.catalog["categories"])
        request = {
            # a consultation: the lightest case a unit can get, and withdrawn at once
            "category": "consultation" if "consultation" in categories else categories[0],
            "topic": next(iter(self.catalog["topics"])),
            "district": next(iter(self.catalog["districts"])),
            "description": SMOKE_DESCRIPTION,
            "attachments": [self.upload_id],
        }
        status, _, case = self.call("POST", "/v1/requests", request)
        if status != 201 or not isinstance(case, dict):
            raise SmokeFailed(Check.SUBMISSION, f"POST /v1/requests answered {status}: {case}")
        self.case = case
        status, _, view = self.call("GET", f"/v1/requests/{case['id']}")
        if status != 200 or not isinstance(view, dict) or view.get("tracking_no") != case.get("tracking_no"):
            raise SmokeFailed(Check.SUBMISSION, f"GET /v1/requests/{case['id']} answered {status}: {view}")
        attachments = view.get("attachments") or []
        if len(attachments) != 1 or attachments[0].get("size") != len(SMOKE_UPLOAD):
            raise SmokeFailed(Check.UPLOAD, f"the request does not show the upload attached: {attachments}")
        return Result(Check.SUBMISSION, Verdict.PASS, f"{case['tracking_no']} filed and read back with its attachment")

    def rating_address(self) -> Result:
        tracking_no = (self.case or {}).get("tracking_no", "SMOKE")
        base = self.rating_base or self.web
        status, headers, _ = self.http("GET", f"{base}/r/{tracking_no}", None, {"Accept": "text/html"})
        kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if status != 200 or "text/html" not in kind:
            raise SmokeFailed(Check.RATING_ADDRESS, f"{base}/r/{tracking_no} answered {status} {kind}")
        if self.rating_base is None:
            return Result(
                Check.RATING_ADDRESS,
                Verdict.WARN,
                f"{self.web}/r/... serves the rating page; the SMS link's base (RatingLinkBase) is not visible "
                "from outside: give --rating-base to check it",
            )
        same = urllib.parse.urlsplit(base).netloc == urllib.parse.urlsplit(self.web).netloc
        if not same:
            raise SmokeFailed(Check.RATING_ADDRESS, f"RatingLinkBase {base} is not the web address {self.web}")
        return Result(Check.RATING_ADDRESS, Verdict.PASS, f"{base}/r/... serves the rating page")

    def refusals(self) -> list[Result]:
        status, _, body = self.call("GET", "/v1/requests", token=False)
        if status != 401 or not _our_error(body, "unauthorized"):
            raise SmokeFailed(Check.UNAUTHORIZED, f"GET /v1/requests without a token answered {status}: {body}")
        first = Result(Check.UNAUTHORIZED, Verdict.PASS, "401 unauthorized in the API's shape, with a request id")
        path = f"/v1/no-such-route-{uuid.uuid4().hex[:8]}"
        status, _, body = self.call("GET", path, token=False)
        if status != 404 or not _our_error(body, "no_route"):
            raise SmokeFailed(Check.NO_ROUTE, f"GET {path} answered {status}: {body}")
        return [first, Result(Check.NO_ROUTE, Verdict.PASS, "404 no_route in the API's shape, with a request id")]

    def cleanup(self) -> Result | None:
        if self.case is None:
            return None
        status, _, _ = self.call("POST", f"/v1/requests/{self.case['id']}/withdraw", {"reason": "minyi smoke"})
        if status != 200:
            return Result(Check.CLEANUP, Verdict.WARN, f"could not withdraw {self.case['tracking_no']}: {status}")
        return Result(Check.CLEANUP, Verdict.PASS, f"{self.case['tracking_no']} withdrawn")

    def run(self) -> Iterable[Result]:
        steps: list[Callable[[], Result | list[Result]]] = [
            self.catalogue,
            self.upload,
            self.submission,
            self.rating_address,
            self.refusals,
        ]
        try:
            for step in steps:
                done = step()
                yield from done if isinstance(done, list) else [done]
        except SmokeFailed as failed:
            yield failed.result
        finally:
            if (cleaned := self.cleanup()) is not None:
                yield cleaned


def _our_error(body: Any, error: str) -> bool:
    return isinstance(body, dict) and body.get("error") == error and bool(body.get("request_id"))
