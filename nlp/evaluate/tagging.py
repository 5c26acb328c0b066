"""Tagging from examples: ``ThemeTagger.fit`` beside a one-vs-rest logistic regression."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .. import datasets
from .baseline import baseline_tagger
from .engine import optional
from .metrics import as_sets, f1_with_intervals, with_interval
from .report import DEV_NOTE, Row, Target, percent, progress, relative, skipped

CV_FOLDS = 5
CV_SEED = 0


@dataclass
class TaggingResult:
    """Sample- and macro-F1 (with intervals) of the baseline and the engine on one set."""

    name: str
    n_train: int
    n_test: int
    baseline: dict[str, tuple[float, float, float]]
    engine: dict[str, tuple[float, float, float]]
    note: str


def tagging_tasks():
    """Yield (name, train texts, train sets, test texts, test sets, note) or a cross-validation."""
    for lang in ("swe", "eng"):
        try:
            train, dev = datasets.sib200(lang, "train"), datasets.sib200(lang, "dev")
        except FileNotFoundError:
            continue
        yield (
            f"sib200 {lang} (train → dev)",
            train.texts,
            as_sets(train.labels),
            dev.texts,
            as_sets(dev.labels),
            "single label",
        )
    try:
        train, dev = datasets.argumentation("train"), datasets.argumentation("dev")
        yield (
            "superlim-argumentation topic (train → dev)",
            train.texts,
            as_sets(train.labels),
            dev.texts,
            as_sets(dev.labels),
            f"single label; {DEV_NOTE}",
        )
    except FileNotFoundError:
        pass


def _themefinder_folds():
    """Return pooled out-of-fold splits of the ThemeFinder parts (5-fold within each part)."""
    from sklearn.model_selection import KFold

    parts = datasets.themefinder()
    folds = []
    for part in parts:
        sets = [frozenset(f"{part.name}:{x}" for x in s) for s in part.label_sets]
        splitter = KFold(CV_FOLDS, shuffle=True, random_state=CV_SEED)
        for train, test in splitter.split(part.texts):
            folds.append(
                (
                    [part.texts[i] for i in train],
                    [sets[i] for i in train],
                    [part.texts[i] for i in test],
                    [sets[i] for i in test],
                )
            )
    return parts, folds


def evaluate_tagging() -> tuple[list[TaggingResult], list[Row]]:
    """Run ThemeTagger.fit and the baseline on every tagging set."""
    found = optional("tagging", "ThemeTagger")
    rows: list[Row] = []
    if found is None:
        return [], [skipped("tag (examples)", "all sets", "module not available")]
    (ThemeTagger,) = found
    results = []
    for name, tr_x, tr_y, te_x, te_y, note in tagging_tasks():
        started = time.perf_counter()
        engine = ThemeTagger.fit(tr_x, [set(s) for s in tr_y]).predict(te_x)
        base = baseline_tagger(tr_x, tr_y, te_x)
        results.append(
            TaggingResult(
                name,
                len(tr_x),
                len(te_x),
                f1_with_intervals(te_y, base),
                f1_with_intervals(te_y, engine),
                note,
            )
        )
        progress(f"tagging {name}: {time.perf_counter() - started:.0f} s")
    try:
        parts, folds = _themefinder_folds()
    except FileNotFoundError:
        parts, folds = [], []
    if folds:
        started = time.perf_counter()
        gold, engine, base = [], [], []
        for tr_x, tr_y, te_x, te_y in folds:
            gold += te_y
            engine += ThemeTagger.fit(tr_x, [set(s) for s in tr_y]).predict(te_x)
            base += baseline_tagger(tr_x, tr_y, te_x)
        n = sum(len(p.texts) for p in parts)
        results.append(
            TaggingResult(
                "themefinder-gambling-xs (en, multi-label)",
                n * (CV_FOLDS - 1) // CV_FOLDS,
                n,
                f1_with_intervals(gold, base),
                f1_with_intervals(gold, engine),
                f"no split: {CV_FOLDS}-fold CV within each of {len(parts)} question parts, "
                "out-of-fold predictions pooled",
            )
        )
        progress(f"tagging themefinder: {time.perf_counter() - started:.0f} s")
    for r in results:
        for metric in ("sample-F1", "macro-F1"):
            rows.append(
                Row(
                    "tag (examples)",
                    r.name,
                    f"{r.n_train}/{r.n_test}",
                    metric,
                    with_interval(r.baseline[metric]),
                    with_interval(r.engine[metric]),
                    percent(relative(r.engine[metric][0], r.baseline[metric][0])),
                    r.note if metric == "sample-F1" else "",
                )
            )
    return results, rows


def tagging_targets(results: list[TaggingResult]) -> list[Target]:
    """Return the tagging-from-examples targets, measured."""
    if not results:
        return [Target("tagging from examples: macro-F1 above baseline", "not measured", None)]
    return [
        Target(
            f"tagging macro-F1 above baseline on {r.name}",
            f"{r.engine['macro-F1'][0]:.3f} vs {r.baseline['macro-F1'][0]:.3f}: "
            f"{percent(relative(r.engine['macro-F1'][0], r.baseline['macro-F1'][0]))}",
            r.engine["macro-F1"][0] > r.baseline["macro-F1"][0],
        )
        for r in results
    ]
