"""Theme discovery: group comments into themes a person can read, and place new ones.

1. Near-identical texts (campaigns, template answers) are found first and take part once,
   so that one campaign of 5,000 copies is one voice in forming themes, not 5,000.
2. The distinct texts become TF-IDF vectors (``features.TextVectoriser``: character n-grams
   that survive Swedish compounds, plus lemmas).
3. Non-negative matrix factorisation splits the vectors into ``k`` parts; each text joins
   the part that explains most of it. ``k`` is given, or chosen by the cosine silhouette of
   the split over a grid of candidates between 2 and a bound that grows with the data.
4. Texts too far from every theme's centre are left out (-1) rather than forced in.
5. Each theme is described by class-based TF-IDF over lemmas (readable words, not n-grams),
   its most typical texts, and the themes closest to it (merge suggestions).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF, MiniBatchNMF
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from . import persist
from .duplicates import duplicate_labels
from .features import TextVectoriser, lemma_text
from .text import normalise, sentences

MAX_THEMES = 70
# A sentence found in at least this many texts, and this share of them, is boilerplate.
BOILERPLATE_MIN_TEXTS = 5
BOILERPLATE_SHARE = 0.02
K_GRID = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 25, 30, 35, 40, 50, 60, 70)
SELECTION_SAMPLE = 2_000  # texts used to choose k
PATIENCE = 3
REFINE_ROUNDS = 20  # candidates in a row without a better silhouette end the search
MINI_BATCH_ABOVE = 20_000  # distinct texts above which NMF runs in mini-batches
# A text whose cosine similarity to its theme's centre is below this fits no theme.
OUTLIER_SIMILARITY = 0.05
CENTROID_TERMS = 4_000  # strongest features kept per theme centre (bounds model size)
KEYWORDS = 8
REPRESENTATIVES = 5
NEIGHBOURS = 3
MERGE_SIMILARITY = 0.5
FORMAT_VERSION = 1


@dataclass
class Theme:
    """One theme: a readable label, its keywords and size, typical texts, nearest themes."""

    label: str
    keywords: list[str]
    size: int  # texts in the theme, copies of a campaign included
    distinct: int  # distinct texts (a campaign counts once)
    representatives: list[int]  # indices of typical texts, most typical first
    neighbours: list[int]  # indices of the closest other themes, closest first
    neighbour_similarity: list[float] = field(default_factory=list)


class ThemeModel:
    """Themes found in a corpus, with one assignment per text (-1: fits no theme)."""

    def __init__(self, assignments, themes, vectoriser, centroids, seed=0):
        self.assignments: list[int] = list(assignments)
        self.themes: list[Theme] = list(themes)
        self.vectoriser: TextVectoriser | None = vectoriser
        self.centroids: sp.csr_matrix | None = centroids
        self.seed = seed

    def assign(self, new_texts: Sequence[str]) -> list[int]:
        """Place ``new_texts`` into the existing themes without re-clustering (-1: none fits)."""
        texts = _checked(new_texts)
        if not texts or self.centroids is None:
            return [-1] * len(texts)
        similarity = (self.vectoriser.transform(texts) @ self.centroids.T).toarray()
        best = similarity.argmax(axis=1)
        fits = similarity[np.arange(len(texts)), best] >= OUTLIER_SIMILARITY
        return np.where(fits, best, -1).tolist()

    def merge_suggestions(
        self, min_similarity: float = MERGE_SIMILARITY
    ) -> list[tuple[int, int, float]]:
        """Return pairs of themes whose centres are this similar, most similar first."""
        pairs = {
            (min(i, j), max(i, j)): s
            for i, theme in enumerate(self.themes)
            for j, s in zip(theme.neighbours, theme.neighbour_similarity, strict=True)
            if s >= min_similarity
        }
        return sorted(((i, j, s) for (i, j), s in pairs.items()), key=lambda p: -p[2])

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` in the safe, versioned format of ``nlp.persist``."""
        arrays = {"assignments": np.asarray(self.assignments, dtype=np.int32)}
        if self.vectoriser is not None:
            arrays.update({f"vectoriser.{k}": v for k, v in self.vectoriser.to_state().items()})
            centroids = self.centroids.tocsr()
            arrays.update(
                {
                    "centroids.data": centroids.data,
                    "centroids.indices": centroids.indices,
                    "centroids.indptr": centroids.indptr,
                    "centroids.shape": np.asarray(centroids.shape),
                }
            )
        meta = {"seed": self.seed, "themes": [theme.__dict__ for theme in self.themes]}
        persist.save(path, "theme-model", FORMAT_VERSION, arrays, meta)

    @classmethod
    def load(cls, path: str | Path) -> ThemeModel:
        """Read a model written by ``save``."""
        arrays, meta = persist.load(path, "theme-model", FORMAT_VERSION)
        state = {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("vectoriser.")}
        vectoriser = TextVectoriser.from_state(state) if state else None
        centroids = None
        if "centroids.data" in arrays:
            centroids = sp.csr_matrix(
                (arrays["centroids.data"], arrays["centroids.indices"], arrays["centroids.indptr"]),
                shape=tuple(arrays["centroids.shape"]),
            )
        themes = [Theme(**theme) for theme in meta["themes"]]
        return cls(arrays["assignments"].tolist(), themes, vectoriser, centroids, meta["seed"])


