"""Issue 17, part g: no user pool sends a code through SNS in its own region. Both pools hand every code and
temporary password to the custom SMS sender, under a KMS key only Cognito encrypts with and only that
function decrypts with; Cognito may invoke it; and the Encryption SDK loads in that function alone."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_template_policy import RESOURCES, ROOT, _translated, as_list, identity_statements

POOLS = ("UserPool", "StaffUserPool")
SENDER = "SmsSenderFunction"
KEY = {"Fn::GetAtt": ["CodeKey", "Arn"]}


@pytest.mark.parametrize("pool", POOLS)
def test_both_pools_send_codes_through_the_custom_sms_sender_under_the_code_key(pool: str) -> None:
    config = RESOURCES[pool]["Properties"].get("LambdaConfig", {})
    assert config.get("CustomSMSSender") == {
        "LambdaArn": {"Fn::GetAtt": [SENDER, "Arn"]},
        "LambdaVersion": "V1_0",
    }, f"{pool}: without CustomSMSSender Cognito texts through SNS in the pool's region (none in ap-east-1)"
    assert config.get("KMSKeyID") == KEY


def test_the_sam_transform_keeps_the_sender_next_to_the_sign_up_triggers() -> None:
    # Given the template as CloudFormation gets it (the Cognito events of AccountsTriggerFunction merge in)
    pool = _translated()["Resources"]["UserPool"]["Properties"]["LambdaConfig"]
    # Then the citizen pool has its sign-up triggers and the custom SMS sender with its key
    assert {"PreSignUp", "PostConfirmation", "CustomSMSSender", "KMSKeyID"} <= set(pool)
    assert pool["CustomSMSSender"]["LambdaVersion"] == "V1_0"


def _kms_statements() -> list[tuple[str, dict[str, Any]]]:
    return [(n, st) for n, st in identity_statements() if any(a.startswith("kms:") for a in as_list(st["Action"]))]


def test_only_the_sender_may_decrypt_and_only_with_the_code_key() -> None:
    statements = _kms_statements()
    sender = [st for n, st in statements if n == SENDER]
    assert sender, "SmsSenderFunction needs kms:Decrypt on CodeKey"
    for st in sender:
        assert as_list(st["Action"]) == ["kms:Decrypt"]
        assert as_list(st["Resource"]) == [KEY]
    for name, st in statements:
        if KEY in as_list(st.get("Resource")) or st.get("Resource") == "*":
            assert name == SENDER, f"{name} may use the code key"


def test_cognito_may_encrypt_with_the_key_for_this_accounts_pools_only() -> None:
    statements = RESOURCES["CodeKey"]["Properties"]["KeyPolicy"]["Statement"]
    services = [st for st in statements if "Service" in st["Principal"]]
    assert len(services) == 1
    (cognito,) = services
    assert cognito["Principal"]["Service"] == "cognito-idp.amazonaws.com"
    assert "kms:Encrypt" in as_list(cognito["Action"])
    assert not [a for a in as_list(cognito["Action"]) if a.startswith("kms:Decrypt")]
    assert cognito["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert ":userpool/" in cognito["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]


@pytest.mark.parametrize("pool", POOLS)
def test_cognito_may_invoke_the_sender_from_each_pool(pool: str) -> None:
    permissions = [
        r["Properties"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"].get("FunctionName") in ({"Ref": SENDER}, {"Fn::GetAtt": [SENDER, "Arn"]})
    ]
    assert any(
        p["Principal"] == "cognito-idp.amazonaws.com"
        and p["Action"] == "lambda:InvokeFunction"
        and p["SourceArn"] == {"Fn::GetAtt": [pool, "Arn"]}
        for p in permissions
    ), f"no permission for {pool} to invoke {SENDER}"


def test_the_encryption_sdk_is_imported_by_the_decrypter_alone() -> None:
    # cold start: other handlers must not load the SDK and cryptography
    importers = []
    for folder in (ROOT / "src", ROOT / "functions"):
        for path in folder.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                if any(n.split(".")[0] == "aws_encryption_sdk" for n in names):
                    importers.append(Path(path).relative_to(ROOT).as_posix())
    assert sorted(set(importers)) == ["src/minyi/adapters/code_decrypter.py"]
