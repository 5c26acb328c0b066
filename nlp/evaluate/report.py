"""The results table and the targets block that ``python -m nlp.evaluate`` prints."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

DEV_NOTE = "dev = the dev sentences that are not also in train"


@dataclass
class Row:
    """One line of the results table."""

    section: str
    dataset: str
    n: str
    metric: str
    baseline: str
    engine: str
    change: str = ""
    note: str = ""


@dataclass
class Target:
    """One target of the issue, with the measured value and whether it is met."""

    text: str
    measured: str
    met: bool | None  # None: not measured


COLUMNS = ("section", "set", "n", "metric", "baseline", "engine", "Δ vs baseline", "note")


def format_table(rows: Sequence[Row]) -> str:
    """Return ``rows`` as an aligned plain-text table with a header."""
    cells = [list(COLUMNS)] + [
        [r.section, r.dataset, r.n, r.metric, r.baseline, r.engine, r.change, r.note] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def relative(value: float, reference: float) -> float:
    """Return the relative change of ``value`` against ``reference`` (0.1 = +10%)."""
    if reference == 0:
        return math.inf if value > 0 else 0.0
    return (value - reference) / abs(reference)


def percent(change: float) -> str:
    """Return a relative change as a signed percentage."""
    return "n/a" if math.isinf(change) else f"{change * 100:+.1f}%"


def progress(message: str) -> None:
    """Print one line of progress on stderr."""
    print(f"[evaluate] {message}", file=sys.stderr, flush=True)


def skipped(section: str, dataset: str, why: str) -> Row:
    """Return the row of a section or set that was not measured, and why."""
    return Row(section, dataset, "", "", "", "", "", f"skipped: {why}")


def format_targets(targets: Sequence[Target]) -> str:
    """Return the targets block: one line per target with its measured value and verdict."""
    lines = ["Targets (issue 3):"]
    for t in targets:
        verdict = "not measured" if t.met is None else ("met" if t.met else "NOT MET")
        lines.append(f"  - {t.text}: {t.measured} — {verdict}")
    return "\n".join(lines)
