"""The citizen's choice to publish their description (`public`), kept on the case by RequestService:
only the citizen's own, only where they could make it (never a hotline call), private by default and
for every case stored before the choice existed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from minyi.api.schemas import SubmitRequestBody
from minyi.domain.models import Actor, Case, Channel, Role
from tests.fakes import Fakes
from tests.unit.services.conftest import CITIZEN, new_request

OPERATOR = Actor(role=Role.OPERATOR, id="operator-1")


@pytest.mark.parametrize(("chose", "kept"), [(True, True), (False, False), (None, False)])
def test_a_citizens_choice_is_kept_on_the_case(fakes: Fakes, chose: bool | None, kept: bool) -> None:
    # Given a citizen who ticked the box (or not, or sent nothing)
    request = new_request() if chose is None else new_request(public=chose)
    # When they submit
    case = fakes.request_service().submit(CITIZEN, request)
    # Then the stored case carries their choice, private unless they chose otherwise
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.public is kept


def test_a_hotline_call_is_never_public_even_if_asked(fakes: Fakes) -> None:
    # Given an operator filing a call with public: true
    request = new_request(channel=Channel.HOTLINE, public=True)
    # When it is filed
    case = fakes.request_service().submit(OPERATOR, request)
    # Then the case is private: the caller ticked no box
    stored = fakes.cases.get_case(case.id)
    assert stored is not None and stored.channel == Channel.HOTLINE and stored.public is False


def test_a_case_stored_before_the_choice_existed_reads_as_private(fakes: Fakes) -> None:
    # Given a stored case without a `public` attribute (as DynamoDB holds the cases filed before)
    case = fakes.request_service().submit(CITIZEN, new_request(public=True))
    item = case.model_dump(mode="json")
    del item["public"]
    # When it is read back; Then it is private
    assert Case.model_validate(item).public is False


@pytest.mark.parametrize("sent", ["true", 1, "yes"])
def test_a_choice_that_is_not_a_json_boolean_is_refused_naming_the_field(sent: object) -> None:
    # Given a body whose `public` is not true or false; When it is read; Then the error names `public`
    body = {"category": "complaint", "topic": "traffic", "district": "futian", "description": "违停", "public": sent}
    with pytest.raises(ValidationError) as exc:
        SubmitRequestBody.model_validate(body)
    assert [e["loc"] for e in exc.value.errors()] == [("public",)]
    assert SubmitRequestBody.model_validate({**body, "public": True}).public is True
