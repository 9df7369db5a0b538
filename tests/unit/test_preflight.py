"""`minyi preflight`: each check on the answers AWS and Tencent Cloud give, read-only.

EC2 (region opt-in), ACM (us-east-1) and Secrets Manager run on moto; moto has no
lambda:GetAccountSettings, so its answers are botocore Stubber responses (validated against the
service model); Tencent Cloud SMS DescribeSmsTemplateList goes through the official SDK (signing
included) with the HTTP exchange replaced by recorded answers (`recorded/tencent_sms/describe_*`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import responses
from botocore.stub import Stubber
from moto import mock_aws

from minyi import cli
from minyi.adapters.deploy_facts import AwsDeployFacts
from minyi.cli.checks import Check, Result, Verdict, report
from minyi.cli.preflight import (
    PreflightOptions,
    check_certificate,
    check_concurrency,
    check_region,
    check_sms,
    covers,
    preflight,
    reserved_by_template,
)

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).parent / "recorded" / "tencent_sms"
TENCENT = "https://sms.tencentcloudapi.com/"
REGION = "ap-east-1"
DOMAIN = "12345.sz.gov.cn"
#: A registry of two templates, as the recorded answers know them (ids 2000001 and 2000002).
REGISTRY = {"citizen.submitted.zh": "您的诉求{1}已受理", "citizen.dispatched.zh": "您的诉求{1}已受理"}
FILLED = {
    "secret_id": "AKIDEXAMPLE0000000000000000000000000",
    "secret_key": "example-secret-key-0000000000000",
    "sdk_app_id": "1400000001",
    "sign_name": "民意速办",
    "region": "ap-guangzhou",
    "templates": {"citizen.submitted.zh": "2000001", "citizen.dispatched.zh": "2000002"},
}
#: What template.yaml puts in the secret when the stack is created.
PLACEHOLDER = (
    '{"secret_id": "", "secret_key": "", "sdk_app_id": "", "sign_name": "", "region": "ap-guangzhou", "templates": {}}'
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def _facts(lambda_limits: tuple[int, int] | None = None) -> AwsDeployFacts:
    """The adapter on moto, with Lambda's account settings stubbed (moto lacks them)."""
    lambda_client = boto3.client("lambda", region_name=REGION)
    if lambda_limits is not None:
        stub = Stubber(lambda_client)
        total, unreserved = lambda_limits
        stub.add_response(
            "get_account_settings",
            {"AccountLimit": {"ConcurrentExecutions": total, "UnreservedConcurrentExecutions": unreserved}},
        )
        stub.activate()

    def clients(service: str, region: str) -> Any:
        return lambda_client if service == "lambda" else boto3.client(service, region_name=region)  # type: ignore[call-overload]

    return AwsDeployFacts(REGION, clients=clients, templates=lambda: REGISTRY)


def _secret(value: str) -> str:
    return str(boto3.client("secretsmanager", region_name=REGION).create_secret(Name="sms", SecretString=value)["ARN"])


def _answer(name: str) -> None:
    body = (RECORDED / name).read_text(encoding="utf-8")
    responses.add(responses.POST, TENCENT, body=body, status=200, content_type="application/json")


# --- the region ---------------------------------------------------------------------------------------


def test_a_region_not_enabled_fails_with_the_command_that_enables_it_and_an_enabled_one_passes(aws: None) -> None:
    # Given a fresh account, where ap-east-1 (opt-in since 2019) is not enabled
    # When preflight checks the region / Then it fails and names the command
    result = check_region(_facts(), REGION)
    assert result.verdict is Verdict.FAIL
    assert "not-opted-in" in result.why and "aws account enable-region --region-name ap-east-1" in result.why
    # and a region that needs no opt-in passes
    assert check_region(_facts(), "ap-southeast-1").verdict is Verdict.PASS
    # and an unknown name fails
    assert check_region(_facts(), "xx-nowhere-1").verdict is Verdict.FAIL


# --- Lambda concurrency ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "reserved", "verdict", "says"),
    [
        ((10, 10), 1, Verdict.FAIL, "would fail to create"),  # a new account: no reservation possible
        ((10, 10), 0, Verdict.FAIL, "quota 10"),  # nothing reserved, but the first citizens are throttled
        ((1000, 1000), 1, Verdict.PASS, "quota 1000"),
        ((400, 400), 0, Verdict.WARN, "L-B99A9384"),
        ((1000, 100), 1, Verdict.FAIL, "AWS keeps 100"),  # other stacks reserved the rest
    ],
)
def test_lambda_concurrency_must_leave_100_unreserved_and_carry_launch_traffic(
    aws: None, limits: tuple[int, int], reserved: int, verdict: Verdict, says: str
) -> None:
    # Given the account's Lambda limits in the region and what the stack reserves
    # When preflight checks them
    result = check_concurrency(_facts(limits), REGION, reserved)
    # Then the verdict says why
    assert result.verdict is verdict, result
    assert says in result.why


