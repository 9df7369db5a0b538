"""The dispatch centre's queue has a deadline: a queued case escalates when no unit was picked in time.

Its own module: the sweep reads the whole due-time index, so it needs a stack of its own."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.conftest import Stack
from tests.integration.test_loop_for_people import SUPERVISOR, queued


def test_a_queued_case_has_a_dispatch_deadline_and_escalates_past_it(fresh_stack: Stack) -> None:
    stack = fresh_stack
    # Given a case waiting in the dispatch centre's queue
    _, case_id = queued(stack)
    case = stack.repo.get_case(case_id)
    assert case is not None and case.dispatch_due_at is not None
    # When the sweep runs after the dispatch deadline
    from minyi import bootstrap
    from minyi.config import SweepSettings

    sweep = bootstrap.sweep_service(stack.settings(SweepSettings, "SweepFunction"))
    report = sweep.run(now=case.dispatch_due_at + timedelta(seconds=1))
    # Then the case is marked and shows on the supervision list with its reason
    assert report.dispatch_overdue == 1
    _, listing = stack.request("GET", "/v1/supervision", SUPERVISOR)
    item = next(i for i in listing["items"] if i["id"] == case_id)
    assert item["reasons"] == ["dispatch_overdue"]
