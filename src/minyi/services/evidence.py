"""Evidence: what citizens and units attach, sealed when it is filed and checked by its bytes.

Both sides attach files the same way (a presigned upload, then naming its id when filing, replying
or supplementing): the upload is copied to a key no ticket can write to and the copy is checked, so
what the other side opens is exactly what was checked.
"""

from __future__ import annotations

from minyi.domain.errors import InvalidInput
from minyi.domain.media import ALLOWED_MEDIA, SIGNATURE_BYTES, matches
from minyi.domain.models import Actor, Attachment, Case
from minyi.ports import AttachmentStore, UploadRepository


def seal_upload(
    uploads: UploadRepository, store: AttachmentStore, owner: Actor, upload_id: str, field: str
) -> Attachment:
    """Seal an upload as evidence, then check the sealed copy: what the other side sees is exactly
    what was checked, whatever is posted with the old ticket afterwards."""
    upload = uploads.get(upload_id)
    if upload is None or upload.owner_id != owner.id:
        raise InvalidInput(field, "unknown upload id; use one returned by POST /v1/uploads")
    if upload.case_id:
        raise InvalidInput(field, "this upload is already attached to another case")
    if store.stored_object(upload.key) is None:
        raise InvalidInput(field, "nothing was uploaded for this upload id yet")
    media = ALLOWED_MEDIA[upload.content_type]
    evidence_key = f"evidence/{owner.id}/{upload_id}"
    store.seal(upload.key, evidence_key, upload.content_type)
    stored = store.stored_object(evidence_key)
    if stored is None:
        raise InvalidInput(field, "nothing was uploaded for this upload id yet")
    size, content_type = stored
    # S3 enforces the presigned policy; checking what arrived also covers stores that do not.
    if size > media.max_size or size > upload.size:
        raise InvalidInput(field, f"the uploaded file is {size} bytes, more than the {upload.size} declared")
    if content_type != upload.content_type:
        raise InvalidInput(field, f"the uploaded file is not of the declared type {upload.content_type}")
    if not matches(upload.content_type, store.first_bytes(evidence_key, SIGNATURE_BYTES)):
        raise InvalidInput(field, f"the uploaded file's content is not {upload.content_type}")
    return Attachment(
        upload_id=upload_id,
        key=evidence_key,
        kind=media.kind,
        content_type=content_type,
        size=size,
        uploaded_by=owner.id,
    )


def media_links(store: AttachmentStore, case: Case, ttl: int) -> dict[str, str]:
    """Short-lived download links for every attachment (the citizen's and the supplements')."""
    return {
        a.upload_id: store.download_url(
            a.key, ttl, a.content_type, f"{a.upload_id}.{ALLOWED_MEDIA[a.content_type].extension}"
        )
        for a in case.attachments
        if a.content_type in ALLOWED_MEDIA
    }
