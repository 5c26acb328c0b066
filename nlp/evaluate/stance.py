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
        predicted = found[0].fit(train.texts, train.labels).predict(dev.texts)
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
                "train → dev; baseline: LR on char_wb TF-IDF",
            )
        )
    progress(f"stance: {time.perf_counter() - started:.0f} s")
    return rows
