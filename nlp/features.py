"""Vectors for texts: sparse TF-IDF that survives Swedish compounds.

Two views are joined: character n-grams within words (``char_wb``, 3–5) of the normalised,
lower-cased text, which match the parts of compounds ("bredbandsutbyggnad" shares
"bredband" with "bredbandet"); and whole-word lemmas without stop words, which carry the
readable vocabulary.

Both views are built from the space-separated chunks of each text: a corpus of 100,000
comments has millions of chunks but only tens of thousands of distinct ones, so each
distinct chunk is analysed once (its n-grams, its lemmas, its language evidence) and a
text's counts are its chunk counts times those per-chunk tables (one sparse product for a
batch; a few texts are summed one by one, where scipy's per-call cost would dominate). The
n-grams are exactly scikit-learn's ``char_wb`` ones, and the lemmas exactly ``text.lemmatise``.
Large corpora fit the vocabulary on a sample and are transformed in batches; rows stay
sparse, so the corpus is never held as a dense matrix.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from .text import (
    chunk_evidence,
    chunk_lemmas,
    detect_from_evidence,
    lemma_language,
    lemmatise,
    normalise,
)

WORD_WEIGHT = 0.7
FIT_SAMPLE = 40_000
BATCH = 10_000
FEW = 16  # texts at most that ``transform`` counts one by one (see ``_transform_few``)
NGRAMS = (3, 5)
_CHUNK_CACHE_LIMIT = 300_000


def char_text(texts: Iterable[str]) -> list[str]:
    """Return the texts as the character view sees them: normalised and lower-cased."""
    return [normalise(t).lower() for t in texts]


def lemma_text(texts: Sequence[str]) -> list[str]:
    """Return each text as its lemmas (stop words removed) joined by spaces."""
    return [" ".join(words) for words in lemmatise(texts)]


def char_ngrams(chunk: str) -> list[str]:
    """Return the ``char_wb`` 3–5-grams of one chunk, as scikit-learn counts them."""
    word = f" {chunk} "
    grams = []
    for n in range(NGRAMS[0], NGRAMS[1] + 1):
        grams.extend(word[i : i + n] for i in range(max(1, len(word) - n + 1)))
        if len(word) <= n:  # the whole word was one n-gram: longer ones would repeat it
            break
    return grams


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def _growing_index() -> defaultdict:
    """A dict that gives each new key the next free number."""
    index: defaultdict = defaultdict()
    index.default_factory = index.__len__
    return index


@dataclass
class Counts:
    """Raw counts of a batch of texts: char n-grams and lemmas (columns of the given indexes)."""

    chars: sp.csr_matrix
    lemmas: sp.csr_matrix
    languages: np.ndarray  # per text, the lemma table it was read with ("sv" or "en")


def chunk_matrix(clean: Sequence[str]) -> tuple[sp.csr_matrix, list[str]]:
    """Return the texts × distinct-chunk count matrix of cleaned texts, and the chunks."""
    index = _growing_index()
    indices: list[int] = []
    indptr = [0]
    for text in clean:
        indices.extend(map(index.__getitem__, text.split()))
        indptr.append(len(indices))
    counts = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), np.asarray(indices, dtype=np.int64), indptr),
        shape=(len(clean), len(index)),
    )
    counts.sum_duplicates()
    return counts, list(index)


class ChunkTables:
    """What each distinct chunk contributes (n-grams, lemmas, language evidence), cached
    across batches."""

    def __init__(self, grams: dict | None = None, lemmas: dict | None = None):
        # Fixed indexes (from a fitted vocabulary) drop unknown keys; growing ones add them.
        self.grams = grams if grams is not None else _growing_index()
        self.lemmas = lemmas if lemmas is not None else _growing_index()
        self._gram_rows: dict[str, np.ndarray] = {}
        self._lemma_rows: dict[tuple[str, str], np.ndarray] = {}
        self._evidence: dict[str, np.ndarray] = {}

    def _rows(self, cache: dict, key, keys: list[str], index: dict) -> np.ndarray:
        found = cache.get(key)
        if found is None:
            if len(cache) > _CHUNK_CACHE_LIMIT:
                cache.clear()
            if isinstance(index, defaultdict):
                found = np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys))
            else:
                found = np.array([index[k] for k in keys if k in index], dtype=np.int64)
            cache[key] = found
        return found

    def gram_rows(self, chunks: list[str]) -> list[np.ndarray]:
        """Return each chunk's n-gram columns (a column once per occurrence)."""
        return [self._rows(self._gram_rows, c, char_ngrams(c), self.grams) for c in chunks]

    def lemma_rows(self, chunks: list[str], code: str) -> list[np.ndarray]:
        """Return each chunk's lemma columns, from the lemma table of ``code``."""
        return [
            self._rows(self._lemma_rows, (code, c), list(chunk_lemmas(c, code)), self.lemmas)
            for c in chunks
        ]

    def evidence(self, chunks: list[str]) -> np.ndarray:
        """Return ``chunk_evidence`` of ``chunks``, each chunk analysed once (cached)."""
        # Rows are taken before the cache may be cleared: another thread may clear it too.
        rows = [self._evidence.get(c) for c in chunks]
        missing = [c for c, row in zip(chunks, rows, strict=True) if row is None]
        if missing:
            if len(self._evidence) + len(missing) > _CHUNK_CACHE_LIMIT:
                self._evidence.clear()
            new = dict(zip(missing, chunk_evidence(missing), strict=True))
            self._evidence.update(new)
            rows = [new[c] if row is None else row for c, row in zip(chunks, rows, strict=True)]
        return np.stack(rows) if rows else chunk_evidence([])

    def counts(self, clean: Sequence[str]) -> Counts:
        """Return the char n-gram and lemma counts of cleaned texts (language per text)."""
        per_chunk, chunks = chunk_matrix(clean)
        chars = (per_chunk @ _table(self.gram_rows(chunks), len(self.grams))).tocsr()
        codes = np.array(_lemma_codes(per_chunk @ self.evidence(chunks)))
        lemmas = sp.csr_matrix((len(clean), 0), dtype=np.float32)
        for code in ("sv", "en"):
            rows = sp.diags((codes == code).astype(np.float32))
            if rows.diagonal().any():
                part = rows @ per_chunk @ _table(self.lemma_rows(chunks, code), len(self.lemmas))
                lemmas = _widen(lemmas, len(self.lemmas)) + _widen(part, len(self.lemmas))
        return Counts(chars, _widen(lemmas, len(self.lemmas)).tocsr(), codes)


