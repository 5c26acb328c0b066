"""Tagging from descriptions: ArgKP key points as the descriptions, beside random assignment."""

from __future__ import annotations

import time

import numpy as np

from .. import datasets
from .engine import optional
from .metrics import f1_with_intervals, with_interval
from .report import Row, Target, percent, progress, relative, skipped

RANDOM_SEED = 0
BY_FAR = 2.0  # "beats random by far": at least this many times random's score


def evaluate_descriptions() -> tuple[list[Target], list[Row]]:
    """Score ArgKP arguments against their topic's key points, beside random assignment."""
    found = optional("tagging", "ThemeTagger")
    if found is None:
        return (
            [Target("tagging from descriptions beats random by far", "not measured", None)],
            [skipped("tag (descriptions)", "argkp", "module not available")],
        )
    (ThemeTagger,) = found
    rows, targets = [], []
    try:
        topics = datasets.argkp()
    except FileNotFoundError:
        topics = []
    if topics:
        started = time.perf_counter()
        rng = np.random.default_rng(RANDOM_SEED)
        gold, engine, random = [], [], []
        for topic in topics:
            by_text: dict[str, set[str]] = {}
            for kp_id, text in topic.key_points.items():
                by_text.setdefault(text, set()).add(kp_id)
            tagger = ThemeTagger.from_descriptions({text: text for text in by_text})
            for labels in tagger.predict(topic.arguments):
                engine.append(
                    frozenset().union(*(by_text[x] for x in labels)) if labels else frozenset()
                )
            ids = sorted(topic.key_points)
            random += [frozenset([ids[i]]) for i in rng.integers(0, len(ids), len(topic.arguments))]
            gold += topic.gold
        matched = [i for i, g in enumerate(gold) if g]
        for label, keep, note in (
            (
                "all labelled arguments",
                range(len(gold)),
                f"{len(topics)} topics; key points of the topic are the descriptions; "
                "gold = key points labelled 1 (none for some)",
            ),
            ("arguments with ≥1 matching key point", matched, "same, without empty gold"),
        ):
            g = [gold[i] for i in keep]
            e = f1_with_intervals(g, [engine[i] for i in keep])["sample-F1"]
            r = f1_with_intervals(g, [random[i] for i in keep])["sample-F1"]
            rows.append(
                Row(
                    "tag (descriptions)",
                    f"argkp train (en), {label}",
                    str(len(g)),
                    "sample-F1",
                    f"{with_interval(r)} random",
                    with_interval(e),
                    percent(relative(e[0], r[0])),
                    note,
                )
            )
            if label.startswith("all"):
                targets.append(
                    Target(
                        "tagging from descriptions (ArgKP) beats random by far (≥2× random)",
                        f"sample-F1 {e[0]:.3f} vs random {r[0]:.3f} "
                        f"({e[0] / max(r[0], 1e-9):.1f}×)",
                        e[0] >= BY_FAR * r[0],
                    )
                )
        progress(f"descriptions argkp: {time.perf_counter() - started:.0f} s")
    try:
        parts = datasets.themefinder()
    except FileNotFoundError:
        parts = []
    if parts:  # extra: the consultation-like set, with its own theme descriptions
        rng = np.random.default_rng(RANDOM_SEED)
        gold, engine, random = [], [], []
        for part in parts:
            tagger = ThemeTagger.from_descriptions(part.themes)
            engine += [frozenset(p) for p in tagger.predict(part.texts)]
            ids = sorted(part.themes)
            random += [frozenset([ids[i]]) for i in rng.integers(0, len(ids), len(part.texts))]
            gold += [frozenset(s) for s in part.label_sets]
        # Theme ids repeat across parts (A, B, …) but each part is scored only on its own.
        e = f1_with_intervals(gold, engine)["sample-F1"]
        r = f1_with_intervals(gold, random)["sample-F1"]
        rows.append(
            Row(
                "tag (descriptions)",
                "themefinder-gambling-xs (en, extra)",
                str(len(gold)),
                "sample-F1",
                f"{with_interval(r)} random",
                with_interval(e),
                percent(relative(e[0], r[0])),
                "themes.json label: description as descriptions",
            )
        )
    return targets, rows
