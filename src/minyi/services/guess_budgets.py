"""How many wrong guesses public tracking and rating codes allow, shared by the request service and the
rating links (a module of its own, so that the rate function does not load the request service, and with
it the intake model, for four constants)."""

from __future__ import annotations

from datetime import timedelta

from minyi.ports import GuessBudget

#: Public tracking: a client (address) making this many wrong guesses within the window is refused
#: tracking for the lock's length, whatever number or proof it offers next.
TRACKING_CLIENT_BUDGET = GuessBudget(limit=5, window=timedelta(minutes=15), lock=timedelta(minutes=15))
#: A tracking number collecting this many wrong last-4 guesses from anyone within the window answers
#: last-4 alone with `verification_required` for the lock's length (sign-in and the SMS code still work).
TRACKING_NUMBER_BUDGET = GuessBudget(limit=30, window=timedelta(hours=1), lock=timedelta(minutes=15))
TRACKING_MAX_FAILURES = TRACKING_CLIENT_BUDGET.limit
#: Wrong 6-digit rating codes for one number, from anyone (tracking and rating alike), before the
#: number's code is refused for the lock's length (`minyi.services.rating_links`).
RATING_CODE_BUDGET = GuessBudget(limit=5, window=timedelta(hours=1), lock=timedelta(hours=1))
RATING_CODE_LOCKED = "error.rating_code_locked"
