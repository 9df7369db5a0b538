"""IntakeService on fakes (issue 18): topics while writing, the district from the boundary, the nearby
cases or the text, duplicate candidates from the nearby index, filing without a topic, and a case's
duplicates for the dispatch centre and the holding unit."""

from __future__ import annotations

import pytest

from minyi.domain.errors import Forbidden, InvalidInput, NotFound
from minyi.domain.intake_model import keyword_model
from minyi.domain.models import UNSORTED_TOPIC, Actor, CaseStatus, Location, Role, SuggestionSource
from minyi.services.intake import DistrictSource, IntakeQuery
from tests.fakes import Fakes
from tests.unit.services.conftest import CITIZEN, DISPATCHER, OTHER_CITIZEN, OTHER_STAFF, STAFF, new_request

OPERATOR = Actor(role=Role.OPERATOR, id="operator-1")
CROSSING = Location(lat=22.5405, lon=114.0550)  # inside Futian's area
NEAR = Location(lat=22.5407, lon=114.0551)  # about 25 m away
FAR = Location(lat=22.5505, lon=114.0550)  # about 1.1 km away
LIGHT = "彩田路和福华路口的红绿灯坏了，一直黄灯闪，我电话13812345678"


def filed(fakes: Fakes, text: str = LIGHT, location: Location | None = CROSSING, **fields: object) -> str:
    case = fakes.request_service().submit(
        CITIZEN, new_request(description=text, location=location, **({"topic": "traffic"} | fields))
    )
    return case.id


def test_topics_are_at_least_three_best_first_with_scores_in_0_1_from_the_catalogue_keywords(fakes: Fakes) -> None:
    found = fakes.intake_service().suggest(CITIZEN, IntakeQuery(description="路口红绿灯坏了，车都乱开"))
    assert len(found.topics) >= 3
    assert found.topics[0].topic == "traffic"
    assert [t.score for t in found.topics] == sorted((t.score for t in found.topics), reverse=True)
    assert all(0 <= t.score <= 1 for t in found.topics)
    assert found.model_version.startswith("keywords")
    assert found.district is None and found.duplicates == [] and found.reads is None


def test_the_trained_model_in_force_suggests_when_there_is_one(fakes: Fakes) -> None:
    model = keyword_model(["health", "traffic", "housing"], {"health": ["红绿灯"]}, version="m-7")
    fakes.topic_models_in_force.model = model
    found = fakes.intake_service().suggest(CITIZEN, IntakeQuery(description="路口红绿灯坏了"))
    assert found.model_version == "m-7"
    assert found.topics[0].topic == "health"


def test_a_model_of_another_catalogue_offers_only_live_topics_still_three_filled_from_the_keywords(
    fakes: Fakes,
) -> None:
    # Given a model in force that knows one topic this catalogue has and two it does not
    model = keyword_model(["metro", "traffic", "ferries"], {"metro": ["红绿灯"], "ferries": ["路口"]}, version="m-x")
    fakes.topic_models_in_force.model = model
    catalogue = set(fakes.catalog.get().topics)
    # When a citizen writes
    found = fakes.intake_service().suggest(CITIZEN, IntakeQuery(description="路口红绿灯坏了"))
    # Then only the catalogue's topics are offered, at least three, best first, the model's own first
    assert {t.topic for t in found.topics} <= catalogue and len(found.topics) >= 3
    assert found.topics[0].topic == "traffic" and found.model_version == "m-x"
    assert [t.score for t in found.topics] == sorted((t.score for t in found.topics), reverse=True)
    assert all(0 <= t.score <= 1 for t in found.topics)


def test_the_district_comes_from_the_boundary_else_the_nearby_cases_else_the_text(fakes: Fakes) -> None:
    service = fakes.intake_service()
    boundary = service.suggest(CITIZEN, IntakeQuery(description="红绿灯坏了", location=CROSSING)).district
    assert boundary is not None and (boundary.district, boundary.source) == ("futian", DistrictSource.BOUNDARY)
    # outside every drawn area: the open cases around say which district it is
    outside = Location(lat=22.7800, lon=114.4500)
    filed(fakes, location=outside, district="dapeng")
    history = service.suggest(CITIZEN, IntakeQuery(description="红绿灯坏了", location=outside)).district
    assert history is not None and (history.district, history.source) == ("dapeng", DistrictSource.HISTORY)
    text = service.suggest(CITIZEN, IntakeQuery(description="罗湖东门路口红绿灯坏了")).district
    assert text is not None and (text.district, text.source) == ("luohu", DistrictSource.TEXT)
    assert service.suggest(CITIZEN, IntakeQuery(description="红绿灯坏了")).district is None


def test_duplicates_are_open_cases_of_the_topic_nearby_read_in_at_most_four_queries(fakes: Fakes) -> None:
    # Given an open traffic case at the crossing, one far away, one of another topic, one withdrawn
    near = filed(fakes)
    filed(fakes, location=FAR)
    filed(fakes, topic="environment", text="彩田路口油烟直排")
    gone = filed(fakes)
    fakes.request_service().withdraw(CITIZEN, gone, None)
    # When another citizen writes about the crossing
    found = fakes.intake_service().suggest(
        OTHER_CITIZEN, IntakeQuery(description="彩田路福华路路口红绿灯不亮了", location=NEAR)
    )
    # Then only the open traffic case nearby is a candidate, a likely duplicate, and read within budget
    assert [c.case.case_id for c in found.duplicates] == [near]
    assert found.duplicates[0].likely_duplicate
    assert found.staff_view is False
    assert found.reads is not None and 1 <= found.reads.queries <= 4


