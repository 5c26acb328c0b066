"""Tests of nlp.tagging: tagging from examples and from descriptions, scores, what to label next."""

from __future__ import annotations

import random

import numpy as np
import pytest

from nlp.persist import ModelFileError
from nlp.tagging import ThemeTagger

WORDS = {
    "Trafik": [
        "tågen",
        "bussarna",
        "vägarna",
        "pendlingen",
        "kollektivtrafiken",
        "järnvägen",
        "cykelbanorna",
        "hållplatserna",
    ],
    "Skola": [
        "skolan",
        "lärarna",
        "eleverna",
        "utbildningen",
        "gymnasiet",
        "undervisningen",
        "läxorna",
        "förskolan",
    ],
    "Vård": [
        "vården",
        "sjukhuset",
        "läkarna",
        "vårdcentralen",
        "sjuksköterskorna",
        "väntetiderna",
        "akuten",
        "patienterna",
    ],
    "Miljö": [
        "klimatet",
        "utsläppen",
        "naturen",
        "skogen",
        "solenergin",
        "återvinningen",
        "vattnet",
        "miljön",
    ],
    "Kultur": [
        "biblioteket",
        "museet",
        "teatern",
        "konserterna",
        "kulturhuset",
        "konstnärerna",
        "festivalerna",
        "musikskolan",
    ],
}
TEMPLATES = [
    "Jag tycker att {a} och {b} behöver mer pengar.",
    "Det är viktigt att regionen satsar på {a}.",
    "{a} fungerar dåligt här, och {b} borde bli bättre.",
    "Strategin säger för lite om {a} och {b}.",
    "Vi i kommunen vill att {a} prioriteras, särskilt {b}.",
]
LABELS = sorted(WORDS)


def synthetic(n: int, seed: int, two_share: float = 0.25) -> tuple[list[str], list[set[str]]]:
    """Return ``n`` Swedish comments about one or two themes, with their theme sets."""
    rng = random.Random(seed)
    texts, sets = [], []
    for _ in range(n):
        themes = rng.sample(LABELS, 2 if rng.random() < two_share else 1)
        if len(themes) == 1:
            a, b = rng.sample(WORDS[themes[0]], 2)
        else:
            a, b = rng.choice(WORDS[themes[0]]), rng.choice(WORDS[themes[1]])
        texts.append(rng.choice(TEMPLATES).format(a=a, b=b).capitalize())
        sets.append(set(themes))
    return texts, sets


def sample_f1(gold: list[set[str]], predicted: list[set[str]]) -> float:
    """Mean per-text F1 of predicted against gold label sets."""
    return float(
        np.mean([2 * len(g & p) / (len(g) + len(p)) for g, p in zip(gold, predicted, strict=True)])
    )


@pytest.fixture(scope="module")
def data():
    return synthetic(160, seed=1), synthetic(80, seed=2)


@pytest.fixture(scope="module")
def tagger(data):
    (texts, sets), _ = data
    return ThemeTagger.fit(texts, sets)


# -- from examples -----------------------------------------------------------------------------


def test_fit_predicts_multiple_labels(tagger, data):
    _, (texts, sets) = data
    predicted = tagger.predict(texts)
    assert len(predicted) == len(texts)
    assert all(isinstance(p, set) and p <= set(LABELS) for p in predicted)
    assert sample_f1(sets, predicted) > 0.85
    both = tagger.predict(["Vården är bra men tågen är alltid sena."])[0]
    assert both == {"Vård", "Trafik"}


def test_scores_are_calibrated_probabilities(tagger, data):
    _, (texts, sets) = data
    scores = tagger.scores(texts)
    assert len(scores) == len(texts)
    assert all(set(row) == set(LABELS) for row in scores)
    values = np.array([[row[label] for label in LABELS] for row in scores])
    assert values.min() >= 0 and values.max() <= 1
    gold = np.array([[label in s for label in LABELS] for s in sets])
    assert values[gold].mean() > values[~gold].mean() + 0.5
    # Calibrated: across labels, the mean score is close to the share of positives.
    assert abs(values.mean() - gold.mean()) < 0.1


def test_top_fallback_is_an_option(tagger):
    texts = ["Strategin är bra.", "Tack för ordet.", "Skolan behöver fler lärare."]
    with_fallback = tagger.predict(texts)
    without = tagger.predict(texts, top_fallback=False)
    assert all(with_fallback)
    assert without[2] == with_fallback[2] == {"Skola"}
    assert any(not off for off in without)  # no theme passes its threshold
    for text, on, off in zip(texts, with_fallback, without, strict=True):
        scores = tagger.scores([text])[0]
        assert on == off or (not off and on == {max(scores, key=scores.get)})
    assert ThemeTagger.fit(*synthetic(40, seed=9), top_fallback=False).predict(texts[:2]) == [
        set(),
        set(),
    ]


