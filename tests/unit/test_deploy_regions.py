"""The regions we deploy to (samconfig.toml) against what the template needs there (issue 17):
`make validate` lints the template for each of them, and a user pool that sends SMS (codes, temporary
passwords) in a region where Amazon SNS sends none must send it through a custom SMS sender.

Regions where SNS sends no SMS, as AWS's documentation had them when this was written (checked against
"Supported countries and regions" of the SNS developer guide, which lists the regions that send SMS,
and the China regions' notes): Hong Kong (ap-east-1) is not among the regions that send, and SMS is
"not yet available" in Beijing and Ningxia. Cognito calls SNS in the pool's own region unless
SmsConfiguration.SnsRegion names another. Pure: reads template.yaml, samconfig.toml and the Makefile."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from scripts.deploy_regions import deploy_regions
from tests.unit.test_template_contract import TEMPLATE, CloudFormationLoader

ROOT = Path(__file__).resolve().parents[2]
#: Regions whose Amazon SNS sends no SMS (see the module docstring for the sources).
NO_SNS_SMS = frozenset({"ap-east-1", "cn-north-1", "cn-northwest-1"})


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    with TEMPLATE.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.load(fh, Loader=CloudFormationLoader)
    return loaded


def sends_sms(pool: dict[str, Any]) -> bool:
    """Whether Cognito may text anyone for this pool: verification or sign-in codes, SMS MFA, invitations."""
    policies = pool.get("Policies", {})
    return bool(
        "SmsConfiguration" in pool
        or "phone_number" in pool.get("AutoVerifiedAttributes", [])
        or "SMS_MFA" in pool.get("EnabledMfas", [])
        or "SMS_OTP" in policies.get("SignInPolicy", {}).get("AllowedFirstAuthFactors", [])
        or pool.get("AdminCreateUserConfig", {}).get("InviteMessageTemplate", {}).get("SMSMessage")
        or pool.get("VerificationMessageTemplate", {}).get("SmsMessage")
    )


def has_custom_sms_sender(pool: dict[str, Any]) -> bool:
    """LambdaConfig.CustomSMSSender (function and version V1_0) and the KMS key Cognito encrypts codes with."""
    config = pool.get("LambdaConfig", {})
    sender = config.get("CustomSMSSender", {})
    return bool(sender.get("LambdaArn") and sender.get("LambdaVersion") == "V1_0" and config.get("KMSKeyID"))


def pools_without_sms(template: dict[str, Any], regions: list[str]) -> list[tuple[str, str]]:
    """(pool, region) for each pool that would send SMS through SNS in a region where SNS sends none."""
    found = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Cognito::UserPool":
            continue
        pool = resource["Properties"]
        if not sends_sms(pool) or has_custom_sms_sender(pool):
            continue
        sns_region = pool.get("SmsConfiguration", {}).get("SnsRegion")
        for region in regions:
            if (sns_region if isinstance(sns_region, str) else region) in NO_SNS_SMS:
                found.append((name, region))
    return found


def test_the_deploy_regions_are_read_from_samconfig() -> None:
    # Given samconfig.toml's deploy environments (dev, prod, ci) / Then their region, once
    assert deploy_regions() == ["ap-east-1"]


def test_make_validate_lints_the_template_for_each_deploy_region() -> None:
    # Given the Makefile's validate target
    recipe = re.search(r"^validate:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    assert recipe, "the Makefile has a validate target"
    # Then cfn-lint runs with the regions samconfig.toml deploys to (its default, us-east-1, misses ours)
    [lint] = [line for line in recipe.group(1).splitlines() if "cfn-lint" in line]
    assert "--regions $$($(BIN)/python -m scripts.deploy_regions)" in lint


def test_make_tests_one_lint_run_covers_both_lines_of_make_validate() -> None:
    # Given the Makefile's validate-once target, which `make test` runs
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^validate-once:.*?\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has a validate-once target"
    assert re.search(r"^test:(?:.*\n)+?.*\$\(MAKE\) [^\n]*validate-once build", makefile, re.M), "make test runs it"
    # Then its one cfn-lint run lints for sam validate --lint's region (cfn-lint's default, sam passes none)
    # and for the regions samconfig.toml deploys to
    [lint] = [line for line in recipe.group(1).splitlines() if "cfn-lint" in line]
    assert "--regions us-east-1 $$($(BIN)/python -m scripts.deploy_regions)" in lint


def test_the_rule_finds_a_pool_texting_through_sns_where_sns_sends_no_sms() -> None:
    # Given a pool that texts sign-up codes, and the same pool with a custom SMS sender
    texting = {"Type": "AWS::Cognito::UserPool", "Properties": {"AutoVerifiedAttributes": ["phone_number"]}}
    sender = {"CustomSMSSender": {"LambdaArn": "arn", "LambdaVersion": "V1_0"}, "KMSKeyID": "key"}
    with_sender = {"Type": "AWS::Cognito::UserPool", "Properties": {**texting["Properties"], "LambdaConfig": sender}}
    quiet = {"Type": "AWS::Cognito::UserPool", "Properties": {"MfaConfiguration": "OFF"}}
    stack = {"Resources": {"Texting": texting, "WithSender": with_sender, "Quiet": quiet}}
    # When each is checked in Hong Kong and in Singapore
    # Then only the texting pool without a sender in Hong Kong is found
    assert pools_without_sms(stack, ["ap-east-1", "ap-southeast-1"]) == [("Texting", "ap-east-1")]


def test_no_user_pool_sends_sms_through_sns_in_a_deploy_region_without_sns_sms(template: dict[str, Any]) -> None:
    # Given the regions we deploy to / Then every pool that texts there does so through its custom SMS sender
    assert pools_without_sms(template, deploy_regions()) == []
