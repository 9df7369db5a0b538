"""The Encryption SDK adapter against KMS on moto (issue 17, part g): a code encrypted as Cognito encrypts it
(the AWS Encryption SDK, a KMS master key, base64) comes back through `EncryptionSdkDecrypter`; a code
sealed under another key does not."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from moto import mock_aws

from minyi.adapters.code_decrypter import EncryptionSdkDecrypter
from minyi.ports import CodeDecryptionError

REGION = "ap-east-1"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        import boto3

        kms = boto3.client("kms", region_name=REGION)
        yield kms.create_key()["KeyMetadata"]["Arn"], kms.create_key()["KeyMetadata"]["Arn"]


def _as_cognito_sends(code: str, key_arn: str) -> str:
    """Encrypt `code` as Cognito does for a custom sender: the Encryption SDK under the pool's KMS key."""
    import aws_encryption_sdk
    import botocore.session
    from aws_encryption_sdk.identifiers import CommitmentPolicy

    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=botocore.session.Session()
    )
    ciphertext, _ = client.encrypt(
        source=code.encode(), key_provider=provider, encryption_context={"userpool-id": f"{REGION}_pool"}
    )
    return base64.b64encode(ciphertext).decode()


def test_the_adapter_decrypts_what_the_encryption_sdk_encrypted_under_our_key(keys: tuple[str, str]) -> None:
    # Given a sign-up code encrypted under the pools' key
    ours, _ = keys
    sealed = _as_cognito_sends("482913", ours)
    # When the adapter decrypts it with that key
    # Then the code comes back
    assert EncryptionSdkDecrypter(ours).decrypt(sealed) == "482913"


def test_a_code_sealed_under_another_key_or_damaged_is_refused_without_showing_it(keys: tuple[str, str]) -> None:
    ours, theirs = keys
    foreign = _as_cognito_sends("482913", theirs)
    decrypter = EncryptionSdkDecrypter(ours)
    with pytest.raises(CodeDecryptionError) as refused:
        decrypter.decrypt(foreign)
    assert "482913" not in str(refused.value) and foreign not in str(refused.value)
    with pytest.raises(CodeDecryptionError):
        decrypter.decrypt("not base64 at all!")
    with pytest.raises(CodeDecryptionError):
        decrypter.decrypt(base64.b64encode(b"\x01\x80 not a message").decode())