def test_label_with_one_example_still_works(data):
    (texts, sets), _ = data
    texts = texts + ["Det behövs fler hyresrätter och bostäder för unga."]
    sets = sets + [{"Bostäder"}]
    tagger = ThemeTagger.fit(texts, sets)
    assert "Bostäder" in tagger.labels
    scores = tagger.scores(["Bostäder för unga saknas, bygg fler hyresrätter."])[0]
    assert 0 <= scores["Bostäder"] <= 1
    assert max(scores, key=scores.get) == "Bostäder"


def test_one_label_on_every_text():
    tagger = ThemeTagger.fit(["Tågen är sena.", "Bussarna är fulla."], [{"Trafik"}, {"Trafik"}])
    assert tagger.predict(["Vägarna är dåliga."]) == [{"Trafik"}]


def test_save_load_gives_identical_scores(tagger, data, tmp_path):
    _, (texts, _) = data
    path = tmp_path / "tagger.npz"
    tagger.save(path)
    loaded = ThemeTagger.load(path)
    assert loaded.labels == tagger.labels
    assert loaded.scores(texts) == tagger.scores(texts)
    assert loaded.predict(texts) == tagger.predict(texts)
    assert loaded.to_label_next(texts, 5) == tagger.to_label_next(texts, 5)


def test_load_refuses_other_files(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.arange(3))
    with pytest.raises(ModelFileError):
        ThemeTagger.load(path)


# -- mutually exclusive labels, large example sets, older files --------------------------------


@pytest.fixture(scope="module")
def exclusive():
    """A tagger fitted on examples that each carry exactly one label, and held-out data."""
    texts, sets = synthetic(200, seed=11, two_share=0)
    return ThemeTagger.fit(texts, sets), synthetic(100, seed=12, two_share=0)


def test_one_label_per_example_gives_one_label_per_text(exclusive):
    tagger, (texts, sets) = exclusive
    predicted = tagger.predict(texts + ["Vården är bra men tågen är alltid sena.", ""])
    assert all(len(p) == 1 for p in predicted[:-1]) and predicted[-1] == set()
    assert sample_f1(sets, predicted[: len(texts)]) > 0.9
    # Scores are class probabilities: they sum to one and the top one is the prediction.
    for row, label in zip(tagger.scores(texts), predicted, strict=False):
        assert sum(row.values()) == pytest.approx(1.0)
        assert {max(row, key=row.get)} == label
    # Calibrated: the mean top score is close to how often the top label is right.
    top = np.array([max(row.values()) for row in tagger.scores(texts)])
    right = np.array([p == g for p, g in zip(predicted, sets, strict=False)])
    assert abs(top.mean() - right.mean()) < 0.1


def test_exclusive_tagger_round_trip_and_label_next(exclusive, tmp_path):
    tagger, (texts, _) = exclusive
    tagger.save(tmp_path / "exclusive.npz")
    loaded = ThemeTagger.load(tmp_path / "exclusive.npz")
    assert loaded.scores(texts) == tagger.scores(texts)
    assert loaded.predict(texts) == tagger.predict(texts)
    clear, mixed = "Skolan och lärarna behöver mer pengar.", "Vägarna, skolan och vården."
    assert tagger.to_label_next([clear, mixed], 1) == [1]


def test_a_few_multi_label_examples_keep_the_multi_label_tagger():
    texts, sets = synthetic(120, seed=13, two_share=0.2)
    predicted = ThemeTagger.fit(texts, sets).predict(["Vården är bra men tågen är alltid sena."])
    assert predicted == [{"Vård", "Trafik"}]


def test_many_examples_are_learnt_from_a_sample(monkeypatch):
    import nlp.tagging

    monkeypatch.setattr(nlp.tagging, "MAX_ROWS", 60)
    texts, sets = synthetic(150, seed=14)
    tagger = ThemeTagger.fit(texts, sets)
    assert len(tagger.examples[0]) == 150  # all kept for fit_more
    held_texts, held_sets = synthetic(80, seed=15)
    assert sample_f1(held_sets, tagger.predict(held_texts)) > 0.7
    assert ThemeTagger.fit(texts, sets).scores(held_texts) == tagger.scores(held_texts)


def test_a_version_1_file_still_loads(tagger, data, tmp_path):
    from nlp import persist

    _, (texts, _) = data
    path = tmp_path / "v1.npz"
    tagger.save(path)
    arrays, meta = persist.load(path, "theme-tagger", 2)
    del meta["exclusive_scale"]
    persist.save(path, "theme-tagger", 1, arrays, meta)
    assert ThemeTagger.load(path).predict(texts) == tagger.predict(texts)


