"""The local runtime's own address: with `port=0` (the benchmark's) it binds a free port before the
functions get their settings, so the rating SMS links to where the runtime really answers, and no
other process can take the port meanwhile."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from infra.local.runtime import LocalRuntime


@pytest.fixture
def environment_kept() -> Iterator[None]:
    """LocalRuntime sets the AWS variables of the process it runs in; put them back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_a_runtime_on_port_zero_links_rating_sms_to_the_port_it_will_serve_on(environment_kept: None) -> None:
    # Given a runtime asked for any free port
    runtime = LocalRuntime(host="127.0.0.1", port=0)
    try:
        # Then it holds one already (nobody else can take it before it serves), and the rating links
        # the functions write point at it
        assert runtime.port > 0
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", runtime.port))
        assert runtime.template.parameters["RatingLinkBase"] == f"http://127.0.0.1:{runtime.port}"
        assert runtime.base_url == f"http://127.0.0.1:{runtime.port}"
    finally:
        runtime.stop()
    # And a runtime that never served gives the port back when stopped
    with socket.socket() as other:
        other.bind(("127.0.0.1", runtime.port))


def test_a_runtime_on_a_given_port_keeps_it(environment_kept: None) -> None:
    # Given a runtime on the port `make run` uses / Then its links name that port
    runtime = LocalRuntime(host="127.0.0.1", port=3000)
    assert runtime.template.parameters["RatingLinkBase"] == "http://127.0.0.1:3000"
