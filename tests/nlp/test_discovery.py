"""Theme discovery: themes, outliers, campaigns, assignment and persistence."""

import random

import pytest

import nlp
from nlp.discovery import ThemeModel, theme_bound
from nlp.persist import ModelFileError

TOPICS = {
    "trafik": [
        "Vi behöver fler tåg och bättre vägar i inlandet",
        "Norrbotniabanan måste byggas så att tågen kan gå hela vägen",
        "Bussar och tåg i glesbygden har för få avgångar",
        "Vägen E12 behöver breddas och tågtrafiken byggas ut",
        "Pendeltåg mellan Umeå och Skellefteå och bättre vägar vore bra",
        "Vägarna till Lycksele har tjälskador och tågen är försenade",
        "Kollektivtrafiken med buss och tåg behöver samordnas",
        "Fler tåg och säkrare vägar gör det lättare att pendla",
    ],
    "bostad": [
        "Det saknas bostäder för dem som flyttar till batterifabriken",
        "Kommunerna måste bygga fler bostäder och hyresrätter",
        "Bristen på bostäder hindrar företagen från att rekrytera",
        "Bostäder för studenter i Umeå är för få och för dyra",
        "Nya bostäder behöver byggas nära kollektivtrafik",
        "Hyrorna för nya bostäder är för höga för unga",
        "Staten borde stödja byggandet av bostäder i glesbygden",
        "Att bygga om äldre hus till bostäder är ett bra sätt",
    ],
    "rennäring": [
        "Vindkraften tar renbete från samebyarna",
        "Rennäringen och samebyarna måste få vara med när gruvor planeras",
        "Samebyarnas renskötsel behöver skydd mot exploatering",
        "Renarnas flyttleder korsas av vindkraft och kraftledningar",
        "Samebyarna bör ha vetorätt när vindkraft och gruvor etableras",
        "Betesmarkerna för renar krymper när vindkraften byggs ut",
        "Samisk kultur och rennäring hör ihop och renskötseln ska stärkas",
        "Gruvor i renskötselområdet hotar renarnas vinterbete",
    ],
}


def _corpus(seed=1):
    rng = random.Random(seed)
    texts, truth = [], []
    for topic, sentences in TOPICS.items():
        for sentence in sentences:
            for variant in ("", " Det är viktigt.", " Tack för möjligheten att tycka till."):
                texts.append(sentence + "." + variant)
                truth.append(topic)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [truth[i] for i in order]


def _purity(assignments, truth):
    good = 0
    for theme in set(assignments) - {-1}:
        members = [t for a, t in zip(assignments, truth, strict=True) if a == theme]
        good += max(members.count(t) for t in set(members))
    return good / len(truth)


def test_finds_the_topics_with_readable_labels():
    texts, truth = _corpus()
    model = nlp.discover_themes(texts, n_themes=3, seed=0)
    assert len(model.assignments) == len(texts)
    assert len(model.themes) == 3
    assert _purity(model.assignments, truth) >= 0.8
    words = {w for theme in model.themes for w in theme.keywords}
    assert words & {"bostäder", "hyresrätter"} and words & {"tåg", "vägar", "vägarna"}
    for theme in model.themes:
        assert theme.label and theme.label[0].isupper() and theme.size > 0
        assert all(0 <= i < len(texts) for i in theme.representatives)
        assert all(model.assignments[i] == model.themes.index(theme) for i in theme.representatives)
        assert len(theme.neighbours) <= 2 and model.themes.index(theme) not in theme.neighbours
    assert [t.size for t in model.themes] == sorted((t.size for t in model.themes), reverse=True)


def test_chooses_the_number_of_themes_within_bounds():
    texts, _ = _corpus()
    model = nlp.discover_themes(texts)
    assert 2 <= len(model.themes) <= theme_bound(len(texts))
    assert theme_bound(10**7) == 70 and theme_bound(3) == 2


def test_texts_without_structure_are_not_split_into_many_themes():
    # Words drawn at random: every split is noise. The silhouette alone grows with each
    # theme added (searching by it alone gave 11 themes here); above chance it stops early.
    rng = random.Random(7)
    syllables = ["ka", "lo", "mi", "ter", "sun", "va", "rö", "bä", "gen", "dal", "skog", "hav"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))) for _ in range(600)]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(8, 16))) for _ in range(250)]
    model = nlp.discover_themes(texts, seed=0)
    assert len(model.themes) <= theme_bound(len(texts)) // 2
    # A split of noise has nothing distinctive to name: it is dissolved, not kept.
    assert set(model.assignments) <= {-1, *range(len(model.themes))}