def _checked(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("expected a sequence of texts, got one str")
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
    return texts


def theme_bound(n_distinct: int) -> int:
    """Return the most themes worth looking for among ``n_distinct`` texts (2..70)."""
    return max(2, min(MAX_THEMES, math.ceil(math.sqrt(n_distinct))))


def discover_themes(texts: Sequence[str], n_themes: int | None = None, seed: int = 0) -> ThemeModel:
    """Find themes in ``texts``; ``n_themes=None`` chooses how many (2 to ``theme_bound``)."""
    texts = _checked(texts)
    if n_themes is not None and (not isinstance(n_themes, int) or n_themes < 1):
        raise ValueError("n_themes must be a positive integer or None")
    n = len(texts)
    if n == 0:
        return ThemeModel([], [], None, None, seed)

    groups = duplicate_labels(texts) if n > 1 else np.full(1, -1)
    canonical = _canonical_index(groups)  # each text -> the first text of its group
    distinct = np.unique(canonical)
    content = strip_boilerplate([texts[i] for i in distinct])
    lemmas = lemma_text(content)
    has_words = np.array(
        [bool(words) or _has_letters(texts[i]) for i, words in zip(distinct, lemmas, strict=True)]
    )
    distinct, lemmas = (
        distinct[has_words],
        [w for w, keep in zip(lemmas, has_words, strict=True) if keep],
    )
    if len(distinct) == 0:
        return ThemeModel([-1] * n, [], None, None, seed)

    content = [c for c, keep in zip(content, has_words, strict=True) if keep]
    vectoriser = TextVectoriser().fit(content, seed, lemmas)
    X = vectoriser.transform(content, lemmas)
    if len(distinct) == 1 or X.nnz == 0:
        labels = np.zeros(len(distinct), dtype=int)
    else:
        k = min(n_themes, len(distinct)) if n_themes else _choose_k(X, seed)
        labels = _factorise(X, k, seed)

    centroids, labels = _centroids(X, labels)
    weights = np.bincount(canonical, minlength=n)[distinct]  # copies per distinct text
    themes, order = _describe(X, labels, centroids, lemmas, distinct, weights)
    relabel = np.full(len(themes) + 1, -1)
    relabel[order] = np.arange(len(order))
    theme_of_distinct = np.where(labels >= 0, relabel[labels], -1)
    per_text = np.full(n, -1)
    lookup = dict(zip(distinct.tolist(), theme_of_distinct.tolist(), strict=True))
    for i, c in enumerate(canonical.tolist()):
        per_text[i] = lookup.get(c, -1)
    return ThemeModel(per_text.tolist(), themes, vectoriser, centroids[order], seed)


def strip_boilerplate(texts: list[str]) -> list[str]:
    """Remove sentences that recur word for word across many texts ("Tack för möjligheten att
    lämna synpunkter."): they say nothing about the theme and would pull unrelated texts
    together. A text made only of such sentences is kept whole."""
    split = [sentences(t) for t in texts]
    counts = Counter(s.lower() for parts in split for s in set(parts))
    floor = max(BOILERPLATE_MIN_TEXTS, BOILERPLATE_SHARE * len(texts))
    common = {s for s, c in counts.items() if c >= floor}
    if not common:
        return texts
    stripped = []
    for text, parts in zip(texts, split, strict=True):
        kept = [p for p in parts if p.lower() not in common]
        stripped.append(" ".join(kept) if kept else text)
    return stripped


def _has_letters(text: str) -> bool:
    return any(c.isalpha() for c in normalise(text))


def _canonical_index(groups: np.ndarray) -> np.ndarray:
    canonical = np.arange(len(groups))
    first: dict[int, int] = {}
    for i, g in enumerate(groups.tolist()):
        if g >= 0:
            canonical[i] = first.setdefault(g, i)
    return canonical


def _nmf(k: int, n_rows: int, seed: int):
    if n_rows > MINI_BATCH_ABOVE:
        return MiniBatchNMF(
            k, init="nndsvda", batch_size=2048, random_state=seed, max_iter=50, tol=1e-3
        )
    return NMF(k, init="nndsvda", random_state=seed, max_iter=300, tol=1e-3)


def _factorise(X: sp.csr_matrix, k: int, seed: int) -> np.ndarray:
    """Split ``X`` into ``k`` non-negative parts; each row joins its strongest part (-1: none)."""
    k = max(1, min(k, X.shape[0], X.shape[1]))
    if k == 1:
        return np.zeros(X.shape[0], dtype=int)
    W = _nmf(k, X.shape[0], seed).fit_transform(X)
    labels = W.argmax(axis=1)
    labels[W.max(axis=1) <= 0] = -1
    return _refine(X, labels, k)


def _refine(X: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    """Polish the split with spherical k-means: move each text to its most similar theme
    centre until nothing moves (measured: +2 to 3 points V-measure over NMF alone)."""
    rows = np.arange(X.shape[0])
    # Each round multiplies the whole corpus by the centres: on large corpora a few rounds
    # take most of the gain and keep the time linear.
    rounds = REFINE_ROUNDS if X.shape[0] <= MINI_BATCH_ABOVE else 3
    for _ in range(rounds):
        kept = labels >= 0
        membership = sp.csr_matrix(
            (np.ones(kept.sum()), (labels[kept], rows[kept])), shape=(k, X.shape[0])
        )
        similarity = (X @ normalize(membership @ X).T).toarray()
        moved = np.where(similarity.max(axis=1) > 0, similarity.argmax(axis=1), -1)
        if np.array_equal(moved, labels):
            break
        labels = moved
    return labels


def _choose_k(X: sp.csr_matrix, seed: int) -> int:
    """Pick the number of themes with the best cosine silhouette on a sample."""
    rows = X.shape[0]
    sample = np.random.default_rng(seed).choice(rows, min(rows, SELECTION_SAMPLE), replace=False)
    Xs = X[np.sort(sample)]
    bound = min(theme_bound(rows), Xs.shape[0] - 1)
    best_k, best_score, worse = 2, -np.inf, 0
    for k in (k for k in K_GRID if k <= bound):
        labels = _factorise(Xs, k, seed)
        kept = labels >= 0
        if len(set(labels[kept].tolist())) < 2:
            continue
        score = silhouette_score(Xs[kept], labels[kept], metric="cosine", random_state=seed)
        if score > best_score:
            best_k, best_score, worse = k, score, 0
        else:
            worse += 1
            if worse == PATIENCE:  # past the peak: larger k only splits real themes
                break
    return best_k


def _centroids(X: sp.csr_matrix, labels: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Return each theme's normalised mean vector (strongest terms kept), and the labels with
    texts far from their theme's centre set to -1 and empty themes dropped."""
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    if k == 0:
        return sp.csr_matrix((0, X.shape[1]), dtype=np.float32), labels
    kept = labels >= 0
    membership = sp.csr_matrix(
        (np.ones(kept.sum(), dtype=np.float32), (labels[kept], np.flatnonzero(kept))),
        shape=(k, X.shape[0]),
    )
    centroids = normalize(membership @ X)
    centroids = _trim(centroids, CENTROID_TERMS)
    similarity = np.asarray((X.multiply(centroids[np.maximum(labels, 0)])).sum(axis=1)).ravel()
    labels = np.where(kept & (similarity >= OUTLIER_SIMILARITY), labels, -1)
    used = np.unique(labels[labels >= 0])
    remap = np.full(k, -1)
    remap[used] = np.arange(len(used))
    return centroids[used], np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)


def _trim(matrix: sp.csr_matrix, keep: int) -> sp.csr_matrix:
    rows = []
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        if row.nnz > keep:
            cut = np.partition(row.data, -keep)[-keep]
            row.data[row.data < cut] = 0
            row.eliminate_zeros()
        rows.append(row)
    return normalize(sp.vstack(rows, format="csr")).astype(np.float32)


def _describe(X, labels, centroids, lemmas, distinct, weights):
    """Return the themes (largest first) and the order mapping old theme ids to new places."""
    k = centroids.shape[0]
    if k == 0:
        return [], np.array([], dtype=int)
    keywords = _class_tfidf_keywords(lemmas, labels, k)
    similarity = np.asarray((X.multiply(centroids[np.maximum(labels, 0)])).sum(axis=1)).ravel()
    between = (centroids @ centroids.T).toarray()
    np.fill_diagonal(between, -1)
    sizes = np.array([weights[labels == t].sum() for t in range(k)])
    order = np.argsort(-sizes, kind="stable")
    place = np.empty(k, dtype=int)
    place[order] = np.arange(k)
    themes = []
    for t in order:
        members = np.flatnonzero(labels == t)
        typical = members[np.argsort(-similarity[members], kind="stable")][:REPRESENTATIVES]
        near = [
            int(j) for j in np.argsort(-between[t], kind="stable")[:NEIGHBOURS] if between[t, j] > 0
        ]
        words = keywords[t]
        themes.append(
            Theme(
                label=", ".join(words[:3]).capitalize() if words else f"Tema {place[t] + 1}",
                keywords=words,
                size=int(sizes[t]),
                distinct=len(members),
                representatives=[int(distinct[i]) for i in typical],
                neighbours=[int(place[j]) for j in near],
                neighbour_similarity=[round(float(between[t, j]), 3) for j in near],
            )
        )
    return themes, order


def _class_tfidf_keywords(lemmas: list[str], labels: np.ndarray, k: int) -> list[list[str]]:
    """Class-based TF-IDF: words frequent in a theme and rare across themes (distinct texts)."""
    docs = [" ".join(lemmas[i] for i in np.flatnonzero(labels == t)) for t in range(k)]
    if not any(docs):
        return [[] for _ in range(k)]
    counter = CountVectorizer(token_pattern=r"(?u)\b[^\W\d_]{3,}\b", lowercase=False)
    try:
        counts = counter.fit_transform(docs).astype(np.float64)
    except ValueError:  # no word of three letters anywhere
        return [[] for _ in range(k)]
    words = counter.get_feature_names_out()
    tf = normalize(counts, norm="l1")
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = counts.sum() / k
    weight = tf.multiply(np.log1p(average / frequency)).toarray()
    return [[words[j] for j in np.argsort(-row)[:KEYWORDS] if row[j] > 0] for row in weight]
