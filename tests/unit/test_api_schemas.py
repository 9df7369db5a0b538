"""The request bodies take what their documented schema takes, and the document states what they refuse.

Schemathesis' positive_data_acceptance sends schema-valid bodies and expects them taken: these tests
hold the models (pydantic) and their JSON Schema (what the OpenAPI document embeds) to each other.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from minyi.api.schemas import (
    CallbackBody,
    ExtensionDecisionBody,
    InstructionBody,
    NoteBody,
    RatingBody,
    ReplyBody,
    SubmitRequestBody,
    SupplementBody,
    UploadRequest,
)

MB = 1024 * 1024
SUBMISSION = {"category": "complaint", "topic": "traffic", "district": "futian", "description": "违停"}


def documented(model: type[BaseModel], body: dict[str, Any]) -> bool:
    """Whether the model's JSON Schema (as the OpenAPI document has it) takes the body."""
    return Draft202012Validator(model.model_json_schema()).is_valid(body)


# --- 22.0 is the integer 22 -------------------------------------------------------------------------


def test_a_whole_float_is_the_integer_but_a_fraction_a_string_or_a_boolean_is_not() -> None:
    # Given ratings and a deadline sent as JSON numbers with a zero fraction (JSON Schema: integers)
    rating = RatingBody.model_validate({"speed": 5.0, "effectiveness": 4, "experience": 3.0, "feedback_quality": 1})
    instruction = InstructionBody.model_validate({"instructions": "今天处理", "due_in_days": 22.0})
    # Then they are the integers, as ints
    assert (rating.speed, rating.experience) == (5, 3)
    assert instruction.due_in_days == 22 and type(instruction.due_in_days) is int
    # And anything but a whole number is still refused, naming the field (never rounded or parsed)
    for value in (22.5, "22", True, None):
        with pytest.raises(ValidationError) as refused:
            InstructionBody.model_validate({"instructions": "今天处理", "due_in_days": value})
        assert refused.value.errors()[0]["loc"] == ("due_in_days",), value


# --- the hotline's phone ----------------------------------------------------------------------------


def test_the_document_requires_a_phone_on_the_hotline_channel_only() -> None:
    # Given the submission's schema in the document
    # Then a hotline call without the caller's mobile is not valid, nor with phone null
    assert not documented(SubmitRequestBody, {**SUBMISSION, "channel": "hotline"})
    assert not documented(SubmitRequestBody, {**SUBMISSION, "channel": "hotline", "phone": None})
    # And with it, it is; and the app and web channels may leave it out
    assert documented(SubmitRequestBody, {**SUBMISSION, "channel": "hotline", "phone": "13812345678"})
    assert documented(SubmitRequestBody, {**SUBMISSION, "channel": "app"})
    assert documented(SubmitRequestBody, SUBMISSION)


# --- unique attachments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (SubmitRequestBody, SUBMISSION),
        (ReplyBody, {"message": "已处理"}),
        (SupplementBody, {"text": "补充"}),
    ],
)
def test_the_document_says_an_upload_is_named_once(model: type[BaseModel], body: dict[str, Any]) -> None:
    # When a body names the same upload twice
    # Then its schema refuses it, as the API does; two different uploads are fine
    assert not documented(model, {**body, "attachments": ["u1", "u1"]})
    assert documented(model, {**body, "attachments": ["u1", "u2"]})


# --- texts and uploads ------------------------------------------------------------------------------


@pytest.mark.parametrize("blank", [" ", "\t", "\u3000\n", "\r\n"])
def test_the_document_says_a_required_text_is_more_than_blanks(blank: str) -> None:
    # Given a text the API strips before its minimum length check
    # Then the schema refuses only blanks too (and takes a text with blanks around it)
    assert not documented(NoteBody, {"text": blank})
    assert documented(NoteBody, {"text": f"{blank}已联系{blank}"})
    with pytest.raises(ValidationError):
        NoteBody.model_validate({"text": blank})


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\f", "\r", "\x7f", "\x85"])
def test_the_document_says_no_text_holds_a_control_character(control: str) -> None:
    # Given a control character the body guard refuses (minyi.domain.text_rules)
    # Then the document refuses it too, in a required text and in an optional one, on its own or inside words
    assert not documented(NoteBody, {"text": f"已联系{control}物业"})
    assert not documented(NoteBody, {"text": f"{control}已联系"})
    assert not documented(ExtensionDecisionBody, {"approve": True, "note": f"同意{control}"})
    # while a line break in either spelling is a text
    assert documented(NoteBody, {"text": "已联系\r\n物业\n明天处理"})


def test_the_document_states_each_media_types_size_limit() -> None:
    # Given the upload schema in the document
    # Then a photo over 10 MB and a voice message over 20 MB are refused, a video of 100 MB taken
    assert not documented(UploadRequest, {"content_type": "image/jpeg", "size": 10 * MB + 1})
    assert not documented(UploadRequest, {"content_type": "audio/amr", "size": 20 * MB + 1})
    assert documented(UploadRequest, {"content_type": "video/quicktime", "size": 100 * MB})
    assert documented(UploadRequest, {"content_type": "image/heic", "size": 10 * MB})
    # And a media type the API does not take is not in the document either
    assert not documented(UploadRequest, {"content_type": "application/pdf", "size": 1})


def test_the_document_states_the_callback_rules_the_api_checks() -> None:
    # Given the 回访 body in the document
    rated = {"outcome": "rated", "speed": 4, "effectiveness": 3, "experience": 5, "feedback_quality": 4}
    # Then a rated call gives all four scores, each 1-5, and another outcome none
    assert documented(CallbackBody, rated)
    assert not documented(CallbackBody, {**rated, "speed": 0})
    assert not documented(CallbackBody, {"outcome": "rated", "speed": 4})
    assert documented(CallbackBody, {"outcome": "unreachable"})
    assert not documented(CallbackBody, {"outcome": "declined", "speed": 4})
    # and the API refuses what the document refuses
    with pytest.raises(ValidationError):
        CallbackBody.model_validate({**rated, "speed": 0})


# --- one type for the four scores --------------------------------------------------------------------


def test_a_rating_body_is_the_domain_scores_and_passes_down_only_the_four() -> None:
    from minyi.api.schemas import LinkRatingBody
    from minyi.domain.models import DIMENSIONS, Rating, RatingScores
    from minyi.services.results import Scorecard

    # Given a rating sent with the SMS link's code and a comment
    sent = {"speed": 5, "effectiveness": 4.0, "experience": 3, "feedback_quality": 1, "comment": "慢", "code": "123456"}
    # When the body is validated
    body = LinkRatingBody.model_validate(sent)
    # Then it is the service's scorecard of the domain's scores, as it is (nothing re-validated on the way)
    assert isinstance(body, Scorecard) and isinstance(body, RatingScores)
    assert isinstance(RatingBody.model_validate({k: 2 for k in DIMENSIONS}), Scorecard)
    # And what goes on to the lifecycle is the four scores by dimension, never the proof or the comment
    assert body.scores() == {"speed": 5, "effectiveness": 4, "experience": 3, "feedback_quality": 1}
    assert body.comment == "慢"
    # And the stored rating is the same type, with the same bounds
    assert issubclass(Rating, RatingScores)
    for score in (0, 6):
        with pytest.raises(ValidationError) as refused:
            RatingScores.model_validate({**{k: 3 for k in DIMENSIONS}, "experience": score})
        assert refused.value.errors()[0]["loc"] == ("experience",)
