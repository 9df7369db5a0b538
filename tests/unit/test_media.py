"""Signatures of the media citizens attach: a declared type must fit the file's first bytes."""

from __future__ import annotations

import pytest

from minyi.domain.media import ALLOWED_MEDIA, matches

SAMPLES = {
    "image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF",
    "image/png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "image/heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
    "image/heif": b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00",
    "audio/mpeg": b"ID3\x04\x00\x00\x00\x00\x00\x00",
    "audio/amr": b"#!AMR\n\x3c\x00",
    "audio/mp4": b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00",
    "audio/x-m4a": b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00",
    "video/mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00",
    "video/quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00",
}


@pytest.mark.parametrize("content_type", sorted(ALLOWED_MEDIA))
def test_every_allowed_type_recognises_its_own_signature(content_type: str) -> None:
    # Given a file that starts like a real one of its type / When it is checked / Then it matches
    assert matches(content_type, SAMPLES[content_type])


@pytest.mark.parametrize("content_type", sorted(ALLOWED_MEDIA))
def test_html_matches_no_allowed_type(content_type: str) -> None:
    # Given an HTML page / When it is declared as any allowed type / Then it does not match
    assert not matches(content_type, b"<!DOCTYPE html><script>alert(1)</script>")


def test_an_mp3_frame_without_a_tag_is_audio_and_a_heic_is_no_mp4() -> None:
    # Given an MPEG frame header and a HEIC file
    # Then the frame is audio/mpeg, and the HEIC is not passed off as a video
    assert matches("audio/mpeg", b"\xff\xfb\x90\x00")
    assert not matches("video/mp4", SAMPLES["image/heic"])
    assert not matches("video/mp4", SAMPLES["video/quicktime"])
