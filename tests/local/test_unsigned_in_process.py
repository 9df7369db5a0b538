"""The runtime's in-process clients skip SigV4 where the embedded AWS checks none (infra/local/aws.py),
in a process of their own: the setting is every later botocore session's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import boto3
    from moto import mock_aws
    from infra.local.aws import skip_signing_in_process

    skip_signing_in_process()
    seen = {}
    with mock_aws():
        session = boto3.Session(region_name="ap-east-1", aws_access_key_id="ak", aws_secret_access_key="sk")
        session.events.register(
            "before-send", lambda request, **_: seen.__setitem__(request.url.split("/")[2].split(".")[0],
                                                                   "Authorization" in request.headers)
        )
        session.client("dynamodb").list_tables()
        session.client("sns").list_topics()
        session.client("s3").list_buckets()
    print(seen["dynamodb"], seen["sns"], seen["s3"])
    """
)


def test_case_path_services_go_unsigned_and_s3_keeps_its_signature() -> None:
    # Given the runtime's setting, When a new session calls DynamoDB, SNS and S3
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    # Then DynamoDB and SNS requests carry no signature, and S3's (whose signatures the runtime checks) do
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]
