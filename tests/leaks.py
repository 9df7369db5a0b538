"""One walker for every public answer: does any key or value of it carry what only the case's owner,
staff or the platform may know (issue 20)?

A public answer is walked recursively, every key and every value. Text is compared as written and,
for phone numbers, by its digits alone (so `138 1234 5678` or `+86-138-1234-5678` count too); exact
coordinates are found as numbers and inside text. The answer to a test is the list of places where
something leaked, so a failure names them all (`[]` when nothing did).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class Private:
    """What must not show: keys (by name), texts by what they are (`description`, `case_id`; as
    substrings), phone numbers (by their digits) and exact coordinates (as numbers, or their decimal
    text inside a string)."""

    keys: frozenset[str] = frozenset()
    texts: dict[str, str] = field(default_factory=dict)
    phones: tuple[str, ...] = ()
    numbers: tuple[float, ...] = ()

    def without(self, *allowed: str) -> Private:
        """The same, minus the keys and named texts a route may show (the owner's own description)."""
        return Private(
            keys=self.keys - set(allowed),
            texts={name: text for name, text in self.texts.items() if name not in allowed},
            phones=self.phones,
            numbers=self.numbers,
        )


def private_of(
    *,
    keys: Iterable[str],
    texts: dict[str, str | None],
    phones: Iterable[str] = (),
    numbers: Iterable[float] = (),
) -> Private:
    """Empty or absent texts are left out; phones are compared by their last 11 digits."""
    return Private(
        keys=frozenset(keys),
        texts={name: text for name, text in texts.items() if text},
        phones=tuple(_NOT_DIGITS.sub("", p)[-11:] for p in phones),
        numbers=tuple(numbers),
    )


def leaks(answer: Any, private: Private, path: str = "$") -> list[str]:
    """Every place in `answer` where a private key or value shows, as `path: what`."""
    found: list[str] = []
    if isinstance(answer, dict):
        for key, value in answer.items():
            here = f"{path}.{key}"
            if str(key) in private.keys:
                found.append(f"{here}: the key {key!r}")
            found += _scalar_leaks(str(key), private, f"{path}[key]")
            found += leaks(value, private, here)
    elif isinstance(answer, list | tuple):
        for index, value in enumerate(answer):
            found += leaks(value, private, f"{path}[{index}]")
    else:
        found += _scalar_leaks(answer, private, path)
    return found


def _scalar_leaks(value: Any, private: Private, path: str) -> list[str]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [f"{path}: the coordinate {value}" for n in private.numbers if float(value) == n]
    text = str(value)
    found = [f"{path}: {name} {secret!r}" for name, secret in private.texts.items() if secret in text]
    digits = _NOT_DIGITS.sub("", text)
    found += [f"{path}: the phone number" for phone in private.phones if phone and phone in digits]
    found += [f"{path}: the coordinate {n}" for n in private.numbers if repr(n) in text]
    return found
