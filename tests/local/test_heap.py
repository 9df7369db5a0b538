"""The runtime's collector policy (infra/local/heap.py), in a process of its own: it is process-wide."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import gc, weakref
    from infra.local.heap import freeze_long_lived_objects

    class Node:
        pass

    state = [Node() for _ in range(1000)]  # the emulator's state at start
    freeze_long_lived_objects()
    freeze_long_lived_objects()  # idempotent: one callback
    frozen_at_start = gc.get_freeze_count()
    assert frozen_at_start > 1000, frozen_at_start

    more_state = [Node() for _ in range(1000)]  # what later requests left behind
    gc.collect()  # a full collection: survivors are frozen too
    assert gc.get_freeze_count() >= frozen_at_start + 1000, (frozen_at_start, gc.get_freeze_count())

    a, b = Node(), Node()  # a request's garbage: a reference cycle created after the freeze
    a.other, b.other = b, a
    probe = weakref.ref(a)
    del a, b
    gc.collect(1)  # a young collection still collects it
    assert probe() is None
    print(sum(cb.__name__ == "_freeze_after_full_collection" for cb in gc.callbacks))
    """
)


def test_a_full_collection_freezes_its_survivors_and_young_garbage_is_still_collected() -> None:
    # Given a process with the runtime's policy, When state accumulates and collections run
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    # Then survivors of each full collection are frozen, young cycles are collected, and one callback is installed
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