def test_is_deterministic_for_a_seed():
    texts, _ = _corpus()
    first = nlp.discover_themes(texts, seed=3)
    second = nlp.discover_themes(texts, seed=3)
    assert first.assignments == second.assignments
    assert [t.label for t in first.themes] == [t.label for t in second.themes]


def test_a_campaign_counts_once_when_themes_are_formed():
    texts, _ = _corpus()
    campaign = "Stoppa vindkraftsparken vid Storliden, den förstör renbetet för Ranbyn. Hälsningar"
    copies = [campaign.replace("Hälsningar", f"Hälsningar {name}") for name in "ABCDEFGHIJ" * 20]
    model = nlp.discover_themes(texts + copies, seed=0)
    themes_of_copies = {model.assignments[len(texts) + i] for i in range(len(copies))}
    assert len(themes_of_copies) == 1
    theme = model.themes[themes_of_copies.pop()]
    assert theme.size >= len(copies) and theme.distinct < 30


def test_assign_places_new_texts_without_reclustering():
    texts, truth = _corpus()
    model = nlp.discover_themes(texts, n_themes=3, seed=0)
    by_topic = {}
    for a, t in zip(model.assignments, truth, strict=True):
        by_topic.setdefault(t, []).append(a)
    expected = {t: max(set(a), key=a.count) for t, a in by_topic.items()}
    placed = model.assign(["Fler tåg till inlandet och bättre vägar", "Bygg fler hyresrätter"])
    assert placed == [expected["trafik"], expected["bostad"]]
    assert model.assign(["xyzzy qwerty"]) == [-1]
    assert model.assign([]) == []


def test_comments_that_fit_no_theme_are_left_out():
    texts, truth = _corpus()
    generic = [
        "Jag har inga synpunkter alls på det här.",
        "Det är bra att ni frågar oss om detta.",
        "Hej hej, mvh Anna",
    ]
    model = nlp.discover_themes(texts + generic, n_themes=3, seed=0)
    assert model.assignments[-3:] == [-1, -1, -1]
    assert sum(a == -1 for a in model.assignments[:-3]) <= 2  # the topics' texts stay in
    assert model.assign(generic[:1] + ["Fler tåg och bättre vägar behövs"])[0] == -1
    assert model.assign(["Fler tåg och bättre vägar behövs"])[0] >= 0


def test_large_corpora_form_themes_on_a_sample_and_place_the_rest(monkeypatch):
    from nlp import discovery

    texts, truth = _corpus()
    monkeypatch.setattr(discovery, "FIT_ROWS", 30)
    monkeypatch.setattr(discovery, "PLACE_BATCH", 7)
    model = nlp.discover_themes(texts, n_themes=3, seed=0)
    assert _purity(model.assignments, truth) >= 0.8
    assert sum(t.size for t in model.themes) == sum(a >= 0 for a in model.assignments)
    in_batches = model.assign(texts)
    monkeypatch.setattr(discovery, "PLACE_BATCH", 10_000)
    assert model.assign(texts) == in_batches


def test_save_and_load_round_trip(tmp_path):
    texts, _ = _corpus()
    model = nlp.discover_themes(texts, n_themes=3, seed=0)
    path = tmp_path / "themes.npz"
    model.save(path)
    loaded = ThemeModel.load(path)
    assert loaded.assignments == model.assignments
    assert [t.__dict__ for t in loaded.themes] == [t.__dict__ for t in model.themes]
    probe = ["Fler tåg", "Bostäder åt alla", "Renbete och vindkraft"]
    assert loaded.assign(probe) == model.assign(probe)


def test_load_refuses_other_files(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelFileError):
        ThemeModel.load(bad)


def test_merge_suggestions_are_pairs_of_close_themes():
    texts, _ = _corpus()
    model = nlp.discover_themes(texts, n_themes=6, seed=0)
    for i, j, similarity in model.merge_suggestions(0.0):
        assert i < j and 0 <= similarity <= 1


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        ([], []),
        (["Bara en kommentar om tåg"], [0]),
        (["Fler tåg till inlandet"] * 5, [0] * 5),
        (["", "   ", "😀😀", "\x00\x01\x02"], [-1] * 4),
    ],
)
def test_bad_and_degenerate_input(texts, expected):
    model = nlp.discover_themes(texts)
    assert model.assignments == expected
    assert len(model.themes) == (1 if expected and expected[0] == 0 else 0)


