"""Units and supervisors see why a citizen was unsatisfied (issue 21): the rating's comment and its four
scores, in the platform's words (处置速度、处置效果、服务体验、反馈质量), in the staff timeline's rating event,
worded for staff ("群众已评价", never "您已评价", and which unit returned a case); the citizen's own timeline
shows none of it."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Stack, citizen, staff

REQUEST: dict[str, Any] = {
    "category": "complaint",
    "topic": "traffic",
    "district": "futian",
    "description": "路口信号灯坏了，早高峰很乱",
    "phone": "13812345678",
}
SUPERVISOR = {"sub": "supervisor-1", "cognito:groups": "supervisor"}
UNSATISFIED = {"speed": 4, "effectiveness": 2, "experience": 3, "feedback_quality": 2}


def parked(stack: Stack, case_id: str, phase: str) -> Any:
    return stack.wait_for(lambda: (c := stack.repo.get_case(case_id)) and c.wait and c.wait.phase == phase and c)


def answered(stack: Stack) -> tuple[dict[str, str], dict[str, str], str]:
    """A case the unit answered; it waits for the citizen's rating."""
    who, unit = citizen(), staff()
    status, created = stack.request("POST", "/v1/requests", who, REQUEST)
    assert status == 201, created
    case_id = created["id"]
    parked(stack, case_id, "handling")
    stack.request("POST", f"/v1/cases/{case_id}/accept", unit)
    stack.request("POST", f"/v1/cases/{case_id}/reply", unit, {"message": "已安排交警疏导。"})
    parked(stack, case_id, "rating")
    return who, unit, case_id


def rated_event(stack: Stack, case_id: str, who: dict[str, str], language: str = "zh") -> dict[str, Any]:
    status, body = stack.request("GET", f"/v1/cases/{case_id}/timeline", who, headers={"Accept-Language": language})
    assert status == 200, body
    return next(e for e in body["events"] if e["type"] == "rated")


def test_the_unit_redoing_a_case_and_supervisors_read_the_citizens_comment_and_scores(stack: Stack) -> None:
    # Given an answered case
    who, unit, case_id = answered(stack)
    # When the citizen is unsatisfied and says why
    status, body = stack.request(
        "POST", f"/v1/requests/{case_id}/rating", who, {**UNSATISFIED, "comment": "路口还是没人管"}
    )
    assert status == 200, body
    # Then the unit that redoes it reads the four scores by the platform's names and the comment,
    # in a rating event worded for staff
    event = rated_event(stack, case_id, unit)
    assert event["note"] == "不满意（处置速度 4，处置效果 2，服务体验 3，反馈质量 2）。群众意见：路口还是没人管"
    assert event["text"] == "群众已评价"
    # And so does a supervisor; an English reader reads the note in English (the glossary's names)
    assert rated_event(stack, case_id, SUPERVISOR)["note"] == event["note"]
    english = rated_event(stack, case_id, SUPERVISOR, "en")
    assert english["note"] == (
        "unsatisfied (Speed 4, Effectiveness 2, Service experience 3, Feedback quality 2); comment: 路口还是没人管"
    )
    assert english["text"] == "The citizen rated the answer"
    # And the citizen's own timeline keeps its own words and shows no note
    status, own = stack.request("GET", f"/v1/requests/{case_id}/timeline", who)
    assert status == 200, own
    mine = next(e for e in own["events"] if e["type"] == "rated")
    assert (mine["text"], mine["note"]) == ("您已评价", None)


def test_a_rating_without_a_comment_shows_the_scores_alone(stack: Stack) -> None:
    # Given an answered case, rated satisfied without a comment
    who, unit, case_id = answered(stack)
    scores = {"speed": 5, "effectiveness": 5, "experience": 4, "feedback_quality": 5}
    assert stack.request("POST", f"/v1/requests/{case_id}/rating", who, scores)[0] == 200
    # Then staff read the scores, and no empty comment
    assert rated_event(stack, case_id, unit)["note"] == "满意（处置速度 5，处置效果 5，服务体验 4，反馈质量 5）"


def test_staff_read_who_returned_a_case_where_the_citizen_reads_it_is_being_reassigned(stack: Stack) -> None:
    # Given a dispatched case the brigade returns
    who, unit = citizen(), staff()
    status, created = stack.request("POST", "/v1/requests", who, REQUEST)
    assert status == 201, created
    case_id = created["id"]
    parked(stack, case_id, "handling")
    status, body = stack.request("POST", f"/v1/cases/{case_id}/return", unit, {"reason": "信号灯归交通局管"})
    assert status == 200, body
    # When staff and the citizen read the return
    status, staff_view = stack.request("GET", f"/v1/cases/{case_id}/timeline", SUPERVISOR)
    assert status == 200, staff_view
    _, own = stack.request("GET", f"/v1/requests/{case_id}/timeline", who)
    # Then staff read which unit returned it, the citizen only that a unit is being found
    returned = next(e for e in staff_view["events"] if e["type"] == "returned")
    assert returned["text"] == "福田区交警大队退回，待重新派单"
    assert next(e for e in own["events"] if e["type"] == "returned")["text"] == "正在重新分派承办单位"
