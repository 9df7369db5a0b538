"""Lazily created boto3 clients, one per service per process (boto3 import costs ~150 ms of cold start).

Nothing here knows about local emulation: the local runtime and the tests configure botocore through
the environment (endpoints, account endpoint mode) the same way any AWS SDK user would.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

#: Standard retry mode backs off on throttling; five attempts ride out a short burst.
RETRY_MODE: Final = "standard"
MAX_ATTEMPTS: Final = 5


@cache
def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # S3 on the bucket's regional virtual host, `BUCKET.s3.<region>.amazonaws.com[.cn]`, in every region.
    # botocore's default presigns on the legacy global host `BUCKET.s3.amazonaws.com`, which S3 refuses for
    # buckets in regions launched after March 2019 (ap-east-1): every upload and evidence link would fail.
    # `regional` does the same for us-east-1, whose default is the global host too. An explicit endpoint
    # (`AWS_ENDPOINT_URL_S3`, the local runtime) is honoured as botocore does: on an IP address, by path.
    config = Config(
        retries={"mode": RETRY_MODE, "max_attempts": MAX_ATTEMPTS},
        s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"} if service == "s3" else None,
    )
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]


def reset_clients() -> None:
    """Forget cached clients (tests: after moto resets the environment)."""
    client.cache_clear()