# -- from descriptions -------------------------------------------------------------------------

RUS = {
    "Innovationskraft": "innovation, forskning, nya idéer, universitet, entreprenörskap, "
    "testbäddar och samverkan mellan akademi och företag",
    "Näringslivsutveckling": "företag, näringsliv, besöksnäring, export, investeringar, "
    "nyföretagande och lokala företags tillväxt",
    "Digital utveckling": "digitalisering, bredband, uppkoppling, e-tjänster, it och "
    "digital kompetens",
    "Sysselsättning och kompetensförsörjning": "jobb, arbetslöshet, utbildning, "
    "yrkesutbildning, kompetens, arbetsmarknad "
    "och arbetskraft",
    "Trafik och infrastruktur": "vägar, tåg, järnväg, kollektivtrafik, bussar, pendling, "
    "flyg och hamnar",
    "Kultur och livsmiljöer": "kultur, bibliotek, museer, idrott, bostäder, boende, "
    "fritid och attraktiva livsmiljöer",
    "Internationellt och regionalt samarbete": "samarbete med andra regioner och länder, "
    "EU, Norge, Finland, gränsöverskridande "
    "samverkan och internationella projekt",
    "Energi, miljö och klimat": "energi, vindkraft, solenergi, miljö, klimat, utsläpp, "
    "biologisk mångfald och hållbarhet",
}
CLEAR = {
    "Vi behöver fler tåg och bättre vägar mellan orterna.": "Trafik",
    "Bredbandet på landsbygden måste byggas ut, uppkopplingen är för dålig.": "Digital",
    "Vindkraften och solenergin ska minska utsläppen.": "Energi",
    "Biblioteken och museerna gör orten levande.": "Kultur",
    "Samarbetet med Norge och Finland inom EU-projekt bör stärkas.": "Internationellt",
    "Företagen behöver hjälp att exportera och locka investeringar.": "Näringsliv",
    "Arbetslösheten är hög; fler yrkesutbildningar skulle ge arbetskraft.": "Sysselsättning",
    "Universitetet och forskningen ska skapa innovationer med företagen.": "Innovation",
}
THEME = {
    text: next(name for name in RUS if name.startswith(short)) for text, short in CLEAR.items()
}


def test_from_descriptions_picks_the_right_theme():
    tagger = ThemeTagger.from_descriptions(RUS)
    texts = list(CLEAR)
    for text, scores, predicted in zip(
        texts, tagger.scores(texts), tagger.predict(texts), strict=True
    ):
        assert set(scores) == set(RUS)
        assert all(0 <= v <= 1 for v in scores.values())
        assert max(scores, key=scores.get) == THEME[text], text
        assert THEME[text] in predicted
        assert len(predicted) <= 3


def test_from_descriptions_with_a_corpus_and_round_trip(tmp_path):
    corpus = list(CLEAR) + ["Kommunen tycker att strategin är bra.", "Mer pengar behövs."]
    tagger = ThemeTagger.from_descriptions(RUS, corpus=corpus)
    assert tagger.predict(["Tågen måste gå oftare."]) == [{"Trafik och infrastruktur"}]
    tagger.save(tmp_path / "zs.npz")
    loaded = ThemeTagger.load(tmp_path / "zs.npz")
    assert loaded.scores(corpus) == tagger.scores(corpus)


VAGUE = {
    "Trafik": "resor och transporter, tågen",
    "Skola": "barn och unga, skolan",
    "Vård": "hälsa och sjukdom, vården",
    "Miljö": "natur och hållbarhet, klimatet",
    "Kultur": "fritid och upplevelser, teatern",
}


def test_improves_as_staff_label_more():
    texts, sets = synthetic(200, seed=3, two_share=0)
    held_texts, held_sets = synthetic(150, seed=4, two_share=0)
    tagger = ThemeTagger.from_descriptions(VAGUE)
    accuracy = [sample_f1(held_sets, tagger.predict(held_texts))]
    labelled = 0
    for upto in (10, 40, 200):
        tagger = tagger.fit_more(texts[labelled:upto], sets[labelled:upto])
        labelled = upto
        accuracy.append(sample_f1(held_sets, tagger.predict(held_texts)))
    assert len(tagger.examples[0]) == 200
    assert accuracy[-1] > accuracy[0] + 0.2
    assert accuracy[-1] >= max(accuracy[:-1])
    assert accuracy[2] > accuracy[0]


def test_fit_with_descriptions_knows_described_labels_without_examples():
    texts, sets = synthetic(60, seed=5, two_share=0)
    keep = [i for i, s in enumerate(sets) if "Kultur" not in s]
    tagger = ThemeTagger.fit([texts[i] for i in keep], [sets[i] for i in keep], descriptions=VAGUE)
    assert set(tagger.labels) == set(VAGUE)
    assert tagger.predict(["Teatern behöver större scen."]) == [{"Kultur"}]


