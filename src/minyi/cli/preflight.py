"""`minyi preflight`: read-only checks of an account before the first deployment.

    minyi preflight --region ap-east-1 [--web-domain D [--certificate-arn ARN]] [--sms-secret ARN]

Everything the emulator forgives and AWS does not shows up on the first day of a real stack: a region
that was never enabled (ap-east-1 is opt-in), a new account's Lambda quota of 10 that cannot leave 100
unreserved, a certificate still pending validation, an SMS secret with its placeholder, templates the
provider has not approved yet. `preflight` asks each of these read-only, before `sam deploy`, and
prints one line per check (PASS / WARN / FAIL and why); any FAIL makes it exit 1. The facts come from
a `DeployFacts` port (`minyi.ports`; the AWS and Tencent Cloud reads live in
`minyi.adapters.deploy_facts`, wired by `minyi.bootstrap.deploy_facts`), so the checks themselves are
plain code tested on moto, recorded Tencent answers and fakes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from pathlib import Path

from minyi.cli.checks import Check, Result, Verdict
from minyi.ports import DeployFacts, ProviderRefused, SmsSecret


class OptIn(StrEnum):
    """EC2 DescribeRegions' OptInStatus."""

    NOT_REQUIRED = "opt-in-not-required"
    OPTED_IN = "opted-in"
    NOT_OPTED_IN = "not-opted-in"


class TemplateState(IntEnum):
    """Tencent Cloud SMS DescribeSmsTemplateList StatusCode: only APPROVED templates send."""

    APPROVED = 0
    IN_REVIEW = 1
    APPROVED_NOT_YET_EFFECTIVE = 2
    REJECTED = -1


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
