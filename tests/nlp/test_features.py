"""The TF-IDF views: the same n-grams as scikit-learn's char_wb, lemmas as text.lemmatise."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from nlp.features import FEW, TextVectoriser, char_ngrams, char_text
from nlp.text import lemmatise

TEXTS = [
    "Bredbandsutbyggnaden i glesbygden går för långsamt.",
    "Bredbandet når inte byarna; bygg ut bredband!",
    "The broadband roll-out is too slow.",
    "Kommunerna satsar på BOSTÄDERNA och vägarna.",
    "Ja",
    "",
]


def test_char_ngrams_are_scikit_learns_char_wb():
    analyse = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    for text in char_text(TEXTS):
        ours = [g for chunk in text.split() for g in char_ngrams(chunk)]
        assert sorted(ours) == sorted(analyse(text))


def test_vectoriser_counts_lemmas_like_lemmatise():
    vectoriser = TextVectoriser().fit(TEXTS)
    counts = vectoriser.tables().counts(char_text(TEXTS))
    words = vectoriser.vocabulary()
    for row, expected in zip(counts.lemmas.toarray(), lemmatise(TEXTS), strict=True):
        found = sorted(w for w, c in zip(words, row, strict=True) for _ in range(int(c)))
        assert found == sorted(w for w in expected if w in vectoriser.word_vocabulary)
    assert "bredband" in words and "bostad" in words


def test_rows_are_unit_length_and_similar_texts_are_close():
    vectoriser = TextVectoriser().fit(TEXTS)
    X = vectoriser.transform(TEXTS)
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    assert np.allclose(norms[:5], 1, atol=1e-5) and norms[5] == 0
    similarity = (X @ X.T).toarray()
    assert similarity[0, 1] > similarity[0, 3]


def test_a_few_texts_get_the_rows_a_large_batch_gives_them():
    mixed = [*TEXTS, "🙂🙂", "Vägen vägen vägen, the road!", "x" * 100_000, "\x00\x01\x02"]
    vectoriser = TextVectoriser().fit(mixed)
    many = mixed * (FEW // len(mixed) + 1)  # more than FEW: counted as one batch
    batch = vectoriser.transform(many)[: len(mixed)]
    one_by_one = [vectoriser.transform([text]) for text in mixed]
    assert all(
        row.nnz == batch[i].nnz and row.dtype == batch.dtype for i, row in enumerate(one_by_one)
    )
    assert abs(batch - sp.vstack(one_by_one)).max() < 1e-6
    assert vectoriser.transform(mixed[:2]).shape == (2, vectoriser.n_features)


def test_state_round_trip_gives_the_same_rows():
    vectoriser = TextVectoriser().fit(TEXTS)
    again = TextVectoriser.from_state(vectoriser.to_state())
    assert abs(vectoriser.transform(TEXTS) - again.transform(TEXTS)).max() < 1e-6


def test_fit_refuses_nothing_to_learn_from():
    with pytest.raises(ValueError):
        TextVectoriser().fit([])
    with pytest.raises(ValueError):
        TextVectoriser().fit(["", "   "])


def test_rows_stay_the_same_when_the_chunk_caches_overflow(monkeypatch):
    import nlp.features

    vectoriser = TextVectoriser().fit(TEXTS)
    expected = vectoriser.transform(TEXTS * 3)
    monkeypatch.setattr(nlp.features, "_CHUNK_CACHE_LIMIT", 3)  # cleared again and again
    fresh = TextVectoriser.from_state(vectoriser.to_state())
    assert abs(fresh.transform(TEXTS * 3) - expected).max() < 1e-6
    assert abs(fresh.transform(TEXTS[:2]) - expected[:2]).max() < 1e-6
