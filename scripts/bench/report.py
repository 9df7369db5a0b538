"""Output of the benchmark: plain-text tables, number formats, progress lines, and the verdict table
of issue 8's four targets (measured value, target, pass/fail) that heads the report."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

_T0 = time.perf_counter()


def elapsed() -> float:
    """Seconds since the benchmark started."""
    return time.perf_counter() - _T0


def log(message: str) -> None:
    """Progress, on the real stderr (stdout carries the report)."""
    print(f"[bench {elapsed():5.0f}s] {message}", file=sys.__stderr__, flush=True)


class BenchError(RuntimeError):
    """The product did not behave as a step expects (reported in the output, not raised out)."""


def render_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))]
        return "  ".join(parts).rstrip()

    rule = "-" * len(line(cells[0]))
    return "\n".join([title, rule, line(cells[0]), rule, *(line(r) for r in cells[1:]), rule])


def notes(*lines: str) -> str:
    return "\n".join(f"   {line}" for line in lines)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def usd(value: float) -> str:
    return f"${value:.4f}"


def num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


@dataclass(frozen=True)
class Target:
    """One line of the verdict: what was measured against what issue 8 asks for."""

    name: str
    measured: float | None  # None: could not be measured in this run
    target: float
    unit: str
    at_most: bool = True  # the measured value must be <= target (else >=)
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.measured is None:
            return None
        return self.measured <= self.target if self.at_most else self.measured >= self.target

    def cells(self) -> list[object]:
        fmt = "{:.2f}" if self.unit == "USD" else "{:.0f}" if self.unit in {"ms", "transitions"} else "{:.1f}"
        measured = "-" if self.measured is None else fmt.format(self.measured)
        verdict = {True: "PASS", False: "FAIL", None: "not measured"}[self.passed]
        bound = "<=" if self.at_most else ">="
        return [self.name, f"{measured} {self.unit}", f"{bound} {fmt.format(self.target)} {self.unit}", verdict]


def targets_table(targets: Sequence[Target]) -> str:
    rows = [t.cells() for t in targets]
    table = render_table("Issue 8 targets", ["target", "measured", "target", "verdict"], rows)
    footnotes = [f"{t.name}: {t.note}" for t in targets if t.note]
    footnotes.append("make test prints its own duration at the end of its run.")
    return table + "\n" + notes(*footnotes)