def _lemma_codes(evidence: np.ndarray) -> list[str]:
    """Return the lemma table of each text (a row of summed ``chunk_evidence``)."""
    return [lemma_language(code) for code in detect_from_evidence(evidence)]


def _table(rows: list[np.ndarray], width: int) -> sp.csr_matrix:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    indices = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    table = sp.csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(rows), width)
    )
    table.sum_duplicates()
    return table


def _widen(matrix: sp.spmatrix, width: int) -> sp.csr_matrix:
    """Pad ``matrix`` with empty columns up to ``width`` (growing indexes add columns)."""
    matrix = matrix.tocsr()
    if matrix.shape[1] == width:
        return matrix
    return sp.csr_matrix(
        (matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width)
    )


def _vocabulary(counts: sp.csr_matrix, terms: list[str], min_df, max_df, limit) -> list[int]:
    """Columns kept, as scikit-learn keeps them: document frequency within bounds, then the
    ``limit`` most frequent terms."""
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    total = np.asarray(counts.sum(axis=0)).ravel()
    high = max_df * counts.shape[0] if isinstance(max_df, float) else max_df
    keep = np.flatnonzero((df >= min_df) & (df <= high))
    if len(keep) > limit:
        keep = keep[np.argsort(-total[keep], kind="stable")[:limit]]
    return sorted(keep.tolist(), key=terms.__getitem__)


