"""What citizens may attach, and how to recognise each type from its first bytes (pure).

A declared content type is a claim; the first bytes of the stored object are evidence. An HTML page
declared as `image/png` is refused before it is attached, so nothing the unit opens is other than
what it says it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from minyi.domain.models import AttachmentKind

MB = 1024 * 1024
#: How many leading bytes the checks below need.
SIGNATURE_BYTES = 32


@dataclass(frozen=True)
class MediaType:
    kind: AttachmentKind
    max_size: int
    extension: str


#: What a citizen may attach (the formats phones actually record), and how large it may be.
ALLOWED_MEDIA: dict[str, MediaType] = {
    "image/jpeg": MediaType(AttachmentKind.PHOTO, 10 * MB, "jpg"),
    "image/png": MediaType(AttachmentKind.PHOTO, 10 * MB, "png"),
    "image/heic": MediaType(AttachmentKind.PHOTO, 10 * MB, "heic"),
    "image/heif": MediaType(AttachmentKind.PHOTO, 10 * MB, "heif"),
    "audio/mpeg": MediaType(AttachmentKind.VOICE, 20 * MB, "mp3"),
    "audio/amr": MediaType(AttachmentKind.VOICE, 20 * MB, "amr"),
    "audio/mp4": MediaType(AttachmentKind.VOICE, 20 * MB, "m4a"),
    "audio/x-m4a": MediaType(AttachmentKind.VOICE, 20 * MB, "m4a"),
    "video/mp4": MediaType(AttachmentKind.VIDEO, 100 * MB, "mp4"),
    "video/quicktime": MediaType(AttachmentKind.VIDEO, 100 * MB, "mov"),
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
_QUICKTIME_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}


def _ftyp_brand(head: bytes) -> bytes | None:
    """ISO base media files (MP4, M4A, MOV, HEIF) start with a `ftyp` box naming their brand."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return head[8:12]
    return None


def matches(content_type: str, head: bytes) -> bool:
    """Do the first bytes of a file fit the declared content type?"""
    brand = _ftyp_brand(head)
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type in {"image/heic", "image/heif"}:
        return brand in _HEIF_BRANDS
    if content_type == "audio/mpeg":
        return head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if content_type == "audio/amr":
        return head.startswith(b"#!AMR")
    if content_type in {"audio/mp4", "audio/x-m4a", "video/mp4"}:
        return brand is not None and brand not in _HEIF_BRANDS and brand != b"qt  "
    if content_type == "video/quicktime":
        return brand == b"qt  " or head[4:8] in _QUICKTIME_ATOMS
    return False
