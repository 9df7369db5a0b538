"""`minyi smoke` against a running stack (the local runtime, as `make run` starts it), through its web
address: every step passes, and the request it filed is withdrawn."""

from __future__ import annotations

import pytest

from minyi import cli
from tests.e2e.conftest import Api


def test_minyi_smoke_passes_on_a_running_stack_and_withdraws_its_request(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a running stack and a citizen's token from /local/tokens
    token = api.token("citizen")
    # When the operator runs the smoke test through the web address, naming RatingLinkBase
    code = cli.main(["smoke", "--api", api.base_url, "--token", token, "--rating-base", api.base_url])
    # Then every step passes, one line each, in order
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert [line.split(":", 1)[0] for line in lines] == [
        "PASS catalogue",
        "PASS upload",
        "PASS submission",
        "PASS rating address",
        "PASS no token",
        "PASS unknown route",
        "PASS cleanup",
    ]
    # And the request it filed, with its 3-byte attachment, is withdrawn
    (mine,) = api.call("GET", "/v1/requests", token).json()["items"]
    assert mine["status"] == "WITHDRAWN"


def test_minyi_smoke_without_the_rating_base_warns_that_it_cannot_see_it(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["smoke", "--api", api.base_url, "--token", api.token("citizen")])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert any(line.startswith("WARN rating address:") and "--rating-base" in line for line in lines)
