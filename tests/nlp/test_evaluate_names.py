"""The names figures of ``python -m nlp.evaluate``, on tiny hand-made themes and texts."""

import math

import pytest

from nlp.discovery import Theme, ThemeModel
from nlp.evaluate import names
from nlp.evaluate.discovery import DiscoveryResult

TEXTS = [
    "Vägarna i Umeå bör lagas, vägen är dålig",  # theme 0
    "Tåg och väg bör byggas ut",  # theme 0
    "Bostäder bör byggas i Umeå",  # theme 1
    "Fler bostäder bör byggas nu",  # theme 1
    "Kapitel två nämns inte men bör nämnas",  # not themed
]
ASSIGNMENTS = [0, 0, 1, 1, -1]
GOLD = ["trafik", "trafik", "bostad", "bostad", "övrigt"]


def theme(label: str, keywords: list[str] = ()) -> Theme:
    return Theme(label, list(keywords), 0, 0, [], [])


def test_a_lemma_artefact_is_not_as_written_and_is_listed():
    themes = [theme("Vägare, väg", ["vägare", "vägarna", "tåg"]), theme("Bostäder", ["bostad"])]
    label, keywords, failing = names.as_written(TEXTS, ASSIGNMENTS, themes)
    assert label == pytest.approx(2 / 3)  # "vägare" fails; "väg" and "bostäder" occur
    assert keywords == pytest.approx(2 / 4)  # "vägare" and the lemma "bostad" fail
    assert failing == ["vägare", "bostad"]


def test_a_word_counts_only_in_its_own_themes_texts_whole_and_any_case():
    # "Umeå" occurs in theme 1's texts too, but "umeå" is checked in theme 0's; "väg" is not
    # found inside "vägarna"; "Kapitel" is in a not-themed text only.
    themes = [theme("UMEÅ"), theme("Kapitel")]
    label, _, failing = names.as_written(TEXTS, ASSIGNMENTS, themes)
    assert label == 0.5 and failing == ["kapitel"]
    only_in_part = names.as_written(["Vägarna är dåliga"], [0], [theme("Väg")])
    assert only_in_part[0] == 0.0


def test_a_distinctive_name_scores_above_a_word_found_everywhere():
    themes = [theme("Tåg"), theme("Bostäder")]
    everywhere = [theme("Bör"), theme("Bör")]
    # "tåg": in 1 of theme 0's 2 texts, none of the 3 others (floored at ½): (1/2) / (½/3) = 3;
    # "bostäder": in both of theme 1's, none outside: 6; the mean weighted by size: 4.5.
    assert names.distinctiveness(TEXTS, ASSIGNMENTS, themes) == pytest.approx(4.5)
    assert names.distinctiveness(TEXTS, ASSIGNMENTS, everywhere) == pytest.approx(1.0)


def test_a_words_lift_is_capped_and_zero_when_not_in_the_theme_as_written():
    assert names.lift("abort", [{"abort"}] * 50, [set()] * 500) == names.LIFT_CAP
    assert names.lift("böra", [{"bör"}] * 5, [{"bör"}] * 5) == 0.0


def test_stop_words_in_a_name_are_left_out_of_distinctiveness():
    with_och = [theme("Tåg och väg"), theme("Bostäder")]
    without = [theme("Tåg väg"), theme("Bostäder")]
    assert names.distinctiveness(TEXTS, ASSIGNMENTS, with_och, ignore={"och"}) == pytest.approx(
        names.distinctiveness(TEXTS, ASSIGNMENTS, without)
    )


def test_largest_share_beside_gold_and_the_not_themed_share():
    largest, not_themed, gold = names.largest_share([0, 0, 0, 1, -1], ["a", "a", "b", "b", "c"])
    assert (largest, not_themed, gold) == pytest.approx((0.6, 0.2, 0.4))


def test_genre_share_counts_names_with_a_genre_word():
    themes = [theme("Nämna, böra, kapitel"), theme("Tåg och vägar"), theme("Strategins mål")]
    assert names.genre_share(themes, ("böra", "strategi")) == pytest.approx(1 / 3)
    assert math.isnan(names.genre_share([], ("böra",)))


def test_the_report_flags_a_catch_all_and_lists_failing_words(monkeypatch):
    monkeypatch.setattr(names, "genre_words", lambda: (("nämna",), "test list"))
    model = ThemeModel(
        ASSIGNMENTS[:4] + [0], [theme("Vägare, nämna"), theme("Bostäder")], None, None
    )
    scores = names.name_scores(TEXTS, GOLD, model)
    result = DiscoveryResult("toy", True, 5, 3, {}, {}, {}, [2], 0.0, 0.0, [("auto k", scores)])
    rows = {r.metric: r for r in names.names_rows([result])}
    largest = rows["largest theme share, auto k"]
    assert (largest.baseline, largest.engine, largest.change) == ("40.0% gold", "60.0%", "+20.0 pt")
    assert "FLAG" in largest.note
    assert "failing: vägare, nämna" in rows["name words as written, auto k"].note
    assert rows["names with a genre word, auto k"].engine == "50.0%"
    verdicts = {t.text: t.met for t in names.names_targets([result])}
    assert verdicts == {
        "largest theme share within 10 pt of gold on toy, auto k": False,
        "name words 100% as written on toy, auto k": False,
    }
