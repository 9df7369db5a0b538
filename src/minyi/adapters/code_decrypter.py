"""`minyi.ports.CodeDecrypter` with the AWS Encryption SDK and the pools' KMS key.

Cognito encrypts the code it hands a custom SMS sender with the Encryption SDK under the key named
in the pool's `LambdaConfig.KMSKeyID`, and base64-encodes the message. A strict KMS master key
provider decrypts with that key only (never a key the message names on its own). Cognito's messages
are not key-committing, so the commitment policy allows decrypting them (AWS documents the same
for custom sender triggers).

The SDK (and `cryptography` under it) is imported only here, and only the sender function imports
this module: no other handler pays for it at cold start.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from minyi.ports import CodeDecryptionError


class EncryptionSdkDecrypter:
    def __init__(self, key_arn: str, region: str | None = None):
        self.key_arn = key_arn
        self.region = region
        self._client: Any = None
        self._provider: Any = None

    def _sdk(self) -> tuple[Any, Any]:
        if self._client is None:
            import aws_encryption_sdk
            import botocore.session
            from aws_encryption_sdk.identifiers import CommitmentPolicy

            self._client = aws_encryption_sdk.EncryptionSDKClient(
                commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
            )
            self._provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
                key_ids=[self.key_arn], botocore_session=botocore.session.Session()
            )
        return self._client, self._provider

    def decrypt(self, ciphertext: str) -> str:
        from aws_encryption_sdk.exceptions import AWSEncryptionSDKClientError

        client, provider = self._sdk()
        try:
            plaintext, _ = client.decrypt(source=base64.b64decode(ciphertext, validate=True), key_provider=provider)
            return bytes(plaintext).decode("utf-8")
        except (AWSEncryptionSDKClientError, binascii.Error, UnicodeDecodeError, ValueError) as exc:
            # the message names the failure's type only: never the ciphertext or a partial plaintext
            raise CodeDecryptionError(f"the code could not be decrypted ({type(exc).__name__})") from None
