"""Scores: multi-label F1 with bootstrap intervals, pairwise duplicate scores, cluster scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BOOTSTRAP = 1_000
BOOTSTRAP_SEED = 20_240_611


def confusion(
    gold: Sequence[frozenset[str]] | Sequence[set[str]],
    pred: Sequence[frozenset[str]] | Sequence[set[str]],
    labels: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Return per-sample, per-label true positives, false positives and false negatives."""
    if len(gold) != len(pred):
        raise ValueError("gold and predictions differ in length")
    if labels is None:
        labels = sorted(set().union(*gold, *pred)) if gold else []
    index = {label: j for j, label in enumerate(labels)}
    shape = (len(gold), len(labels))
    G, P = np.zeros(shape, dtype=bool), np.zeros(shape, dtype=bool)
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        G[i, [index[x] for x in g if x in index]] = True
        P[i, [index[x] for x in p if x in index]] = True
    tp, fp, fn = G & P, ~G & P, G & ~P
    return tp.astype(np.float64), fp.astype(np.float64), fn.astype(np.float64), list(labels)


def sample_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, weights=None) -> float:
    """Return the mean per-sample F1 (1.0 for a sample with nothing gold and nothing predicted)."""
    t, f = tp.sum(axis=1), fp.sum(axis=1) + fn.sum(axis=1)
    per_sample = np.where(2 * t + f > 0, 2 * t / np.maximum(2 * t + f, 1e-12), 1.0)
    if weights is None:
        return float(per_sample.mean())
    return (weights @ per_sample) / weights.sum(axis=1)


def macro_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray, weights=None):
    """Return the mean F1 over labels that occur in the gold or predicted sets."""
    if weights is None:
        weights = np.ones((1, tp.shape[0]))
        single = True
    else:
        single = False
    T, FP, FN = weights @ tp, weights @ fp, weights @ fn
    denominator = 2 * T + FP + FN
    present = denominator > 0
    f1 = np.where(present, 2 * T / np.maximum(denominator, 1e-12), 0.0)
    scores = f1.sum(axis=1) / np.maximum(present.sum(axis=1), 1)
    return float(scores[0]) if single else scores


def bootstrap_weights(n: int, resamples: int = BOOTSTRAP, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """Return (resamples × n) counts of each test item in each bootstrap resample."""
    rng = np.random.default_rng(seed)
    weights = np.zeros((resamples, n))
    for b in range(resamples):
        weights[b] = np.bincount(rng.integers(0, n, n), minlength=n)
    return weights


def f1_with_intervals(gold, pred, labels=None) -> dict[str, tuple[float, float, float]]:
    """Return sample- and macro-F1, each as (value, low, high) of a bootstrap 95% interval."""
    tp, fp, fn, _ = confusion(gold, pred, labels)
    weights = bootstrap_weights(len(gold))
    out = {}
    for name, metric in (("sample-F1", sample_f1), ("macro-F1", macro_f1)):
        values = metric(tp, fp, fn, weights)
        low, high = np.percentile(values, [2.5, 97.5])
        out[name] = (metric(tp, fp, fn), float(low), float(high))
    return out


def with_interval(value: tuple[float, float, float]) -> str:
    """Return "0.812 [0.790, 0.833]"."""
    return f"{value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}]"


def pairwise_scores(predicted: Sequence[Sequence[int]], truth: np.ndarray) -> tuple[float, float]:
    """Return pairwise precision and recall of predicted groups against ``truth`` (-1: none)."""

    def pairs(count: int) -> int:
        return count * (count - 1) // 2

    true_pairs = sum(pairs(int(c)) for c in np.bincount(truth[truth >= 0]))
    predicted_pairs = sum(pairs(len(group)) for group in predicted)
    hits = 0
    for group in predicted:
        ids = truth[np.asarray(group, dtype=int)]
        hits += sum(pairs(int(c)) for c in np.bincount(ids[ids >= 0]))
    precision = hits / predicted_pairs if predicted_pairs else 1.0
    recall = hits / true_pairs if true_pairs else 1.0
    return precision, recall


def cluster_scores(gold: Sequence[str], labels: Sequence[int]) -> dict[str, float]:
    """Return V-measure, ARI and AMI of ``labels`` (-1 counts as one more cluster)."""
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, v_measure_score

    return {
        "V-measure": v_measure_score(gold, labels),
        "ARI": adjusted_rand_score(gold, labels),
        "AMI": adjusted_mutual_info_score(gold, labels),
    }


def as_sets(labels: Sequence[str]) -> list[frozenset[str]]:
    """Return single labels as one-label sets, as the F1 functions take them."""
    return [frozenset([label]) for label in labels]
