"""Issue 17: rating by tracking number and the SMS's 6-digit code, on fakes: the code is guessable, so
wrong codes are charged to the number (5 lock it for everyone, tracking by the code included) and a right
one is refunded."""

from __future__ import annotations

import pytest

from minyi.domain.errors import NotFound, TooManyAttempts
from minyi.domain.models import Case
from minyi.ports import GuessScope
from minyi.services.results import Scorecard
from tests.fakes import Fakes


def _answered(fakes: Fakes) -> Case:
    from minyi.domain import lifecycle
    from tests.unit.services.test_notify_service import STAFF, dispatched

    case, _ = dispatched(fakes)
    case = fakes.cases.save(lifecycle.accept(case, STAFF, fakes.clock()))
    return fakes.cases.save(lifecycle.reply(case, "Done.", STAFF, fakes.clock()))


CARD = Scorecard(speed=5, effectiveness=5, experience=5, feedback_quality=5)


def test_five_wrong_codes_lock_the_number_for_everyone_and_a_right_one_is_refunded(fakes: Fakes) -> None:
    # Given an answered case waiting for its rating
    case = _answered(fakes)
    service = fakes.link_rating()
    code = fakes.links.code(case.tracking_no, case.round)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # When the right code is entered, it is not counted against the number
    assert service.state(case.tracking_no, code, "192.0.2.1").id == case.id
    assert fakes.lockouts.failures(GuessScope.RATING_CODE, case.tracking_no) == 0
    # And four wrong codes from four clients are unknown
    for n in range(4):
        with pytest.raises(NotFound):
            service.state(case.tracking_no, wrong, f"192.0.2.{10 + n}")
    # Then the fifth wrong code locks the number
    with pytest.raises(TooManyAttempts):
        service.state(case.tracking_no, wrong, "192.0.2.20")
    # And even the right code from a new client is refused while it lasts, as is tracking by the code
    with pytest.raises(TooManyAttempts) as locked:
        service.rate(case.tracking_no, code, CARD, "192.0.2.21")
    assert locked.value.retry_after > 0
    with pytest.raises(TooManyAttempts):
        fakes.request_service().track(case.tracking_no, "192.0.2.22", token=code)


def test_tracking_takes_the_sms_code_as_proof(fakes: Fakes) -> None:
    # Given an answered case / When it is tracked with its SMS code / Then it is shown
    case = _answered(fakes)
    code = fakes.links.code(case.tracking_no, case.round)
    found = fakes.request_service().track(case.tracking_no, "192.0.2.30", token=code)
    assert found.case.id == case.id