def test_very_long_text_does_not_hang():
    texts, _ = _corpus()
    model = nlp.discover_themes(texts + ["tåg och vägar " * 20_000], n_themes=3)
    assert len(model.assignments) == len(texts) + 1


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3"])
def test_caller_mistakes_are_value_errors(bad):
    with pytest.raises(ValueError):
        nlp.discover_themes(["a b c", "d e f"], n_themes=bad)


def test_texts_must_be_strings():
    with pytest.raises(TypeError):
        nlp.discover_themes("not a list")
    with pytest.raises(TypeError):
        nlp.discover_themes(["ok", 3])


def test_a_few_texts_that_share_nothing_are_a_catch_all_though_each_is_part_of_their_centre():
    import numpy as np
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    from nlp.discovery import Placement, _catch_all

    # Theme 0: six texts that share nothing but a word every text of the corpus uses (the
    # last column). Each is a sixth of its theme's centre, and that part alone makes it
    # 1.47 times closer to the centre than to the corpus's. Themes 1 to 3: six texts each
    # that share most of what they say.
    words = np.zeros((24, 24))
    words[:6, :6] = np.eye(6)
    for t in range(1, 4):
        words[6 * t : 6 * t + 6, 6 * t : 6 * t + 6] = 1 + 0.3 * np.eye(6)
    X = sp.csr_matrix(np.hstack([normalize(words) * np.sqrt(0.8), np.full((24, 1), 0.2**0.5)]))
    labels = np.repeat([0, 1, 2, 3], 6)
    sums = sp.csr_matrix(np.vstack([X[labels == t].sum(axis=0) for t in range(4)]))
    similarity = np.asarray(X @ normalize(sums.toarray()).T)[np.arange(24), labels]
    corpus = np.asarray(X.sum(axis=0)).ravel()
    to_corpus = X @ (corpus / np.linalg.norm(corpus))
    norm = np.linalg.norm(corpus)
    placed = Placement(
        labels, similarity, to_corpus, sums, corpus, np.zeros(5), np.full(24, "sv"), to_corpus,
        {"sv": norm},
    )  # fmt: skip

    assert similarity[:6].mean() > 1.25 * to_corpus[:6].mean()  # passes the plain ratio
    assert _catch_all(placed, labels == 0, norm)
    for t in range(1, 4):
        assert not _catch_all(placed, labels == t, norm)


ENGLISH_ASIDES = [
    "Is there going to be an English version of the strategy for people who work here?",
    "The ferry link across the Kvarken should be recognised, people here depend on it.",
    "As an employer recruiting people from abroad, we find that childcare is hard to get.",
    "Good to see the border mentioned, the port of Mo i Rana is a natural partner for work here.",
    "The three directions overlap a lot and could pull in opposite directions.",
    "I moved here for work in the battery sector and lived in a cabin for four months.",
    "Our research group would welcome clearer funding rules for people from other countries.",
    "The tourism season is too short, and the hotels close when the snow melts.",
    "People who move here for work need help to find a flat and a school.",
    "Please publish the summary in English too, many people here do not read Swedish.",
]


def test_texts_that_share_only_their_language_are_in_no_theme(tmp_path):
    # Three Swedish topics and ten English comments on ten subjects, which share English
    # words and nothing else. Placed by how far they are from the whole corpus, they joined a
    # Swedish theme ("Vägar och people"); as a theme of their own they would stand for the
    # language, not a topic. They are left without a theme, also when placed anew.
    texts, truth = _corpus()
    texts, truth = texts + ENGLISH_ASIDES, truth + ["english"] * len(ENGLISH_ASIDES)
    model = nlp.discover_themes(texts, seed=0)
    english = [a for a, t in zip(model.assignments, truth, strict=True) if t == "english"]
    assert english == [-1] * len(ENGLISH_ASIDES)
    swedish = [a for a, t in zip(model.assignments, truth, strict=True) if t != "english"]
    assert sum(a >= 0 for a in swedish) >= 0.9 * len(swedish)
    model.save(tmp_path / "model.npz")
    again = ThemeModel.load(tmp_path / "model.npz")
    assert set(again.language_centres) == set(model.language_centres) == {"sv", "en"}
    new = ["We need more trains for people who work here.", "Fler tåg och bättre vägar i inlandet."]
    placed = again.assign(new)
    assert placed[0] == -1 and again.themes[placed[1]].label == "Vägar"