# -- what to label next ------------------------------------------------------------------------


def test_to_label_next_gives_k_distinct_informative_indices(tagger):
    texts, _ = synthetic(60, seed=6)
    texts += ["Vägarna och skolan och vården och klimatet och museet."] * 3
    picked = tagger.to_label_next(texts, 10)
    assert len(picked) == 10 == len(set(picked))
    assert all(0 <= i < len(texts) for i in picked)
    assert picked == tagger.to_label_next(texts, 10)
    assert sum(i >= 60 for i in picked) <= 1  # near-identical texts are not picked twice
    assert sorted(tagger.to_label_next(texts, 1000)) == list(range(len(texts)))
    assert tagger.to_label_next(texts, 0) == []


def test_to_label_next_prefers_uncertain_texts(tagger):
    clear = ["Skolan och lärarna behöver mer pengar."] * 1
    mixed = ["Vägarna, skolan, vården, klimatet och museet."]
    assert tagger.to_label_next(clear + mixed, 1) == [1]


def test_to_label_next_from_descriptions():
    tagger = ThemeTagger.from_descriptions(RUS)
    texts = list(CLEAR) + ["Strategin är bra.", ""]
    picked = tagger.to_label_next(texts, 3)
    assert len(set(picked)) == 3
    assert picked[-1] != len(texts) - 1  # an empty text teaches nothing


# -- bad input ---------------------------------------------------------------------------------


def test_empty_and_odd_texts_do_not_crash(tagger):
    assert tagger.predict([]) == [] and tagger.scores([]) == []
    assert tagger.to_label_next([], 3) == []
    odd = ["", "   ", "🙂🎉🙂", "\x00\x01binär", "Tågen " * 20_000]
    predicted = tagger.predict(odd)
    assert predicted[0] == set() and predicted[1] == set() and predicted[2] == set()
    assert "Trafik" in predicted[4]
    for row in tagger.scores(odd):
        assert all(0 <= v <= 1 for v in row.values())
    zero_shot = ThemeTagger.from_descriptions(RUS)
    assert zero_shot.predict(odd[:3]) == [set(), set(), set()]
    assert len(zero_shot.scores(odd)) == len(odd)


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [
        (["Tågen är sena.", "Skolan är bra."], [{"Trafik"}], "label sets"),
        (["Tågen är sena.", "Skolan är bra."], [set(), set()], "no labels"),
        ([], [], "no labels"),
        (["Tågen är sena."], [{""}], "non-empty"),
        (["", "  "], [{"A"}, {"B"}], "no usable text"),
    ],
)
def test_fit_refuses_caller_mistakes(texts, labels, message):
    with pytest.raises(ValueError, match=message):
        ThemeTagger.fit(texts, labels)


def test_fit_learns_from_texts_that_all_use_the_same_words():
    # Every n-gram is in every text, so the usual cut of terms in most texts left nothing.
    words = "vi vill ha fler tåg och bättre vägar i inlandet nu tack".split()
    texts = [" ".join(words[i:] + words[:i]) for i in range(len(words))] * 3
    labels = [{"Trafik"} if i % 2 else {"Landsbygd"} for i in range(len(texts))]
    tagger = ThemeTagger.fit(texts, labels)
    predicted = tagger.predict(texts[:4])
    assert all(found and found <= {"Trafik", "Landsbygd"} for found in predicted)


def test_other_caller_mistakes(tagger):
    with pytest.raises(ValueError, match="non-empty mapping"):
        ThemeTagger.from_descriptions({})
    with pytest.raises(ValueError, match="non-empty mapping"):
        ThemeTagger.fit(["Tågen."], [{"Trafik"}], descriptions={})
    with pytest.raises(ValueError, match="one string"):
        tagger.predict("Tågen är sena.")
    with pytest.raises(ValueError, match="non-negative"):
        tagger.to_label_next(["Tågen."], -1)
    with pytest.raises(ValueError, match="label sets"):
        tagger.fit_more(["Tågen."], [])


def test_large_inputs_are_scored_in_batches_with_the_same_result(tagger, data, monkeypatch):
    import nlp.tagging

    _, (texts, _) = data
    predicted, scores = tagger.predict(texts), tagger.scores(texts)
    monkeypatch.setattr(nlp.tagging, "PREDICT_BATCH", 7)  # 80 texts: 12 batches, one short
    assert tagger.predict(texts) == predicted
    in_batches = tagger.scores(texts)
    assert len(in_batches) == len(scores)
    for row, expected in zip(in_batches, scores, strict=True):
        assert row == pytest.approx(expected, abs=1e-6)
