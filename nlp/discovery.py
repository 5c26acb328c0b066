"""Theme discovery: group comments into themes a person can read, and place new ones.

1. Near-identical texts (campaigns, template answers) are found first and take part once,
   so that one campaign of 5,000 copies is one voice in forming themes, not 5,000.
2. The distinct texts become TF-IDF vectors (``features.TextVectoriser``: character n-grams
   that survive Swedish compounds, plus lemmas).
3. Non-negative matrix factorisation splits the vectors into ``k`` parts; each text joins
   the part that explains most of it, and spherical k-means polishes the split. Between
   ``PRECISE_FROM`` and ``LARGE`` distinct texts the final split minimises the
   Kullback-Leibler divergence (more precise there, slower); otherwise the Frobenius norm.
   ``k`` is given, or chosen by the cosine silhouette of the split over a grid of
   candidates between 2 and a bound that grows with the data, searched until (up to
   ``LARGE`` distinct texts) the silhouette above what the same split reaches by chance
   stops improving. On large corpora the themes are formed on a sample of ``FIT_ROWS``
   distinct texts (factorised on their most shared features).
4. Every distinct text is then placed at its nearest theme centre, streaming the corpus in
   batches (its vectors are never held at once). A text far less typical than its theme's
   usual member, or closer to the corpus as a whole than to its theme, is left out (-1)
   rather than forced in; a text sent by many is never left out for being untypical.
5. Each theme is named and described in its texts' own words (``naming``), never by the
   genre's own words ("kapitlet bör nämna", see ``genre``). A theme with nothing distinctive
   to say, or whose texts are no closer to each other than to the corpus as a whole, is a
   catch-all, not a topic: it is dissolved (its texts fit no theme). Each theme also lists
   its most typical texts and the themes closest to it (merge suggestions).
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import NMF, MiniBatchNMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from . import persist, semantic
from .duplicates import duplicate_labels
from .features import TextVectoriser, char_text
from .genre import without_genre
from .groups import membership
from .naming import name_themes
from .text import sentences

MAX_THEMES = 70
# A sentence found in at least this many texts, and this share of them, is boilerplate.
BOILERPLATE_MIN_TEXTS = 5
BOILERPLATE_SHARE = 0.02
K_GRID = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 25, 30, 35, 40, 50, 60, 70)
SELECTION_SAMPLE = 2_000  # texts used to choose k
PATIENCE = 3  # candidates in a row without a better score end the search for k
LANGUAGE_K_TEXTS = 50  # texts of a language for its own choice of k (semantic view)
LANGUAGE_SHARE = 0.2  # of the texts each of two languages makes in a corpus in several
DENSE_CELLS = 20_000_000  # a sample this small (rows × features) is compared dense
SELECTION_ROUNDS = 5  # polish rounds of the candidate splits of large corpora
REFINE_ROUNDS = 20
MINI_BATCH_ABOVE = 20_000  # distinct texts above which NMF runs in mini-batches
# Themes are formed on at most this many distinct texts; the rest are placed at the nearest
# theme centre, batch by batch (the corpus is never held whole).
FIT_ROWS = 20_000
PLACE_BATCH = 10_000
LARGE = 5_000  # distinct texts above which cheaper approximations are worth their cost
SHARED_COLUMNS = 8_000  # features the factorisation models on large corpora
# On corpora of more than PRECISE_FROM and at most LARGE distinct texts the final split
# minimises the Kullback-Leibler divergence (word counts behave like Poisson counts) on this
# many shared features. Measured on SuperLim argumentation (4,200 texts): V-measure 0.770 →
# 0.795, in more than twice the time; so larger corpora keep the faster Frobenius split.
# Smaller ones too: on a few hundred texts it split worse (SweFAQ, 110 texts: 0.704 → 0.680).
PRECISE_FROM = 500
PRECISE_COLUMNS = 20_000
# Choosing k: the search goes on while a split's silhouette, less this many times what the
# same split reaches on the texts with their features shuffled between them (chance level,
# which grows with k on sparse text), still improves.
CHANCE_WEIGHT = 2.0
_LETTER = re.compile(r"[^\W\d_]")
# A text whose cosine similarity to its theme's centre is below this fits no theme, nor does
# one whose similarity to its theme is below this share of its similarity to the corpus.
OUTLIER_SIMILARITY = 0.05
OUTLIER_CENTRE_RATIO = 0.85
# A member's similarity to its theme must be at least this share of the theme's median.
# A theme whose texts are on average not this much closer to its centre than to the whole
# corpus's is a catch-all, not a topic: it is dissolved. One below ``SPLIT_RATIO`` may lump
# several topics together: it is split into the parts its texts make. Measured on the demo
# round: catch-alls of 35 and 41 % of the texts at 1.06 and 1.11, a mixed theme of 25 % at
# 1.32; its topical themes at 1.45 to 3.7.
CATCH_ALL_RATIO = 1.25
# Compared with each text left out of the centres it is part of (which, in a theme of a
# few texts, alone makes each of them look close to it): the texts of a theme must be this
# much closer to each other than to the rest of the corpus. Measured on the demo round:
# three mixed themes of asides and personal stories (6 to 11 texts, 2.3 to 3.5 times closer
# to their centres than to the corpus's) at 0.99 to 1.04; a fourth, of 15, at 1.051, kept;
# its other themes at 1.09 to 3.0. The three topics of the tests' seeded round: 1.47 to
# 1.50. At 1.1 the fourth would go too, but so would most themes of SIB-200 (V-measure,
# English, automatic number of themes: 0.174 to 0.133), whose weak topics lie below 1.1.
CATCH_ALL_OTHERS = 1.05
# A theme whose texts are nearly all (this share) in one language is compared with the texts
# of that language, not with the whole corpus: in a mixed corpus, the texts of a minority
# language share that language's words, and would otherwise look like a topic of their own
# (the demo round's 17 English comments, on ferries, housing and an English version, made a
# theme "Work and partner").
ONE_LANGUAGE = 0.8
SPLIT_RATIO = 1.4
SPLIT_DEPTH = 2  # times a catch-all is split again into the parts its texts make
SPLIT_MIN = 20  # texts a theme needs to be split
OVERSIZED = 2.0  # times the median theme's texts a theme must hold to be split
OUTLIER_TYPICAL_SHARE = 0.4
# The name of a theme with nothing distinctive, kept because its number was asked for.
UNNAMED = "Tema"
CENTROID_TERMS = 4_000  # strongest features kept per theme centre (bounds model size)
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
    description: str = ""  # one sentence of a typical text
    terms: list[str] = field(default_factory=list)  # word forms that tie a text to the theme


class ThemeModel:
    """Themes found in a corpus, with one assignment per text (-1: fits no theme)."""

    def __init__(
        self,
        assignments,
        themes,
        vectoriser,
        centroids,
        seed=0,
        centre=None,
        floors=None,
        view: semantic.View | None = None,
        language_centres: dict[str, np.ndarray] | None = None,
    ):
        self.assignments: list[int] = list(assignments)
        # The semantic view, when the themes were formed with vectors (``nlp.semantic``).
        self.view = view
        # What decides outliers (see ``_fits``): the normalised mean of the corpus, and the
        # least similarity a member of each theme has.
        self.centre: np.ndarray | None = centre
        self.floors: np.ndarray | None = floors
        # Per language, the normalised mean of its texts: a new text is an outlier if it is
        # closer to its language's centre than to its theme (see ``_fits``).
        self.language_centres = language_centres or {}
        self.themes: list[Theme] = list(themes)
        self.vectoriser: TextVectoriser | None = vectoriser
        self.centroids: sp.csr_matrix | None = centroids
        self.seed = seed

    def assign(self, new_texts: Sequence[str], vectors: np.ndarray | None = None) -> list[int]:
        """Place ``new_texts`` into the existing themes without re-clustering (-1: none fits).
        ``vectors`` (one per text, from ``nlp.semantic.embed``) are used when the themes
        were formed with the semantic view; without them the words alone decide."""
        texts = _checked(new_texts)
        if not texts or self.centroids is None or self.centroids.shape[0] == 0:
            return [-1] * len(texts)
        vectors = semantic.checked(vectors, len(texts)) if self.view is not None else None
        # In batches, so that placing a whole corpus never holds all of its vectors.
        return [
            theme
            for start in range(0, len(texts), PLACE_BATCH)
            for theme in self._assign_batch(
                texts[start : start + PLACE_BATCH],
                None if vectors is None else vectors[start : start + PLACE_BATCH],
            )
        ]

    def _assign_batch(self, texts: list[str], vectors: np.ndarray | None = None) -> list[int]:
        X, languages = self.vectoriser.read_clean(without_genre(char_text(texts)))
        similarity = (X @ self.centroids.T).toarray()
        to_centre = X @ self.centre if self.centre is not None else np.zeros(len(texts))
        floors = self.floors
        if self.view is None:
            to_centre = _to_language(X, languages, self.language_centres, to_centre)
        if vectors is not None:
            similarity, to_centre = semantic.place(self.view, similarity, to_centre, texts, vectors)
        elif self.view is not None:
            floors = None  # the floors were measured on both views: not comparable
        best = similarity.argmax(axis=1)
        top = similarity[np.arange(len(texts)), best]
        k = self.centroids.shape[0]
        floors = floors[best] if floors is not None else 0.0
        return np.where(_fits(top, to_centre, k, floors), best, -1).tolist()

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
            if self.centre is not None:
                arrays["centre"] = np.asarray(self.centre, dtype=np.float32)
                arrays["floors"] = np.asarray(self.floors, dtype=np.float32)
            for code, centre in self.language_centres.items():
                arrays[f"language_centre.{code}"] = np.asarray(centre, dtype=np.float32)
        meta = {"seed": self.seed, "themes": [theme.__dict__ for theme in self.themes]}
        if self.view is not None:
            meta["semantic"] = semantic.view_state(self.view, arrays)
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
        return cls(
            arrays["assignments"].tolist(),
            themes,
            vectoriser,
            centroids,
            meta["seed"],
            arrays.get("centre"),
            arrays.get("floors"),
            semantic.view_from_state(meta.get("semantic"), arrays),
            {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith("language_centre.")},
        )


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


def discover_themes(
    texts: Sequence[str],
    n_themes: int | None = None,
    seed: int = 0,
    vectors: np.ndarray | None = None,
) -> ThemeModel:
    """Find themes in ``texts``; ``n_themes=None`` chooses how many (2 to ``theme_bound``).
    ``vectors`` (one per text, from ``nlp.semantic.embed``) add the semantic view: texts
    are then grouped by what their words and their meaning say (see ``nlp.semantic``)."""
    texts = _checked(texts)
    if n_themes is not None and (not isinstance(n_themes, int) or n_themes < 1):
        raise ValueError("n_themes must be a positive integer or None")
    vectors = semantic.checked(vectors, len(texts))
    n = len(texts)
    if n == 0:
        return ThemeModel([], [], None, None, seed)

    groups = duplicate_labels(texts) if n > 1 else np.full(1, -1)
    canonical = _canonical_index(groups)  # each text -> the first text of its group
    distinct = np.unique(canonical)
    distinct = distinct[[bool(_LETTER.search(texts[i])) for i in distinct]]
    if len(distinct) == 0:
        return ThemeModel([-1] * n, [], None, None, seed)
    clean = without_genre(strip_boilerplate([texts[i] for i in distinct]))
    fit_rows = _sample(len(clean), FIT_ROWS, seed)
    view, V = semantic.start(vectors, [texts[i] for i in distinct], distinct)
    vectoriser = TextVectoriser()
    counts = vectoriser.fit_counts([clean[i] for i in fit_rows])
    X = vectoriser.weigh(counts)
    fit_languages = counts.languages
    del counts  # the character counts, as large as X, are not needed again
    if len(fit_rows) == 1 or X.nnz == 0:
        labels = np.zeros(len(fit_rows), dtype=int)
    else:
        # With the view, texts are grouped across languages: the words of a corpus in two,
        # whose first split is the language, neither choose k nor (where each language is
        # a real part of it) split its catch-alls (split on words, SIB-200 in Swedish and
        # English made 22 themes of 7 topics; without, 8).
        languages = _languages_of_their_own(fit_languages) if view is not None else []
        if n_themes:
            k = min(n_themes, len(fit_rows))
        elif len(languages) > 1:
            k = _choose_k_within_languages(X, fit_languages, languages, seed)
        else:
            k = _choose_k(X, seed)
        large = X.shape[0] > LARGE
        labels = _factorise(X, k, seed, large=large, precise=PRECISE_FROM < X.shape[0] <= LARGE)
        if not n_themes and not _in_several_languages(fit_languages, languages):
            labels = _split_catch_alls(X, labels, seed)
        if view is not None:
            k = int(labels.max()) + 1
            labels = semantic.polish(X, V[fit_rows], labels, k, seed, view.weight)
    centroids = _mean_vectors(X, labels)
    centre = normalize(np.asarray(X.mean(axis=0))).ravel()
    weights = np.bincount(canonical, minlength=n)[distinct]  # copies per distinct text
    placing = Placing(
        vectoriser,
        centroids,
        centre,
        semantic.started(view, V, fit_rows, labels),
        _language_centres(X, fit_languages),
    )
    placing.add(fit_rows, X, fit_languages)  # the texts the themes were formed on, as counted
    del X
    placed = _place_rest(placing, vectoriser, clean, weights > 1)
    themes, order, centroids = _describe(
        placed, vectoriser, texts, distinct, weights, seed, dissolve=not n_themes
    )
    view = semantic.finished(placing.view, V, placed.labels, order)
    relabel = np.full(placed.sums.shape[0] + 1, -1)
    relabel[order] = np.arange(len(order))
    theme_of_distinct = np.where(placed.labels >= 0, relabel[placed.labels], -1)
    per_text = np.full(n, -1)
    lookup = dict(zip(distinct.tolist(), theme_of_distinct.tolist(), strict=True))
    for i, c in enumerate(canonical.tolist()):
        per_text[i] = lookup.get(c, -1)
    floors = placed.floors[order] if len(order) else np.zeros(0, dtype=np.float32)
    return ThemeModel(
        per_text.tolist(),
        themes,
        vectoriser,
        centroids,
        seed,
        placed.centre,
        floors,
        view,
        placing.language_centres,
    )


@dataclass
class Placement:
    """Every distinct text placed at its nearest theme centre, with what describing needs."""

    labels: np.ndarray  # theme per distinct text, -1 for outliers
    similarity: np.ndarray  # cosine to its theme's centre
    to_centre: np.ndarray  # cosine to the centre of the whole corpus
    sums: sp.csr_matrix  # per theme, the sum of its texts' vectors
    centre: np.ndarray  # the normalised mean of all texts
    floors: np.ndarray  # per theme, the least similarity of a member (see ``_floors``)
    languages: np.ndarray  # per distinct text, the language it was read in
    to_language: np.ndarray  # cosine to the centre of the texts in the text's language
    language_norms: dict[str, float]  # per language, the norm of the sum of its texts


class Placing:
    """Texts placed batch by batch at their most similar theme centre, with the sums the
    themes' descriptions need; a batch's vectors are not kept."""

    def __init__(
        self,
        vectoriser: TextVectoriser,
        centroids: np.ndarray,
        centre: np.ndarray,
        view: semantic.Placing | None = None,
        language_centres: dict[str, np.ndarray] | None = None,
    ):
        self.centroids, self.centre, self.view = centroids, centre, view
        self.language_centres = language_centres or {}
        k = centroids.shape[0]
        self.sums = sp.csr_matrix((k, vectoriser.n_features), dtype=np.float32)
        self.language_sums: dict[str, np.ndarray] = {}
        self.rows, self.labels, self.similarity, self.to_centre = [], [], [], []
        self.languages, self.to_language = [], []

    def add(self, rows: np.ndarray, X: sp.csr_matrix, languages: np.ndarray) -> None:
        """Place the texts ``rows`` (indices), given their vectors and languages."""
        if self.view is None:
            best, sim = _nearest(X, self.centroids)
            to_centre = X @ self.centre
            to_language = _to_language(X, languages, self.language_centres, to_centre)
            codes, inverse = np.unique(languages, return_inverse=True)
            sums = (membership(inverse, len(codes)) @ X).toarray()
            for code, part in zip(codes.tolist(), sums, strict=True):
                self.language_sums[code] = self.language_sums.get(code, 0) + part
        else:  # the view centres each language's vectors: its cosines need no such care
            best, sim, to_centre = self.view.nearest(rows, X, self.centroids, self.centre)
            to_language = to_centre
        members = membership(best, self.centroids.shape[0])
        self.sums = self.sums + members @ X
        self.rows.append(rows)
        self.labels.append(best)
        self.similarity.append(sim)
        self.to_centre.append(to_centre)
        self.languages.append(languages)
        self.to_language.append(to_language)

    def placement(self, copied: np.ndarray) -> Placement:
        """Return the placement of every text added, in index order, with outliers at -1.
        A text sent by many (``copied``) is never an outlier for being untypical: it is a
        voice the theme has to hold."""
        order = np.argsort(np.concatenate(self.rows), kind="stable")
        labels = np.concatenate(self.labels)[order]
        similarity = np.concatenate(self.similarity)[order]
        k = self.centroids.shape[0]
        floors = _floors(labels, similarity, k)
        to_centre = np.concatenate(self.to_centre)[order]
        to_language = np.concatenate(self.to_language)[order]
        fits = _fits(similarity, to_language, k, floors[labels])
        labels = np.where(fits | (copied & (labels >= 0)), labels, -1)
        return Placement(
            labels,
            similarity,
            to_centre,
            self.sums.tocsr(),
            self.centre,
            floors,
            np.concatenate(self.languages)[order],
            to_language,
            {
                code: float(np.linalg.norm(part))
                for code, part in self.language_sums.items()
                if code in self.language_centres  # else its texts were compared with the corpus
            },
        )


def _place_rest(
    placing: Placing, vectoriser: TextVectoriser, clean: list[str], copied: np.ndarray
) -> Placement:
    """Place the texts not yet added to ``placing``, streaming them in batches (the
    corpus's vectors are never held at once), and return the placement of all."""
    rest = np.setdiff1d(np.arange(len(clean)), np.concatenate(placing.rows))
    tables = vectoriser.tables()
    for start in range(0, len(rest), PLACE_BATCH):
        rows = rest[start : start + PLACE_BATCH]
        counts = tables.counts([clean[i] for i in rows])
        placing.add(rows, vectoriser.weigh(counts), counts.languages)
    return placing.placement(copied)


def _language_centres(X: sp.csr_matrix, languages: np.ndarray) -> dict[str, np.ndarray]:
    """Return, per language of the rows, the normalised mean of its rows."""
    codes, inverse = np.unique(languages, return_inverse=True)
    return dict(zip(codes.tolist(), _mean_vectors(X, inverse), strict=True))


def _to_language(X: sp.csr_matrix, languages: np.ndarray, centres: dict, to_centre: np.ndarray):
    """Return each row's cosine to the centre of its language's texts (``to_centre``, the
    whole corpus's, where ``centres`` has none for its language)."""
    to_language = np.array(to_centre, dtype=np.float32)
    for code in np.unique(languages):
        if code in centres:
            here = languages == code
            to_language[here] = X[here] @ centres[code]
    return to_language


def _floors(labels: np.ndarray, similarity: np.ndarray, k: int) -> np.ndarray:
    """Return, per theme, the least similarity a member must have: a share of the theme's
    median member's (a text far less typical than most of a theme's texts is not one of them).
    The last entry (for label -1) is infinite."""
    floors = np.full(k + 1, np.inf, dtype=np.float32)
    for t in range(k):
        members = similarity[labels == t]
        if len(members):
            floors[t] = OUTLIER_TYPICAL_SHARE * np.median(members)
    return floors


def _nearest(X: sp.csr_matrix, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's most similar centre (-1 if none is similar at all) and the cosine."""
    if centroids.shape[0] == 0:
        return np.full(X.shape[0], -1), np.zeros(X.shape[0], dtype=np.float32)
    similarity = np.asarray(X @ centroids.T)
    best = similarity.argmax(axis=1)
    top = similarity[np.arange(len(best)), best]
    return np.where(top > 0, best, -1), top


def _fits(similarity: np.ndarray, to_centre: np.ndarray, k: int, floors) -> np.ndarray:
    """A text fits its theme unless it is far less typical than the theme's usual member
    (below its floor), or clearly closer to the centre of the corpus's texts in its language
    (``to_centre``) than to the theme's centre, or unrelated to both: then the theme says
    nothing about it, and it is left out (-1) rather than forced in. With one theme, the
    theme is the corpus, and the centre is no test."""
    fits = (similarity >= OUTLIER_SIMILARITY) & (similarity >= floors)
    return fits & (similarity >= OUTLIER_CENTRE_RATIO * to_centre) if k > 1 else fits


def _mean_vectors(X: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
    """Return each theme's normalised mean vector, dense (k × features; k is small)."""
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    return normalize(np.asarray((membership(labels, k) @ X).todense())).astype(np.float32)


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def strip_boilerplate(texts: list[str]) -> list[str]:
    """Return the texts normalised and lower-cased, without the sentences that recur word
    for word across many texts ("Tack för möjligheten att lämna synpunkter."): they say
    nothing about the theme and would pull unrelated texts together. A text made only of
    such sentences is kept whole."""
    split = [[s.lower() for s in sentences(t)] for t in texts]
    counts = Counter(s for parts in split for s in set(parts))
    floor = max(BOILERPLATE_MIN_TEXTS, BOILERPLATE_SHARE * len(texts))
    common = {s for s, c in counts.items() if c >= floor}
    stripped = []
    for i, parts in enumerate(split):
        split[i] = None  # one copy of the texts at a time (1M texts: 0.2 GB less at peak)
        kept = [p for p in parts if p not in common]
        stripped.append(" ".join(kept or parts))
    return stripped


def _canonical_index(groups: np.ndarray) -> np.ndarray:
    canonical = np.arange(len(groups))
    first: dict[int, int] = {}
    for i, g in enumerate(groups.tolist()):
        if g >= 0:
            canonical[i] = first.setdefault(g, i)
    return canonical


def _nmf(k: int, n_rows: int, seed: int, precise: bool = False):
    if precise:
        return NMF(
            k,
            init="nndsvda",
            solver="mu",
            beta_loss="kullback-leibler",
            random_state=seed,
            max_iter=50,
            tol=1e-3,
        )
    if n_rows > MINI_BATCH_ABOVE:
        return MiniBatchNMF(
            k, init="nndsvda", batch_size=2048, random_state=seed, max_iter=50, tol=1e-3
        )
    return NMF(k, init="nndsvda", random_state=seed, max_iter=300, tol=1e-3)


def _factorise(
    X: sp.csr_matrix,
    k: int,
    seed: int,
    large: bool = False,
    precise: bool = False,
    rounds: int | None = None,
) -> np.ndarray:
    """Split ``X`` into ``k`` non-negative parts; each row joins its strongest part (-1: none).
    On ``large`` corpora the factorisation sees only features shared by two or more rows;
    ``precise`` is the slower Kullback-Leibler split of the final themes of smaller corpora;
    ``rounds`` bounds the polish (see ``_refine``)."""
    k = max(1, min(k, X.shape[0], X.shape[1]))
    if k == 1:
        return np.zeros(X.shape[0], dtype=int)
    if precise:
        modelled = _shared_columns(X, k, PRECISE_COLUMNS)
    else:
        modelled = _shared_columns(X, k, SHARED_COLUMNS) if large else X
    with warnings.catch_warnings():
        # A split that has not converged in its iterations is close enough: the polish
        # below settles it (and the chance splits of ``_choose_k`` seldom converge).
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = _nmf(k, X.shape[0], seed, precise).fit_transform(modelled)
    labels = W.argmax(axis=1)
    labels[W.max(axis=1) <= 0] = -1
    return _refine(X, labels, k, rounds)


def _split_catch_alls(X: sp.csr_matrix, labels: np.ndarray, seed: int) -> np.ndarray:
    """Split each theme far larger than most (``OVERSIZED``) whose texts are hardly closer
    to it than to the corpus as a whole (``SPLIT_RATIO``) into the parts its own texts make,
    at most ``SPLIT_DEPTH`` times: a number of themes chosen for the whole corpus can lump
    several small topics together."""
    centre = normalize(np.asarray(X.mean(axis=0)))
    to_centre = np.asarray(X @ centre.T).ravel()
    for _ in range(SPLIT_DEPTH):
        k = int(labels.max()) + 1
        centres = normalize((membership(labels, k, np.float64) @ X).toarray())
        own = np.asarray(X @ centres.T)[np.arange(len(labels)), np.maximum(labels, 0)]
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        least = max(SPLIT_MIN, OVERSIZED * np.median(sizes[sizes > 0]))
        split = False
        for t in range(k):
            rows = np.flatnonzero(labels == t)
            if len(rows) < least or own[rows].mean() >= SPLIT_RATIO * to_centre[rows].mean():
                continue
            part = X[rows]
            parts = _factorise(part, _choose_k(part, seed), seed)
            if len(set(parts.tolist()) - {-1}) < 2:
                continue
            labels[rows] = np.where(parts > 0, labels.max() + parts, np.where(parts == 0, t, -1))
            split = True
        if not split:
            break
    return labels


def _shared_columns(X: sp.csr_matrix, k: int, columns: int) -> sp.csr_matrix:
    """Return ``X`` with only the ``columns`` features most rows share (at least two): a
    feature of one row cannot tie texts together, and the factorisation's cost grows with
    the features it models."""
    df = np.bincount(X.indices, minlength=X.shape[1])
    shared = np.flatnonzero(df >= 2)
    shared = np.sort(shared[np.argsort(-df[shared], kind="stable")[:columns]])
    return normalize(X[:, shared]) if len(shared) >= k else X


def _refine(X: sp.csr_matrix, labels: np.ndarray, k: int, rounds: int | None = None) -> np.ndarray:
    """Polish the split with spherical k-means: move each text to its most similar theme
    centre until nothing moves (measured: +2 to 3 points V-measure over NMF alone)."""
    # Each round multiplies the whole corpus by the centres: on large corpora a few rounds
    # take most of the gain and keep the time linear.
    if rounds is None:
        rounds = REFINE_ROUNDS if X.shape[0] <= MINI_BATCH_ABOVE else 3
    for _ in range(rounds):
        # Dense centres (k is small): a sparse matrix times a dense one is far cheaper
        # than the product of two sparse ones.
        centres = normalize((membership(labels, k, np.float64) @ X).toarray())
        similarity = np.asarray(X @ centres.T)
        moved = np.where(similarity.max(axis=1) > 0, similarity.argmax(axis=1), -1)
        if np.array_equal(moved, labels):
            break
        labels = moved
    return labels


def _choose_k(X: sp.csr_matrix, seed: int) -> int:
    """Pick the number of themes whose split of a sample has the best cosine silhouette,
    among the candidates up to where structure stops growing. Sparse text gains silhouette
    from every added theme, structure or not, so the search ends once the silhouette above
    chance (what the same split reaches on the sample with its features shuffled between
    texts) has not improved for ``PATIENCE`` candidates. Measured on SIB-200, where the
    texts have little structure: without the correction the search split noise into 25
    themes (7 topics)."""
    rows = X.shape[0]
    sample = np.random.default_rng(seed).choice(rows, min(rows, SELECTION_SAMPLE), replace=False)
    Xs = X[np.sort(sample)]
    large = rows > LARGE
    if large:  # the sample's shared features are enough to compare splits, and far cheaper
        Xs = _shared_columns(Xs, 2, SHARED_COLUMNS)
    bound = min(theme_bound(rows), Xs.shape[0] - 1)
    # Cosine distances between the sample's texts, once for every candidate k.
    distances = _cosine_distances(Xs)
    if not large:  # the correction doubles the cost: paid where the corpus is small
        chance = _shuffled(Xs, seed)
        chance_distances = _cosine_distances(chance)
    best_k, best_score, best_above_chance, worse = 2, -np.inf, -np.inf, 0
    for k in (k for k in K_GRID if k <= bound):
        score = _silhouette(Xs, distances, k, seed, large)
        if score is None:
            continue
        if score > best_score:
            best_k, best_score = k, score
        above_chance = score
        if not large:
            above_chance -= CHANCE_WEIGHT * (_silhouette(chance, chance_distances, k, seed) or 0)
        if above_chance > best_above_chance:
            best_above_chance, worse = above_chance, 0
        else:
            worse += 1
            if worse == PATIENCE:  # past the peak: larger k only splits real themes
                break
    return best_k


def _languages_of_their_own(languages: np.ndarray) -> np.ndarray:
    """Return the languages with at least ``LANGUAGE_K_TEXTS`` of the texts."""
    codes, sizes = np.unique(languages, return_counts=True)
    return codes[sizes >= LANGUAGE_K_TEXTS]


def _in_several_languages(languages: np.ndarray, codes) -> bool:
    """True if two or more of the languages ``codes`` each make ``LANGUAGE_SHARE`` of the
    texts: a corpus in several languages, not one with some comments in another (which
    are compared with their own language's texts, see ``_catch_all``)."""
    return sum(float(np.mean(languages == code)) >= LANGUAGE_SHARE for code in codes) > 1


def _choose_k_within_languages(X: sp.csr_matrix, languages: np.ndarray, codes, seed: int) -> int:
    """Pick the number of themes for the semantic view, which groups texts across
    languages: ``_choose_k`` on the texts of each language of ``codes``, the largest of
    those numbers. On the words of a corpus in two languages, the first split ``_choose_k``
    finds is the language (SIB-200 in Swedish and English: k = 2, two "themes" then
    dissolved as languages, none left)."""
    return max(_choose_k(X[languages == code], seed) for code in codes)


def _shuffled(X: sp.csr_matrix, seed: int) -> sp.csr_matrix:
    """Return ``X`` with every stored value moved to a random row of its column: the same
    features and weights, without the co-occurrences that make themes."""
    coo = X.tocoo()
    rows = np.random.default_rng(seed + 1).integers(0, X.shape[0], coo.nnz)
    return normalize(sp.csr_matrix((coo.data, (rows, coo.col)), shape=X.shape))


def _cosine_distances(X: sp.csr_matrix) -> np.ndarray:
    # A narrow sample (shared features only) multiplies far faster as a dense array.
    if X.shape[0] * X.shape[1] <= DENSE_CELLS:
        dense = X.toarray()
        similarity = dense @ dense.T
    else:
        similarity = (X @ X.T).toarray()
    distances = np.clip(1 - similarity, 0, 2)
    np.fill_diagonal(distances, 0)
    return distances


def _silhouette(X, distances, k: int, seed: int, large: bool = False) -> float | None:
    """Return the cosine silhouette of ``X``'s split into ``k`` (None: fewer than 2 parts).
    On ``large`` corpora the split is polished less: it only has to rank the candidates."""
    labels = _factorise(X, k, seed, rounds=SELECTION_ROUNDS if large else None)
    kept = np.flatnonzero(labels >= 0)
    if len(set(labels[kept].tolist())) < 2:
        return None
    return silhouette_score(distances[np.ix_(kept, kept)], labels[kept], metric="precomputed")


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


def _describe(
    placed: Placement, vectoriser: TextVectoriser, texts, distinct, weights, seed, dissolve
):
    """Return the themes (largest first), the order mapping theme ids to their places, and
    the themes' stored centres (in that order). Themes left empty by outliers are dropped.
    If ``dissolve`` (the number of themes was not asked for), so are themes with no topic of
    their own (nothing their texts say distinctively, see ``naming``) and catch-alls: their
    texts are left without a theme."""
    labels = placed.labels
    k = placed.sums.shape[0]
    sizes = np.bincount(labels[labels >= 0], weights=weights[labels >= 0], minlength=k)
    used = np.flatnonzero(np.bincount(labels[labels >= 0], minlength=k) > 0)
    order = used[np.argsort(-sizes[used], kind="stable")]
    typical = []
    for t in order:
        members = np.flatnonzero(labels == t)
        typical.append(members[np.argsort(-placed.similarity[members], kind="stable")])
    place = np.full(k + 1, -1)
    place[order] = np.arange(len(order))
    corpus_norm = float(np.linalg.norm(np.asarray(placed.sums.sum(axis=0))))
    namings = name_themes(
        _Texts(texts, distinct),
        place[labels],
        [members[:REPRESENTATIVES].tolist() for members in typical],
        weights,
        seed,
    )
    topical = [
        not dissolve
        or (
            naming.label is not None
            and not (len(order) > 1 and _catch_all(placed, labels == t, corpus_norm))
        )
        for t, naming in zip(order, namings, strict=True)
    ]
    order = order[topical]
    typical = [members for members, keep in zip(typical, topical, strict=True) if keep]
    namings = [naming for naming, keep in zip(namings, topical, strict=True) if keep]
    if len(order) == 0:
        return [], order, sp.csr_matrix((0, vectoriser.n_features), dtype=np.float32)
    centroids = _trim(normalize(placed.sums[order]), CENTROID_TERMS)
    between = (centroids @ centroids.T).toarray()
    np.fill_diagonal(between, -1)
    themes = []
    for place_, (t, naming) in enumerate(zip(order, namings, strict=True)):
        near = [
            int(j)
            for j in np.argsort(-between[place_], kind="stable")[:NEIGHBOURS]
            if between[place_, j] > 0
        ]
        themes.append(
            Theme(
                label=naming.label or f"{UNNAMED} {place_ + 1}",
                keywords=naming.keywords,
                size=int(sizes[t]),
                distinct=len(typical[place_]),
                representatives=[int(distinct[i]) for i in typical[place_][:REPRESENTATIVES]],
                neighbours=near,
                neighbour_similarity=[round(float(between[place_, j]), 3) for j in near],
                description=naming.description,
                terms=naming.terms,
            )
        )
    return themes, order, centroids


def _catch_all(placed: Placement, members: np.ndarray, corpus_norm: float) -> bool:
    """True if the texts ``members`` are no closer to their theme than to the corpus: on
    average, to its centre, less than ``CATCH_ALL_RATIO`` times closer; or, to the centre of
    the theme's other texts, less than ``CATCH_ALL_OTHERS`` times closer than to the rest of
    the corpus. ``corpus_norm`` is the norm of the sum of all texts' vectors. Where nearly
    all of the texts are in one language, the corpus is that language's texts, and they are
    the texts compared."""
    theme_norm = sp.linalg.norm(placed.sums[int(placed.labels[members][0])])
    members, to_corpus, corpus_norm = _compared_with(placed, members, corpus_norm)
    similarity = placed.similarity[members]
    if similarity.mean() < CATCH_ALL_RATIO * to_corpus.mean():
        return True
    to_others = _without_itself(similarity, theme_norm).mean()
    return bool(to_others < CATCH_ALL_OTHERS * _without_itself(to_corpus, corpus_norm).mean())


def _compared_with(placed: Placement, members: np.ndarray, corpus_norm: float):
    """Return which of the texts ``members`` to compare, their cosines to the corpus they are
    compared with, and the norm of its sum: if at least ``ONE_LANGUAGE`` of them share a
    language, those texts and the texts of that language (see there), else all of them and
    the whole corpus."""
    codes, counts = np.unique(placed.languages[members], return_counts=True)
    top = int(counts.argmax())
    if counts[top] >= ONE_LANGUAGE * counts.sum() and codes[top] in placed.language_norms:
        members = members & (placed.languages == codes[top])
        return members, placed.to_language[members], placed.language_norms[codes[top]]
    return members, placed.to_centre[members], corpus_norm


def _without_itself(similarity: np.ndarray, norm: float) -> np.ndarray:
    """Each text's cosine to a sum of unit vectors it is part of, the text itself left out,
    from its cosine to the whole sum and the sum's norm: a text is close to a centre it is
    part of by that part alone, which in a small theme is a large one. The centres compared
    with are those of the texts the themes were formed on, so beyond ``FIT_ROWS`` texts (or
    with the semantic view's blended cosines) this is an estimate; there the part is small."""
    dot = similarity * norm  # the text's own 1.0 is part of it
    rest = np.sqrt(np.maximum(norm * norm - 2 * dot + 1, 1e-12))
    return (dot - 1) / rest


class _Texts:
    """The distinct texts, by their place among the distinct ones (no copy of the corpus)."""

    def __init__(self, texts: list[str], distinct: np.ndarray):
        self.texts, self.distinct = texts, distinct

    def __getitem__(self, i: int) -> str:
        return self.texts[self.distinct[i]]

    def __len__(self) -> int:
        return len(self.distinct)