def test_duplicates_of_the_given_topic_when_one_is_chosen(fakes: Fakes) -> None:
    filed(fakes, topic="environment", text="彩田路口的红绿灯旁边油烟直排")
    query = IntakeQuery(description="彩田路口红绿灯坏了", topic="environment", location=NEAR)
    assert len(fakes.intake_service().suggest(CITIZEN, query).duplicates) == 1
    with pytest.raises(InvalidInput) as refused:
        fakes.intake_service().suggest(CITIZEN, IntakeQuery(description="x", topic="nope"))
    assert refused.value.field == "topic"


def test_staff_read_near_cases_citizens_and_operators_do_not(fakes: Fakes) -> None:
    service = fakes.intake_service()
    query = IntakeQuery(description="红绿灯坏了", location=NEAR)
    assert service.suggest(DISPATCHER, query).staff_view
    assert service.suggest(STAFF, query).staff_view
    assert not service.suggest(OPERATOR, query).staff_view
    assert not service.suggest(CITIZEN, query).staff_view


def test_a_location_outside_the_city_is_refused_naming_it(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as refused:
        fakes.intake_service().suggest(CITIZEN, IntakeQuery(description="x", location=Location(lat=39.9, lon=116.4)))
    assert refused.value.field == "location"


# --- filing without a topic -------------------------------------------------------------------------


def test_without_a_topic_a_sure_model_routes_and_the_case_records_the_suggestion(fakes: Fakes) -> None:
    # Given a model in force whose threshold the text clears
    model = keyword_model(["traffic", "environment", "housing"], {"traffic": ["红绿灯", "路口"]}, version="m-1")
    model.auto_threshold = 0.8
    fakes.topic_models_in_force.model = model
    # When a citizen files without topic and district, at the crossing
    case = fakes.request_service().submit(
        CITIZEN, new_request(topic=None, district=None, description="路口红绿灯坏了", location=CROSSING)
    )
    # Then the model's topic and the boundary's district are the case's, with what was suggested
    assert (case.topic, case.district) == ("traffic", "futian")
    assert case.suggestion is not None
    assert case.suggestion.model_version == "m-1"
    assert case.suggestion.source == SuggestionSource.MODEL and case.suggestion.chosen == "traffic"
    assert fakes.cases.cases[case.id].suggestion == case.suggestion


def test_without_a_topic_an_unsure_model_leaves_it_to_the_dispatch_centre(fakes: Fakes) -> None:
    # Given only the catalogue's keywords (they never route alone)
    case = fakes.request_service().submit(
        CITIZEN, new_request(topic=None, description="路口红绿灯坏了", location=CROSSING)
    )
    assert case.topic == UNSORTED_TOPIC
    assert case.suggestion is not None and case.suggestion.source == SuggestionSource.DISPATCH
    assert case.suggestion.topics[0].topic == "traffic"
    # When the router runs, the case waits in the dispatch centre's queue
    fakes.workflow_tasks().route(case.id)
    assert fakes.cases.cases[case.id].in_dispatch_queue


def test_a_given_topic_is_kept_and_recorded_as_given(fakes: Fakes) -> None:
    case = fakes.request_service().submit(CITIZEN, new_request(description="路口红绿灯坏了"))
    assert case.topic == "traffic"
    assert case.suggestion is not None and case.suggestion.source == SuggestionSource.GIVEN


def test_without_a_district_and_no_location_that_names_one_the_submission_is_refused(fakes: Fakes) -> None:
    with pytest.raises(InvalidInput) as refused:
        fakes.request_service().submit(CITIZEN, new_request(district=None))
    assert refused.value.field == "district"
    assert fakes.cases.cases == {}


# --- a case's duplicates ---------------------------------------------------------------------------


def test_a_case_duplicates_for_the_dispatch_centre_and_the_holding_unit_only(fakes: Fakes) -> None:
    first = filed(fakes)
    second = filed(fakes, text="彩田路福华路路口红绿灯不亮了", location=NEAR)
    fakes.clock.advance(minutes=1)
    fakes.workflow_tasks().route(second)
    assert fakes.cases.cases[second].status == CaseStatus.DISPATCHED
    found = fakes.intake_service().duplicates(DISPATCHER, second)
    assert [c.case.case_id for c in found.duplicates] == [first]
    assert fakes.intake_service().duplicates(STAFF, second).case.id == second
    with pytest.raises(NotFound):
        fakes.intake_service().duplicates(OTHER_STAFF, second)
    with pytest.raises(Forbidden):
        fakes.intake_service().duplicates(CITIZEN, second)


def test_cases_older_than_the_window_are_not_candidates(fakes: Fakes) -> None:
    filed(fakes)
    fakes.clock.advance(days=31)
    found = fakes.intake_service().suggest(CITIZEN, IntakeQuery(description="红绿灯坏了", location=NEAR))
    assert found.duplicates == []
