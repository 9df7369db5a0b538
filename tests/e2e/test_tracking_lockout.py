"""Public tracking over HTTP: a stranger's wrong guesses lock out the stranger, never the owner.

The local gateway gives each request the connection's peer address as API Gateway's source IP, so
these tests speak from their own loopback addresses (127.0.0.x, bound as the client socket's source):
wrong guesses count per client, and a burst of parallel guesses is checked at most 5 times.
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.e2e.conftest import VALID_REQUEST, Api


def track_from(api: Api, source: str, number: str, **params: str) -> tuple[int, dict[str, str], Any]:
    """GET /v1/track/{number} from the loopback address `source`."""
    url = urlsplit(api.base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30, source_address=(source, 0))
    try:
        conn.request("GET", f"/v1/track/{number}?{urlencode(params)}", headers={"Accept-Language": "en"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def submitted(api: Api) -> str:
    resp = api.call("POST", "/v1/requests", api.token(), json=VALID_REQUEST)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["tracking_no"])


def test_a_strangers_wrong_guesses_lock_out_the_stranger_not_the_owner(api: Api) -> None:
    # Given a case, and a stranger at 127.0.0.2 who guesses its last four digits
    number = submitted(api)
    answers = [track_from(api, "127.0.0.2", number, phone_last4=f"{n:04d}") for n in range(5)]
    # Then the fifth wrong guess locks the stranger out for 15 minutes (429 with Retry-After)
    assert [a[0] for a in answers] == [404, 404, 404, 404, 429]
    assert answers[-1][2]["error"] == "too_many_attempts"
    assert 0 < int(answers[-1][1]["retry-after"]) <= 900
    # And the stranger is refused even with the right digits
    assert track_from(api, "127.0.0.2", number, phone_last4="5678")[0] == 429
    # But the owner at 127.0.0.3 tracks the case with the right digits
    status, _, body = track_from(api, "127.0.0.3", number, phone_last4="5678")
    assert status == 200, body
    assert body["tracking_no"] == number


def test_forty_parallel_guesses_from_one_client_are_checked_at_most_five_times(api: Api) -> None:
    # Given a case, and 40 simultaneous requests from 127.0.0.4, 39 with wrong digits and 1 with the right
    number = submitted(api)
    start = threading.Barrier(40)
    statuses: list[int] = []
    errors: list[str] = []

    def guess(n: int) -> None:
        start.wait()
        digits = "5678" if n == 0 else f"{n:04d}"
        try:
            statuses.append(track_from(api, "127.0.0.4", number, phone_last4=digits)[0])
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(repr(exc))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then at most five were checked (404s, the right one's 200); all others were refused unchecked (429)
    assert not errors
    assert len(statuses) == 40, sorted(statuses)
    assert len([s for s in statuses if s != 429]) <= 5
