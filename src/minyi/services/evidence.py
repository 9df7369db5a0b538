"""Evidence: what citizens and units attach, sealed when it is filed and checked by its bytes.

Both sides attach files the same way (a presigned upload, then naming its id when filing, replying
or supplementing): the upload is copied to a key no ticket can write to and the copy is checked, so
what the other side opens is exactly what was checked. Every upload of a filing is checked before
anything is copied, and a copy that fails its check is removed: a refusal leaves no evidence behind.
"""

from __future__ import annotations

from collections.abc import Sequence

from minyi.domain.errors import InvalidInput
from minyi.domain.media import ALLOWED_MEDIA, SIGNATURE_BYTES, matches
from minyi.domain.models import Actor, Attachment, Case, Upload
from minyi.ports import AttachmentStore, UploadRepository

#: What a refusal says of an upload id with nothing behind it, and of an empty file.
NOTHING_UPLOADED = "error.nothing_uploaded"
EMPTY_FILE = "error.upload_empty"


def seal_uploads(
    uploads: UploadRepository, store: AttachmentStore, owner: Actor, upload_ids: Sequence[str]
) -> list[Attachment]:
    """Seal the uploads named as `attachments[i]`. Every upload is checked before anything is copied
    (an empty, missing or mistyped file is a 422 naming it, leaving no copy behind); then each sealed
    copy is checked again, and if one fails, every copy made here is removed before the refusal."""
    found = [_upload(uploads, store, owner, upload_id, f"attachments[{i}]") for i, upload_id in enumerate(upload_ids)]
    sealed: list[Attachment] = []
    try:
        for i, upload in enumerate(found):
            sealed.append(_seal(store, owner, upload, f"attachments[{i}]"))
    except InvalidInput:
        for attachment in sealed:
            store.discard(attachment.key)
        raise
    return sealed


def seal_upload(
    uploads: UploadRepository, store: AttachmentStore, owner: Actor, upload_id: str, field: str
) -> Attachment:
    """One upload, named `field` in a refusal (`seal_uploads` for a list)."""
    upload = _upload(uploads, store, owner, upload_id, field)
    return _seal(store, owner, upload, field)


def _upload(uploads: UploadRepository, store: AttachmentStore, owner: Actor, upload_id: str, field: str) -> Upload:
    """The caller's unclaimed upload, its uploaded file checked (nothing copied yet)."""
    upload = uploads.get(upload_id)
    if upload is None or upload.owner_id != owner.id:
        raise InvalidInput(field, "error.unknown_upload")
    if upload.case_id:
        raise InvalidInput(field, "error.upload_attached_elsewhere")
    _check(store, upload.key, upload, field)
    return upload


def _seal(store: AttachmentStore, owner: Actor, upload: Upload, field: str) -> Attachment:
    """Seal an upload as evidence, then check the sealed copy: what the other side sees is exactly
    what was checked, whatever is posted with the old ticket afterwards. A copy that fails is removed.
    The key names the upload alone: it ends up in the download links staff open, and the citizen's
    account id is not theirs to see (docs/privacy.md)."""
    evidence_key = f"evidence/{upload.upload_id}"
    store.seal(upload.key, evidence_key, upload.content_type)
    try:
        size, content_type = _check(store, evidence_key, upload, field)
    except InvalidInput:
        store.discard(evidence_key)
        raise
    return Attachment(
        upload_id=upload.upload_id,
        key=evidence_key,
        kind=ALLOWED_MEDIA[upload.content_type].kind,
        content_type=content_type,
        size=size,
        uploaded_by=owner.id,
    )


def _check(store: AttachmentStore, key: str, upload: Upload, field: str) -> tuple[int, str]:
    """(size, content type) of the file at `key` if it is what the upload declared, else a 422 naming
    `field`. An empty file is refused before its first bytes are read (there are none to read)."""
    stored = store.stored_object(key)
    if stored is None:
        raise InvalidInput(field, NOTHING_UPLOADED)
    size, content_type = stored
    if size == 0:
        raise InvalidInput(field, EMPTY_FILE)
    # S3 enforces the presigned policy; checking what arrived also covers stores that do not.
    if size > ALLOWED_MEDIA[upload.content_type].max_size or size > upload.size:
        raise InvalidInput(field, "error.upload_larger_than_declared", size=size, declared=upload.size)
    if content_type != upload.content_type:
        raise InvalidInput(field, "error.upload_not_declared_type", content_type=upload.content_type)
    if not matches(upload.content_type, store.first_bytes(key, SIGNATURE_BYTES)):
        raise InvalidInput(field, "error.upload_content_not", content_type=upload.content_type)
    return size, content_type


def media_links(store: AttachmentStore, case: Case, ttl: int) -> dict[str, str]:
    """Short-lived download links for every attachment (the citizen's and the supplements')."""
    return {
        a.upload_id: store.download_url(
            a.key, ttl, a.content_type, f"{a.upload_id}.{ALLOWED_MEDIA[a.content_type].extension}"
        )
        for a in case.attachments
        if a.content_type in ALLOWED_MEDIA
    }


def reply_links(store: AttachmentStore, case: Case, ttl: int) -> dict[str, str]:
    """Download links for the unit's answer files only: what public tracking gives whoever proved they
    own the case with the last four digits or the SMS code (never the citizen's own media there)."""
    answer_files = {upload_id for reply in case.replies for upload_id in reply.attachments}
    answers_only = case.model_copy(update={"attachments": [a for a in case.attachments if a.upload_id in answer_files]})
    return media_links(store, answers_only, ttl)
