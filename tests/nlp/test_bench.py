"""Tests of nlp.bench's target lines (no corpus is built)."""

from __future__ import annotations

from nlp.bench import targets


def _run(seconds: float, peak_mb: float) -> dict:
    return {"seconds": seconds, "peak_mb": peak_mb}


def test_each_target_line_once_when_100k_is_not_run():
    # As after `python -m nlp.bench --sizes 1000000 --steps discover`.
    lines = targets({1_000_000: {"discover": _run(300.0, 3_000)}})
    assert lines[0] == "Targets (issue 3):"
    body = lines[1:]
    assert len(body) == len(set(body)) == 2
    assert body[0].startswith("  - 100,000 discovered") and "not run" in body[0]
    assert body[1].startswith("  - 1,000,000 discovered") and body[1].endswith("— met")


def test_each_target_line_once_with_every_step_and_size():
    one = {"seconds": 1.0, "peak_mb": 100, "one_ms": 1.0}
    results = {
        n: {
            "discover": _run(50.0, 1_000),
            "baseline": _run(60.0, 1_000),
            "assign": one,
            "tag": one,
        }
        for n in (10_000, 100_000, 1_000_000)
    }
    body = targets(results)[1:]
    assert len(body) == len(set(body))
    assert sum("discovered in <" in line for line in body) == 2
    assert sum("no slower than baseline" in line for line in body) == 3
    assert sum("of one comment" in line for line in body) == 6
