"""Stance: the lexicon ``stance`` and ``StanceModel`` beside a logistic regression."""

from __future__ import annotations

import time

from .. import datasets
from .baseline import baseline_classifier
from .engine import optional
from .metrics import as_sets, f1_with_intervals, with_interval
from .report import DEV_NOTE, Row, percent, progress, relative, skipped

STANCE_LABELS = ("support", "oppose", "neutral")


def evaluate_stance() -> list[Row]:
    """Macro-F1 of the lexicon and of StanceModel on SuperLim argumentation dev."""
    try:
        train = datasets.argumentation("train", label="stance")
        dev = datasets.argumentation("dev", label="stance")
    except FileNotFoundError:
        return [skipped("stance", "superlim-argumentation", "data not found")]
    started = time.perf_counter()
    gold = as_sets(dev.labels)
    base = f1_with_intervals(
        gold, as_sets(baseline_classifier(train.texts, train.labels, dev.texts)), STANCE_LABELS
    )["macro-F1"]
    rows = []
    name = "superlim-argumentation dev (sv)"
    size = f"{len(train)}/{len(dev)}"
    note = f"pro/con/non → support/oppose/neutral; 'change' counts as wrong; {DEV_NOTE}"
    found = optional("stance", "stance")
    if found is None:
        rows.append(skipped("stance", name, "module not available (lexicon)"))
    else:
        predicted = found[0](dev.texts)
        value = f1_with_intervals(gold, as_sets(predicted), STANCE_LABELS)["macro-F1"]
        changes = sum(p == "change" for p in predicted) / len(predicted)
        rows.append(
            Row(
                "stance",
                name,
                f"–/{len(dev)}",
                "macro-F1, lexicon stance()",
                with_interval(base),
                with_interval(value),
                percent(relative(value[0], base[0])),
                f"{note}; baseline trained on train; predicted 'change' {changes:.0%}",
            )
        )
    found = optional("stance", "StanceModel")
    if found is None:
        rows.append(skipped("stance", name, "module not available (StanceModel)"))
    else:
        readings = found[0].fit(train.texts, train.labels).read(dev.texts)
        predicted = [label for label, _ in readings]
        value = f1_with_intervals(gold, as_sets(predicted), STANCE_LABELS)["macro-F1"]
        rows.append(
            Row(
                "stance",
                name,
                size,
                "macro-F1, StanceModel",
                with_interval(base),
                with_interval(value),
                percent(relative(value[0], base[0])),
                "train → dev; baseline: LR on char_wb TF-IDF; " + per_class(dev.labels, predicted),
            )
        )
        rows.append(shown_row(name, size, dev.labels, readings))
    progress(f"stance: {time.perf_counter() - started:.0f} s")
    return rows


def per_class(gold: list[str], predicted: list[str]) -> str:
    """Return per-class F1 and the confusion matrix (rows gold, columns predicted) as text."""
    parts, matrix = [], []
    for label in STANCE_LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
        parts.append(f"{label} {2 * tp / max(2 * tp + fp + fn, 1):.2f}")
        row = [
            sum(g == label and p == q for g, p in zip(gold, predicted, strict=True))
            for q in STANCE_LABELS
        ]
        matrix.append("/".join(map(str, row)))
    return f"F1 {', '.join(parts)}; confusion (gold rows, {'/'.join(STANCE_LABELS)}) " + " | ".join(
        matrix
    )


def shown_row(name: str, size: str, gold: list[str], readings) -> Row:
    """Precision and coverage of the readings the app shows (probability >= CONFIDENT)."""
    from ..stance import CONFIDENT

    shown = [(g, label) for g, (label, p) in zip(gold, readings, strict=True) if p >= CONFIDENT]
    right = sum(g == label for g, label in shown)
    precision = right / len(shown) if shown else 0.0
    every = sum(g == label for g, (label, _) in zip(gold, readings, strict=True)) / len(gold)
    return Row(
        "stance",
        name,
        size,
        f"precision of shown readings (p ≥ {CONFIDENT})",
        f"{every:.3f} (all readings)",
        f"{precision:.3f}",
        "",
        f"coverage {len(shown) / len(gold):.0%} ({len(shown)} of {len(gold)} shown)",
    )
