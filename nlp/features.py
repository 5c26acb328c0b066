"""Vectors for texts: sparse TF-IDF that survives Swedish compounds.

Two views are joined: character n-grams within words (``char_wb``, 3–5) of the normalised,
lower-cased text, which match the parts of compounds ("bredbandsutbyggnad" shares
"bredband" with "bredbandet"); and whole-word lemmas without stop words, which carry the
readable vocabulary. Large corpora fit the vocabulary on a sample; rows stay sparse, so
the corpus is never held as a dense matrix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from .text import lemmatise, normalise

WORD_WEIGHT = 0.7
FIT_SAMPLE = 40_000
BATCH = 10_000


def char_text(texts: Sequence[str]) -> list[str]:
    """Return the texts as the character view sees them: normalised and lower-cased."""
    return [normalise(t).lower() for t in texts]


def lemma_text(texts: Sequence[str]) -> list[str]:
    """Return each text as its lemmas (stop words removed) joined by spaces."""
    return [" ".join(words) for words in lemmatise(texts)]


def _sample(n: int, size: int, seed: int) -> np.ndarray:
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


class TextVectoriser:
    """Joined char n-gram and lemma TF-IDF, L2-normalised rows; fit once, transform many."""

    def __init__(self, max_char_features: int = 60_000, max_word_features: int = 30_000):
        self.char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            max_df=0.5,
            max_features=max_char_features,
            dtype=np.float32,
        )
        self.word = TfidfVectorizer(
            token_pattern=r"\S+",
            sublinear_tf=True,
            max_df=0.5,
            max_features=max_word_features,
            dtype=np.float32,
        )

    def fit(
        self, texts: Sequence[str], seed: int = 0, lemmas: Sequence[str] | None = None
    ) -> TextVectoriser:
        """Learn vocabularies and IDF weights (from a sample of large corpora); ``lemmas``,
        if the caller has them already, spares lemmatising twice."""
        if len(texts) == 0:
            raise ValueError("cannot fit on no texts")
        picked = _sample(len(texts), FIT_SAMPLE, seed)
        chosen = [texts[i] for i in picked]
        min_df = 2 if len(chosen) > 500 else 1
        self.char.set_params(min_df=min_df, max_df=0.5 if len(chosen) > 20 else 1.0)
        self.word.set_params(min_df=min_df, max_df=0.5 if len(chosen) > 20 else 1.0)
        self.char.fit(char_text(chosen))
        chosen_lemmas = [lemmas[i] for i in picked] if lemmas is not None else lemma_text(chosen)
        if any(chosen_lemmas):
            self.word.fit(chosen_lemmas)
        else:
            self.word = None
        return self

    def transform(self, texts: Sequence[str], lemmas: Sequence[str] | None = None) -> sp.csr_matrix:
        """Return the TF-IDF rows of ``texts`` (``lemmas`` may be passed if already computed);
        large inputs are transformed in batches to bound the vectoriser's temporary memory."""
        if len(texts) > BATCH:
            return sp.vstack(
                [
                    self.transform(
                        texts[i : i + BATCH], None if lemmas is None else lemmas[i : i + BATCH]
                    )
                    for i in range(0, len(texts), BATCH)
                ],
                format="csr",
            )
        parts = [self.char.transform(char_text(texts))]
        if self.word is not None:
            words = self.word.transform(lemmas if lemmas is not None else lemma_text(texts))
            parts.append(words * WORD_WEIGHT)
        return normalize(sp.hstack(parts, format="csr"))

    @property
    def n_features(self) -> int:
        """Number of columns of ``transform``'s result."""
        words = len(self.word.vocabulary_) if self.word is not None else 0
        return len(self.char.vocabulary_) + words

    def vocabulary(self) -> list[str]:
        """Return the lemma vocabulary (word view), in column order."""
        return list(self.word.get_feature_names_out()) if self.word is not None else []

    def to_state(self) -> dict:
        """Return arrays and plain values that rebuild this vectoriser (see ``from_state``)."""
        state = {
            "char_vocabulary": np.array(self.char.get_feature_names_out(), dtype=str),
            "char_idf": self.char.idf_.astype(np.float32),
        }
        if self.word is not None:
            state["word_vocabulary"] = np.array(self.word.get_feature_names_out(), dtype=str)
            state["word_idf"] = self.word.idf_.astype(np.float32)
        return state

    @classmethod
    def from_state(cls, state: dict) -> TextVectoriser:
        """Rebuild a fitted vectoriser from ``to_state``'s values."""
        made = cls()
        made.char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            dtype=np.float32,
            vocabulary={t: i for i, t in enumerate(state["char_vocabulary"].tolist())},
        )
        made.char.idf_ = state["char_idf"].astype(np.float64)
        if "word_vocabulary" in state:
            made.word = TfidfVectorizer(
                token_pattern=r"\S+",
                sublinear_tf=True,
                dtype=np.float32,
                vocabulary={t: i for i, t in enumerate(state["word_vocabulary"].tolist())},
            )
            made.word.idf_ = state["word_idf"].astype(np.float64)
        else:
            made.word = None
        return made
