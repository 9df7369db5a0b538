"""Issue 18 并单 over HTTP: two citizens report one problem, a dispatcher merges one case into the other,
every reporter hears the unit's reply with a rating code of their own and rates it (one rollback per
round), the merged citizen's own case says into which tracking number, a third citizen's "me too"
follows the case without filing one, and a supervisor's undoing of the merge routes the case again.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.e2e.conftest import VALID_REQUEST, Api
from tests.e2e.test_handling_loop import TRAFFIC_POLICE, act, act_get, handle, scores, wait_status
from tests.e2e.test_sms import wait_sms


def a_mobile() -> str:
    """A mobile of the test's own (the SMS log is shared with other tests' cases)."""
    return f"139{uuid.uuid4().int % 10**8:08d}"


def report(api: Api, mobile: str) -> tuple[str, str, str]:
    """A citizen signed in with `mobile` reports the broken light; their token, case id and number."""
    citizen = api.token("citizen", phone=f"+86{mobile}")
    resp = api.call("POST", "/v1/requests", citizen, json={**VALID_REQUEST, "phone": mobile})
    assert resp.status_code == 201, resp.text
    return citizen, str(resp.json()["id"]), str(resp.json()["tracking_no"])


def rating_code(message: dict[str, Any]) -> str:
    found = re.search(r"评价码(\d{6})", message["body"])
    assert found, message["body"]
    return found[1]


def rate_by_code(api: Api, number: str, code: str, value: int) -> dict[str, Any]:
    resp = api.call("POST", f"/v1/track/{number}/rating", json={**scores(5, effectiveness=value), "code": code})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_two_reports_merged_both_reporters_hear_and_rate_me_too_follows_and_a_supervisor_undoes_it(
    api: Api,
) -> None:
    # Given two citizens who report the same problem, both cases dispatched to the traffic police
    first_mobile, second_mobile = a_mobile(), a_mobile()
    first, kept_id, kept_no = report(api, first_mobile)
    second, merged_id, merged_no = report(api, second_mobile)
    for token, case_id in ((first, kept_id), (second, merged_id)):
        assert wait_status(api, token, case_id, "DISPATCHED")["unit_id"] == TRAFFIC_POLICE
    dispatcher = api.token("dispatcher")

    # When the dispatcher merges the second into the first
    merged = act(api, f"/v1/cases/{merged_id}/merge", dispatcher, {"into": kept_no, "reason": "同一路口的红绿灯"})
    # Then the second is MERGED into the first's number, and the first has one more reporter
    assert (merged["status"], merged["merged_into"]) == ("MERGED", kept_no)
    staff = api.token("staff", unit=TRAFFIC_POLICE)
    assert act_get(api, f"/v1/cases/{kept_id}", staff)["reporters"] == 1
    # And the merged citizen's own case view says into which tracking number, and its SMS said so too
    own = wait_status(api, second, merged_id, "MERGED")
    assert own["merged_into"] == kept_no
    assert kept_no in wait_sms(api, f"+86{second_mobile}", merged_id, "merged", "citizen")["body"]

    # When the unit replies on the kept case
    handle(api, kept_id, staff, "信号灯已修复。")
    # Then both reporters get the reply SMS, each with a rating code of their own
    first_code = rating_code(wait_sms(api, f"+86{first_mobile}", kept_id, "replied", "citizen"))
    second_code = rating_code(wait_sms(api, f"+86{second_mobile}", kept_id, "replied", "citizen"))
    assert first_code != second_code

    # When the first reporter is unsatisfied
    rolled = rate_by_code(api, kept_no, first_code, 2)
    # Then the problem is rolled back to the unit once
    assert rolled["status"] == "REOPENED"
    # When the second reporter is unsatisfied too, in the same round
    late = rate_by_code(api, kept_no, second_code, 1)
    # Then their rating counts, and the problem is not rolled back again
    assert late["status"] == "REOPENED"
    kept = act_get(api, f"/v1/cases/{kept_id}", staff)
    assert (kept["round"], kept["reopen_count"]) == (2, 1)
    assert [r["satisfied"] for r in kept["ratings"]] == [False, False]
    # And a second use of a code is refused
    again = api.call("POST", f"/v1/track/{kept_no}/rating", json={**scores(5), "code": second_code})
    assert again.status_code == 409, again.text

    # When a third citizen says "me too" on the kept case
    third = api.token("citizen", phone=f"+86{a_mobile()}")
    resp = api.call("POST", f"/v1/track/{kept_no}/follow", third)
    # Then they follow it without a case of their own, and the kept case has one more reporter
    assert resp.status_code == 200, resp.text
    assert resp.json()["tracking_no"] == kept_no
    assert api.call("GET", "/v1/requests", third).json()["items"] == []
    assert act_get(api, f"/v1/cases/{kept_id}", staff)["reporters"] == 2
    # And asking twice changes nothing
    assert api.call("POST", f"/v1/track/{kept_no}/follow", third).status_code == 200
    assert act_get(api, f"/v1/cases/{kept_id}", staff)["reporters"] == 2

    # When a dispatcher tries to undo the merge, Then only a supervisor may
    refused = api.call("POST", f"/v1/cases/{merged_id}/unmerge", dispatcher, json={"reason": "不是同一个路口"})
    assert refused.status_code == 403, refused.text
    # When a supervisor undoes it
    supervisor = api.token("supervisor")
    undone = act(api, f"/v1/cases/{merged_id}/unmerge", supervisor, {"reason": "不是同一个路口"})
    # Then the case is routed again by rule, off the kept case, and no longer says merged
    assert undone["merged_into"] is None
    routed = wait_status(api, second, merged_id, "DISPATCHED")
    assert routed["unit_id"] == TRAFFIC_POLICE and routed["merged_into"] is None
    assert act_get(api, f"/v1/cases/{kept_id}", staff)["reporters"] == 1
    assert merged_no != kept_no
