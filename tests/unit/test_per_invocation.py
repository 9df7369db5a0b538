"""PerInvocation: a stream consumer's reads of one batch (minyi.services.per_invocation)."""

from __future__ import annotations

from typing import Any

import pytest

from minyi.observability import serving_invocation
from minyi.services.per_invocation import PerInvocation


class Loads:
    def __init__(self) -> None:
        self.keys: list[str] = []
        self.fail: set[str] = set()

    def __call__(self, key: str) -> str:
        self.keys.append(key)
        if key in self.fail:
            raise RuntimeError(key)
        return key.upper()


def in_one_invocation(body: Any) -> Any:
    return serving_invocation(lambda _event, _context: body(), None, None)


def test_each_key_loads_once_within_an_invocation_and_again_in_the_next() -> None:
    # Given a memo of loads
    loads = Loads()
    memo = PerInvocation(loads)
    # When one invocation asks for a key twice and another key once, and the next invocation asks again
    first = in_one_invocation(lambda: [memo("a"), memo("a"), memo("b")])
    second = in_one_invocation(lambda: memo("a"))
    # Then each key loaded once per invocation
    assert first == ["A", "A", "B"] and second == "A"
    assert loads.keys == ["a", "b", "a"]


def test_outside_an_invocation_every_lookup_loads() -> None:
    loads = Loads()
    memo = PerInvocation(loads)
    assert [memo("a"), memo("a")] == ["A", "A"]
    assert loads.keys == ["a", "a"]


def test_a_load_that_raises_is_not_kept() -> None:
    # Given a load that fails once
    loads = Loads()
    loads.fail.add("a")
    memo = PerInvocation(loads)

    def twice() -> str:
        with pytest.raises(RuntimeError):
            memo("a")
        loads.fail.clear()
        return memo("a")

    # When the same invocation asks again, Then it loads again
    assert in_one_invocation(twice) == "A" and loads.keys == ["a", "a"]