def test_the_reserved_concurrency_is_read_from_the_template(tmp_path: Path) -> None:
    # Given a template with two fixed reservations / Then preflight adds them up
    template = tmp_path / "t.yaml"
    template.write_text("A:\n  ReservedConcurrentExecutions: 2\nB:\n    ReservedConcurrentExecutions: 3\n")
    assert reserved_by_template(template) == 5
    assert reserved_by_template(tmp_path / "missing.yaml") is None
    assert reserved_by_template(ROOT / "template.yaml") is not None


# --- the web certificate -----------------------------------------------------------------------------


def _issued_certificate(domain: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    acm = boto3.client("acm", region_name="us-east-1")
    return str(
        acm.import_certificate(Certificate=cert.public_bytes(serialization.Encoding.PEM), PrivateKey=pem_key)[
            "CertificateArn"
        ]
    )


def test_a_certificate_pending_validation_fails(aws: None) -> None:
    # Given a certificate requested in us-east-1 whose DNS validation is not done
    boto3.client("acm", region_name="us-east-1").request_certificate(DomainName=DOMAIN)
    # When preflight checks the web domain / Then it fails naming the state
    result = check_certificate(_facts(), DOMAIN, None)
    assert result.verdict is Verdict.FAIL and "PENDING_VALIDATION" in result.why


def test_an_issued_certificate_for_the_domain_passes_and_one_in_the_stack_region_does_not_count(aws: None) -> None:
    # Given an ISSUED certificate for the domain in us-east-1, and one in the stack's region for another
    arn = _issued_certificate(DOMAIN)
    boto3.client("acm", region_name=REGION).request_certificate(DomainName="other.sz.gov.cn")
    # Then the domain passes, with that certificate named
    result = check_certificate(_facts(), DOMAIN, None)
    assert result.verdict is Verdict.PASS and arn in result.why
    # and a domain no us-east-1 certificate covers fails with the command that requests one
    other = check_certificate(_facts(), "other.sz.gov.cn", None)
    assert other.verdict is Verdict.FAIL and "--region us-east-1" in other.why
    # and a named certificate that does not cover the domain fails
    assert check_certificate(_facts(), "www.example.org", arn).verdict is Verdict.FAIL


def test_no_web_domain_is_a_warning() -> None:
    assert check_certificate(None, None, None).verdict is Verdict.WARN  # type: ignore[arg-type]


def test_a_wildcard_covers_one_level() -> None:
    assert covers("*.sz.gov.cn", DOMAIN) and covers(DOMAIN, DOMAIN.upper())
    assert not covers("*.sz.gov.cn", "a.12345.sz.gov.cn") and not covers("*.sz.gov.cn", "sz.gov.cn")


# --- the SMS provider secret and its templates -------------------------------------------------------


def test_the_placeholder_secret_fails_and_its_templates_are_not_asked(aws: None) -> None:
    # Given the secret as the stack creates it
    arn = _secret(PLACEHOLDER)
    # When preflight checks the SMS provider
    secret, templates = check_sms(_facts(), arn)
    # Then both fail, and the secret's line names the empty fields
    assert secret.verdict is Verdict.FAIL and "secret_id" in secret.why and "placeholder" in secret.why
    assert templates.verdict is Verdict.FAIL and "not filled" in templates.why


def test_a_missing_secret_fails_and_no_secret_given_warns(aws: None) -> None:
    assert check_sms(_facts(), "arn:aws:secretsmanager:ap-east-1:123456789012:secret:nope")[0].verdict is Verdict.FAIL
    assert [r.verdict for r in check_sms(_facts(), None)] == [Verdict.WARN, Verdict.WARN]


@responses.activate
def test_a_secret_without_an_id_for_every_template_fails(aws: None) -> None:
    # Given a filled secret that lacks the id of one template in the registry
    arn = _secret(json.dumps({**FILLED, "templates": {"citizen.submitted.zh": "2000001"}}))
    _answer("describe_templates_approved.json")
    # Then the secret fails naming the key
    secret, templates = check_sms(_facts(), arn)
    assert secret.verdict is Verdict.FAIL and "citizen.dispatched.zh" in secret.why
    assert templates.verdict is Verdict.FAIL


@pytest.mark.parametrize(
    ("recording", "verdict", "says"),
    [
        ("describe_templates_approved.json", Verdict.PASS, "all 2 templates approved"),
        ("describe_templates_pending.json", Verdict.FAIL, "1 not approved yet: citizen.dispatched.zh #2000002"),
        (
            "describe_templates_rejected.json",
            Verdict.FAIL,
            "1 rejected: citizen.dispatched.zh #2000002 (模板内容含有链接变量",
        ),
        ("describe_templates_auth_failure.json", Verdict.FAIL, "AuthFailure.SignatureFailure"),
    ],
)
@responses.activate
def test_each_template_must_be_approved_by_the_provider(aws: None, recording: str, verdict: Verdict, says: str) -> None:
    # Given a filled secret with an id for each template
    arn = _secret(json.dumps(FILLED))
    # When the provider answers DescribeSmsTemplateList as recorded
    _answer(recording)
    secret, templates = check_sms(_facts(), arn)
    # Then the secret passes and the templates' line says what the provider said
    assert secret.verdict is Verdict.PASS
    assert templates.verdict is verdict, templates
    assert says in templates.why
    # and the question was the signed DescribeSmsTemplateList for exactly those ids
    (call,) = responses.calls
    assert call.request.headers["X-TC-Action"] == "DescribeSmsTemplateList"
    assert call.request.headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDEXAMPLE")
    assert json.loads(call.request.body) == {"International": 0, "TemplateIdSet": [2000001, 2000002]}


@responses.activate
def test_an_approved_template_whose_text_differs_from_the_registry_warns(aws: None) -> None:
    arn = _secret(json.dumps(FILLED))
    _answer("describe_templates_approved.json")
    facts = _facts()
    facts.templates = lambda: {**REGISTRY, "citizen.dispatched.zh": "您的诉求{1}已转交{2}"}
    assert check_sms(facts, arn)[1].verdict is Verdict.WARN


def test_the_default_registry_is_every_template_with_the_rating_address_on_the_web_domain() -> None:
    # Given the registry preflight checks for a web domain
    from minyi import bootstrap
    from minyi.adapters.sms.templates import registrations

    registry = bootstrap.deploy_facts(REGION, "12345.sz.gov.cn").required_templates()
    # Then it is the list `minyi sms templates` prints, the rating address written in
    assert set(registry) == set(registrations("12345.sz.gov.cn/r")) and registry
    assert "12345.sz.gov.cn/r" in registry["citizen.replied.zh"]


# --- the whole run -----------------------------------------------------------------------------------


def test_a_check_that_cannot_ask_fails_alone_and_the_exit_code_is_1() -> None:
    class Broken:
        def region_opt_in(self, region: str) -> str:
            raise PermissionError("AccessDenied: ec2:DescribeRegions")

    results = list(preflight(Broken(), PreflightOptions(region=REGION)))  # type: ignore[arg-type]
    # every check still prints its line
    assert [r.check for r in results] == [
        Check.REGION,
        Check.LAMBDA_CONCURRENCY,
        Check.CERTIFICATE,
        Check.SMS_SECRET,
        Check.SMS_TEMPLATES,
    ]
    assert results[0].verdict is Verdict.FAIL and "AccessDenied" in results[0].why
    out = io.StringIO()
    assert report(results, out) == 1
    assert out.getvalue().splitlines()[0].startswith("FAIL region: could not ask: PermissionError")
    assert report([Result(Check.REGION, Verdict.WARN, "x")], io.StringIO()) == 0


def test_minyi_preflight_on_a_fresh_account_prints_a_line_per_check_and_exits_1(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a fresh account (moto): ap-east-1 not enabled, no certificate, the placeholder SMS secret
    arn = _secret(PLACEHOLDER)
    # When the operator runs preflight
    code = cli.main(
        [
            "preflight",
            "--region",
            REGION,
            "--web-domain",
            DOMAIN,
            "--sms-secret",
            arn,
            "--template",
            str(ROOT / "template.yaml"),
        ]
    )
    # Then it exits 1 with one line per check, each PASS, WARN or FAIL with its reason
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert [line.split(":", 1)[0] for line in lines] == [
        "FAIL region",
        "FAIL lambda concurrency",  # moto cannot answer GetAccountSettings: the check fails, the run goes on
        "FAIL web certificate",
        "FAIL sms secret",
        "FAIL sms templates",
    ]
