"""S3 attachments: presigned uploads straight from the phone, sealed evidence copies, download URLs."""

from __future__ import annotations

from typing import Any, Final

from minyi.adapters.aws import client

#: What HeadObject answers for a key nobody uploaded. With `s3:ListBucket` S3 says 404; the functions'
#: roles do not have it (they need no listing), and then S3 answers 403 for a missing key rather than
#: reveal whether it exists. HeadObject has no body, so botocore reports the bare status as the code.
MISSING_OBJECT_CODES: Final = frozenset({"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"})


class S3AttachmentStore:
    """`minyi.ports.AttachmentStore` on a private S3 bucket.

    Uploads land under `uploads/` through presigned POSTs whose policy fixes the exact key; evidence
    is copied under `evidence/`, a prefix no ticket can write to, so re-posting with an old ticket
    changes nothing a unit sees."""

    def __init__(self, bucket: str):
        self.bucket = bucket

    def presign_upload(self, key: str, content_type: str, max_size: int, expires_in: int) -> dict[str, Any]:
        """A presigned POST that S3 enforces: exact key and content type, size at most `max_size`."""
        return client("s3").generate_presigned_post(  # type: ignore[no-any-return]
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
            ExpiresIn=expires_in,
        )

    def stored_object(self, key: str) -> tuple[int, str] | None:
        """(size, content type) of an uploaded object, or None if nothing was uploaded.

        A refused HeadObject reads as "nothing uploaded" too: without `s3:ListBucket` that is how S3
        answers for a missing key, and a key the role may not read is not an upload it can accept."""
        s3 = client("s3")
        try:
            head = s3.head_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in MISSING_OBJECT_CODES:
                return None
            raise
        return int(head["ContentLength"]), str(head.get("ContentType", ""))

    def first_bytes(self, key: str, count: int) -> bytes:
        resp = client("s3").get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")
        return bytes(resp["Body"].read())

    def seal(self, source_key: str, evidence_key: str, content_type: str) -> None:
        """Copy what was uploaded to its evidence key (server-side, whatever its size)."""
        client("s3").copy_object(
            Bucket=self.bucket,
            Key=evidence_key,
            CopySource={"Bucket": self.bucket, "Key": source_key},
            MetadataDirective="REPLACE",
            ContentType=content_type,
            ContentDisposition="attachment",
        )

    def discard(self, key: str) -> None:
        client("s3").delete_object(Bucket=self.bucket, Key=key)

    def download_url(self, key: str, expires_in: int, content_type: str, filename: str) -> str:
        """A short-lived GET that always downloads (never renders inline) with the verified type."""
        return client("s3").generate_presigned_url(  # type: ignore[no-any-return]
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
            },
            ExpiresIn=expires_in,
        )