def _tfidf_row(rows: list[np.ndarray], times: np.ndarray, idf: np.ndarray):
    """Return one text's columns and its ``_tfidf`` values, from the columns of its chunks
    (``rows``) and how often each chunk occurs (``times``)."""
    columns = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    columns, inverse = np.unique(columns, return_inverse=True)
    lengths = [len(row) for row in rows]
    counts = np.bincount(inverse, weights=np.repeat(times, lengths), minlength=len(columns))
    values = (np.log(counts) + 1) * idf[columns]
    norm = np.linalg.norm(values)
    return columns, values / norm if norm else values


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Sublinear tf times idf, L2-normalised rows (scikit-learn's TfidfVectorizer)."""
    counts = counts.tocsr().astype(np.float32)
    counts.data = np.log(counts.data) + 1
    return normalize(counts.multiply(idf.astype(np.float32)).tocsr())


class TextVectoriser:
    """Joined char n-gram and lemma TF-IDF, L2-normalised rows; fit once, transform many."""

    def __init__(self, max_char_features: int = 60_000, max_word_features: int = 30_000):
        self.max_char_features = max_char_features
        self.max_word_features = max_word_features
        self.char_vocabulary: dict[str, int] = {}
        self.char_idf = np.zeros(0)
        self.word_vocabulary: dict[str, int] = {}
        self.word_idf = np.zeros(0)
        self._tables: ChunkTables | None = None

    def fit(
        self, texts: Sequence[str], seed: int = 0, lemmas: Sequence[str] | None = None
    ) -> TextVectoriser:
        """Learn vocabularies and IDF weights (from a sample of large corpora). ``lemmas`` is
        accepted for callers of earlier versions and not needed."""
        self.fit_counts(char_text(texts[i] for i in _sample(len(texts), FIT_SAMPLE, seed)))
        return self

    def fit_transform_clean(self, clean: Sequence[str]) -> sp.csr_matrix:
        """Learn vocabularies and IDF weights from texts already cleaned (``char_text``), and
        return their rows, counting each text once."""
        return self.weigh(self.fit_counts(clean))

    def fit_counts(self, clean: Sequence[str]) -> Counts:
        """Learn vocabularies and IDF weights from texts already cleaned (``char_text``), and
        return their counts in the learnt columns (``weigh`` makes them rows)."""
        if len(clean) == 0:
            raise ValueError("cannot fit on no texts")
        tables = ChunkTables()
        counts = tables.counts(clean)
        n = len(clean)
        min_df, max_df = (2 if n > 500 else 1), (0.5 if n > 20 else 1.0)
        char_columns, self.char_vocabulary, self.char_idf = _fitted(
            counts.chars, list(tables.grams), min_df, max_df, self.max_char_features
        )
        if not self.char_vocabulary:
            raise ValueError("empty vocabulary: the texts hold no characters to count")
        word_columns, self.word_vocabulary, self.word_idf = _fitted(
            counts.lemmas, list(tables.lemmas), min_df, max_df, self.max_word_features
        )
        self._tables = None
        return Counts(
            counts.chars[:, char_columns], counts.lemmas[:, word_columns], counts.languages
        )

    def tables(self) -> ChunkTables:
        """The chunk tables for this vectoriser's vocabularies (made once, then cached)."""
        if self._tables is None:
            self._tables = ChunkTables(self.char_vocabulary, self.word_vocabulary)
        return self._tables

    def transform(self, texts: Sequence[str], lemmas: Sequence[str] | None = None) -> sp.csr_matrix:
        """Return the TF-IDF rows of ``texts``; large inputs are transformed in batches to
        bound the temporary memory (``lemmas`` is accepted for earlier callers, unused)."""
        return self.transform_clean(char_text(texts))

    def transform_clean(self, clean: Sequence[str]) -> sp.csr_matrix:
        """Return the TF-IDF rows of texts already cleaned (``char_text``): a few text by
        text, more in batches."""
        return self.read_clean(clean)[0]

    def read_clean(self, clean: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Return the rows of texts already cleaned, as ``transform_clean``, and the lemma
        table each text was read with ("sv" or "en", as ``Counts.languages``)."""
        if 0 < len(clean) <= FEW:
            return self._transform_few(clean)
        rows, languages = [], []
        for i in _starts(clean):  # each batch's counts weighed before the next is counted
            counts = self.tables().counts(clean[i : i + BATCH])
            rows.append(self.weigh(counts))
            languages.append(counts.languages)
        if not rows:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32), np.array([], dtype=str)
        return sp.vstack(rows, format="csr"), np.concatenate(languages)

    def _transform_few(self, clean: Sequence[str]) -> tuple[sp.csr_matrix, np.ndarray]:
        """Return the rows of a few cleaned texts, the same as ``weigh`` makes them but
        counted text by text: for one comment, the per-call checks of scipy and
        scikit-learn cost more than the counting (one comment: 4.4 → 1 ms, measured).
        Also the lemma table each was read with."""
        tables = self.tables()
        indices, data, indptr, codes = [], [], [0], []
        for text in clean:
            chunk_counts = Counter(text.split())
            chunks = list(chunk_counts)
            times = np.fromiter(chunk_counts.values(), dtype=np.float64, count=len(chunks))
            code = _lemma_codes((times @ tables.evidence(chunks))[None])[0]
            codes.append(code)
            char_columns, char_values = _tfidf_row(tables.gram_rows(chunks), times, self.char_idf)
            word_columns, word_values = _tfidf_row(
                tables.lemma_rows(chunks, code), times, self.word_idf
            )
            values = np.concatenate([char_values, word_values * WORD_WEIGHT])
            norm = np.linalg.norm(values)
            indices += [char_columns, word_columns + len(self.char_vocabulary)]
            data.append(values / norm if norm else values)
            indptr.append(indptr[-1] + len(values))
        rows = sp.csr_matrix(
            (np.concatenate(data).astype(np.float32), np.concatenate(indices), indptr),
            shape=(len(clean), self.n_features),
        )
        return rows, np.array(codes)

    def weigh(self, counts: Counts) -> sp.csr_matrix:
        """Return the joined, normalised TF-IDF rows of counts in this vocabulary's columns."""
        parts = [_tfidf(counts.chars, self.char_idf)]
        if self.word_vocabulary:
            parts.append(_tfidf(counts.lemmas, self.word_idf) * WORD_WEIGHT)
        return normalize(sp.hstack(parts, format="csr")).astype(np.float32)

    @property
    def n_features(self) -> int:
        """Number of columns of ``transform``'s result."""
        return len(self.char_vocabulary) + len(self.word_vocabulary)

    def vocabulary(self) -> list[str]:
        """Return the lemma vocabulary (word view), in column order."""
        return sorted(self.word_vocabulary, key=self.word_vocabulary.__getitem__)

    def to_state(self) -> dict:
        """Return arrays and plain values that rebuild this vectoriser (see ``from_state``)."""
        state = {
            "char_vocabulary": np.array(
                sorted(self.char_vocabulary, key=self.char_vocabulary.__getitem__), dtype=str
            ),
            "char_idf": self.char_idf.astype(np.float32),
        }
        if self.word_vocabulary:
            state["word_vocabulary"] = np.array(self.vocabulary(), dtype=str)
            state["word_idf"] = self.word_idf.astype(np.float32)
        return state

    @classmethod
    def from_state(cls, state: dict) -> TextVectoriser:
        """Rebuild a fitted vectoriser from ``to_state``'s values."""
        made = cls()
        made.char_vocabulary = {t: i for i, t in enumerate(state["char_vocabulary"].tolist())}
        made.char_idf = state["char_idf"].astype(np.float32)
        if "word_vocabulary" in state:
            made.word_vocabulary = {t: i for i, t in enumerate(state["word_vocabulary"].tolist())}
            made.word_idf = state["word_idf"].astype(np.float32)
        return made


def _starts(texts: Sequence[str]) -> range:
    return range(0, len(texts), BATCH)


def _fitted(counts, terms, min_df, max_df, limit) -> tuple[list[int], dict[str, int], np.ndarray]:
    """Return the kept columns of ``counts``, the kept terms (term → column) and their
    smoothed IDF."""
    keep = _vocabulary(counts, terms, min_df, max_df, limit)
    if not keep:  # every term is in most texts (one sentence reworded): they are all there is
        keep = _vocabulary(counts, terms, min_df, 1.0, limit)
    if not keep:
        return [], {}, np.zeros(0, dtype=np.float32)
    df = np.bincount(counts.indices, minlength=counts.shape[1])[keep]
    idf = np.log((1 + counts.shape[0]) / (1 + df)) + 1
    return keep, {terms[j]: i for i, j in enumerate(keep)}, idf.astype(np.float32)
