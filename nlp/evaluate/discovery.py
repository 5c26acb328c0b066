"""Discovery: the baseline's clusters and ``discover_themes`` against the gold labels."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .. import datasets
from .baseline import baseline_clusters
from .metrics import cluster_scores
from .names import NameScores, name_scores
from .report import Row, Target, percent, progress, relative

SEEDS = (0, 1, 2, 3, 4)
# The engine's discovery is the slow part (the automatic k most); --engine-seeds and
# --auto-seeds lower its seeds when the evaluation must be quicker.
ENGINE_SEEDS = 5
AUTO_SEEDS = 5
# Reference figures of SOURCES.md (V-measure, ARI) for the same baseline, for comparison.
REFERENCE = {
    "superlim-argumentation (sv)": (0.717, 0.556),
    "sib200 swe train+dev (sv)": (0.114, 0.080),
}
DISCOVERY_GAIN = 0.10  # V-measure and ARI at least 10% above the baseline (Swedish sets)
AUTO_WITHIN = 0.10  # automatic k within 10% of the engine's own true-k score


@dataclass
class DiscoveryResult:
    """Mean scores of the baseline and of the engine with the true and the automatic k."""

    name: str
    swedish: bool
    n: int
    k: int
    baseline: dict[str, float]
    true_k: dict[str, float]
    auto_k: dict[str, float]
    chosen_k: list[int]
    outliers: float
    auto_outliers: float
    names: list[tuple[str, NameScores]] = field(default_factory=list)  # ("true k"/"auto k", …)


def _mean(scores: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}


def discovery_sets() -> list[tuple[str, bool, Callable[[], datasets.LabelledSet]]]:
    """Return the discovery sets: (name, Swedish?, loader)."""
    return [
        ("superlim-argumentation (sv)", True, lambda: datasets.argumentation("all")),
        ("superlim-swefaq dev (sv)", True, datasets.swefaq),
        ("sib200 swe train+dev (sv)", True, lambda: datasets.sib200("swe", "all")),
        ("sib200 eng train+dev (en, extra)", False, lambda: datasets.sib200("eng", "all")),
    ]


def evaluate_discovery(
    seeds: Sequence[int], engine_seeds: Sequence[int], auto_seeds: Sequence[int]
) -> list[DiscoveryResult]:
    """Run the baseline and the engine on every discovery set."""
    import nlp

    results = []
    for name, swedish, load in discovery_sets():
        try:
            data = load()
        except FileNotFoundError:
            progress(f"discovery {name}: data not found, skipped")
            continue
        k = len(set(data.labels))
        started = time.perf_counter()
        baseline = _mean(
            [cluster_scores(data.labels, c) for c in baseline_clusters(data.texts, k, seeds)]
        )
        true_scores, auto_scores, chosen, outliers, auto_outliers, names = [], [], [], [], [], []
        for seed in engine_seeds:
            model = nlp.discover_themes(data.texts, n_themes=k, seed=seed)
            true_scores.append(cluster_scores(data.labels, model.assignments))
            outliers.append(np.mean(np.asarray(model.assignments) < 0))
            names.append(("true k", name_scores(data.texts, data.labels, model)))
        for seed in auto_seeds:
            model = nlp.discover_themes(data.texts, seed=seed)
            auto_scores.append(cluster_scores(data.labels, model.assignments))
            chosen.append(len(model.themes))
            auto_outliers.append(np.mean(np.asarray(model.assignments) < 0))
            names.append(("auto k", name_scores(data.texts, data.labels, model)))
        results.append(
            DiscoveryResult(
                name,
                swedish,
                len(data.texts),
                k,
                baseline,
                _mean(true_scores),
                _mean(auto_scores),
                chosen,
                float(np.mean(outliers)),
                float(np.mean(auto_outliers)),
                names,
            )
        )
        progress(f"discovery {name}: {time.perf_counter() - started:.0f} s")
    return results


def _chosen(ks: list[int]) -> str:
    if len(set(ks)) == 1:
        return f"k={ks[0]}"
    return f"k={min(ks)}–{max(ks)} ({','.join(map(str, ks))})"


def discovery_rows(results: list[DiscoveryResult]) -> list[Row]:
    """Return the table rows of the discovery results."""
    rows = []
    for r in results:
        for metric in ("V-measure", "ARI", "AMI"):
            base = r.baseline[metric]
            rows.append(
                Row(
                    "discovery",
                    r.name,
                    str(r.n),
                    f"{metric}, true k={r.k}",
                    f"{base:.3f}",
                    f"{r.true_k[metric]:.3f}",
                    percent(relative(r.true_k[metric], base)),
                    _true_k_note(r, metric),
                )
            )
        for metric in ("V-measure", "ARI", "AMI"):
            value = r.auto_k[metric]
            note = f"vs own true k: {percent(relative(value, r.true_k[metric]))}"
            if metric == "V-measure":
                note += f"; {_chosen(r.chosen_k)}; outliers {r.auto_outliers:.1%}"
            rows.append(
                Row(
                    "discovery",
                    r.name,
                    str(r.n),
                    f"{metric}, auto k",
                    f"{r.baseline[metric]:.3f}",
                    f"{value:.3f}",
                    percent(relative(value, r.baseline[metric])),
                    note,
                )
            )
    return rows


def _true_k_note(r: DiscoveryResult, metric: str) -> str:
    notes = [f"outliers {r.outliers:.1%}"] if metric == "V-measure" else []
    if r.name in REFERENCE and metric in ("V-measure", "ARI"):
        reference = REFERENCE[r.name][0 if metric == "V-measure" else 1]
        notes.append(f"SOURCES.md baseline {reference:.3f}")
    return "; ".join(notes)


def discovery_targets(results: list[DiscoveryResult]) -> list[Target]:
    """Return the discovery targets of the issue, measured."""
    targets = []
    for r in (r for r in results if r.swedish):
        for metric in ("V-measure", "ARI"):
            change = relative(r.true_k[metric], r.baseline[metric])
            targets.append(
                Target(
                    f"discovery {metric} ≥ +10% vs baseline on {r.name}, true k",
                    f"{r.true_k[metric]:.3f} vs {r.baseline[metric]:.3f}: {percent(change)}",
                    change >= DISCOVERY_GAIN,
                )
            )
    for r in (r for r in results if r.swedish):
        for metric in ("V-measure", "ARI"):
            change = relative(r.auto_k[metric], r.true_k[metric])
            targets.append(
                Target(
                    f"discovery {metric}, auto k within 10% of true k on {r.name}",
                    f"{r.auto_k[metric]:.3f} vs {r.true_k[metric]:.3f}: {percent(change)} "
                    f"({_chosen(r.chosen_k)})",
                    change >= -AUTO_WITHIN,
                )
            )
    return targets
