"""The semantic view on the discovery sets: the engine with and without e5 vectors, beside
plain k-means (true k) on the vectors alone.

Embedding the sets takes minutes on two cores, so their vectors are kept in
``~/.cache/consult-eval/`` (``CONSULT_EVAL_CACHE``), keyed by a hash of the model and the
texts: an evaluation convenience only, never read by the engine or the app.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import datasets, semantic
from .metrics import cluster_scores

CACHE_ENV = "CONSULT_EVAL_CACHE"


def cache_dir() -> Path:
    """Return the folder of cached evaluation vectors."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "consult-eval"


def _hashes(texts: list[str]) -> np.ndarray:
    return np.array(
        [hashlib.sha1(f"{semantic.MODEL}\0{t}".encode()).digest() for t in texts], dtype="S20"
    )


def _stored() -> dict[bytes, np.ndarray]:
    known: dict[bytes, np.ndarray] = {}
    for path in sorted(cache_dir().glob("*.npz")):
        with np.load(path) as stored:
            known.update(zip(stored["hashes"].tolist(), stored["vectors"], strict=True))
    return known


def cached_vectors(texts: list[str]) -> np.ndarray:
    """Return the texts' vectors (the model's, not centred), embedding only the texts that
    no earlier evaluation embedded."""
    hashes = _hashes(texts)
    known = _stored()
    missing = sorted({i for i, h in enumerate(hashes.tolist()) if h not in known})
    if missing:
        # Each distinct text once, in a file of its own (named by the hash of its texts).
        first = {hashes[i]: i for i in missing}
        rows = sorted(first.values())
        vectors = semantic.embed([texts[i] for i in rows])
        name = hashlib.sha1(b"".join(hashes[rows].tolist())).hexdigest()[:24]
        path = cache_dir() / f"{name}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part.npz")
        np.savez(partial, hashes=hashes[rows], vectors=vectors)
        partial.replace(path)
        known.update(zip(hashes[rows].tolist(), vectors, strict=True))
    return np.vstack([known[h] for h in hashes.tolist()]).astype(np.float32)


# -- the measurements -------------------------------------------------------------------------

SEEDS = (0, 1, 2)
KMEANS_STARTS = 10
SIB_DEV_TARGET = 0.30  # V-measure of the engine with the view on SIB-200 Swedish dev


@dataclass
class SemanticResult:
    """Mean scores over seeds on one set: the engine with the view off and on (true k and
    automatic k), and plain k-means with the true k on the e5 vectors alone."""

    name: str
    n: int
    k: int
    off: dict[str, float]
    on: dict[str, float]
    on_auto: dict[str, float]
    chosen_k: list[int]
    kmeans: dict[str, float]
    language: dict[str, float] = field(default_factory=dict)  # mixed set: V-measure vs language


def semantic_sets() -> list[tuple[str, Callable[[], tuple[list[str], list[str], list[str]]]]]:
    """Return (name, loader) of the sets; a loader gives texts, topics and languages."""

    def one(load):
        def loader():
            data = load()
            return data.texts, data.labels, [data.language] * len(data.texts)

        return loader

    def mixed():
        sv, en = datasets.sib200("swe", "all"), datasets.sib200("eng", "all")
        return sv.texts + en.texts, sv.labels + en.labels, ["sv"] * len(sv) + ["en"] * len(en)

    return [
        ("superlim-argumentation (sv)", one(lambda: datasets.argumentation("all"))),
        ("superlim-swefaq dev (sv)", one(datasets.swefaq)),
        ("sib200 swe train+dev (sv)", one(lambda: datasets.sib200("swe", "all"))),
        ("sib200 swe dev (sv)", one(lambda: datasets.sib200("swe", "dev"))),
        ("sib200 eng train+dev (en)", one(lambda: datasets.sib200("eng", "all"))),
        ("sib200 swe+eng mixed", mixed),
    ]


def _mean(scores: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([s[key] for s in scores])) for key in scores[0]}


def plain_kmeans(vectors: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Return k-means (``KMEANS_STARTS`` starts) of the vectors as they come from the model."""
    from sklearn.cluster import KMeans

    return KMeans(k, n_init=KMEANS_STARTS, random_state=seed).fit_predict(vectors)


def evaluate_set(name, texts, gold, languages, seeds=SEEDS, auto_seeds=SEEDS[:1]):
    """Measure one set (see ``SemanticResult``)."""
    import nlp

    vectors = cached_vectors(texts)
    k = len(set(gold))
    off, on, on_auto, chosen, plain, by_language = [], [], [], [], [], []
    for seed in seeds:
        off.append(cluster_scores(gold, nlp.discover_themes(texts, k, seed).assignments))
        model = nlp.discover_themes(texts, k, seed, vectors=vectors)
        on.append(cluster_scores(gold, model.assignments))
        by_language.append(cluster_scores(languages, model.assignments))
        plain.append(cluster_scores(gold, plain_kmeans(vectors, k, seed)))
    for seed in auto_seeds:
        model = nlp.discover_themes(texts, seed=seed, vectors=vectors)
        on_auto.append(cluster_scores(gold, model.assignments))
        chosen.append(len(model.themes))
    return SemanticResult(
        name,
        len(texts),
        k,
        _mean(off),
        _mean(on),
        _mean(on_auto),
        chosen,
        _mean(plain),
        _mean(by_language) if len(set(languages)) > 1 else {},
    )
