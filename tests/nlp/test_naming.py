"""Theme names, keywords and descriptions: in the comments' own words, never the genre's."""

import re

import numpy as np

import nlp
from nlp.genre import is_filler, is_genre
from nlp.naming import CONNECTOR, name_themes, shorten, swedish_verb_form, topicless

from .test_discovery import TOPICS

HINTS = {"trafik": ("tåg", "väg", "buss"), "bostad": ("bostäder",), "rennäring": ("ren", "same")}
OPENINGS = ["Kapitlet bör nämna att", "Strategin saknar att", "Det är viktigt att", ""]
# A second theme, for a test's theme to be told apart from.
OTHER_THEME = ["Det saknas bostäder i Skellefteå.", "Bygg fler bostäder för unga."]


def _consultation():
    """The test topics written as consultation comments: genre openings, the county's name."""
    texts, truth = [], []
    for topic, sentences in TOPICS.items():
        for i, sentence in enumerate(sentences):
            opening = OPENINGS[i % len(OPENINGS)]
            text = f"{opening} {sentence[0].lower()}{sentence[1:]}" if opening else sentence
            texts.append(f"{text} i Västerbotten.")
            truth.append(topic)
    return texts, truth


def _words(text):
    return [w.lower() for w in re.findall(r"[^\W_]+", text)]


def _members(model, texts, t):
    return [text for text, a in zip(texts, model.assignments, strict=True) if a == t]


def _named(*themes: list[str], unthemed: list[str] = ()):
    """Name the themes given as lists of texts, most typical first (``unthemed``: texts of
    no theme)."""
    texts = [text for theme in themes for text in theme] + list(unthemed)
    labels = np.array([t for t, theme in enumerate(themes) for _ in theme] + [-1] * len(unthemed))
    typical = [list(np.flatnonzero(labels == t)) for t in range(len(themes))]
    return name_themes(texts, labels, typical)


def test_every_word_shown_is_written_in_the_theme_and_none_is_the_genres():
    texts, _ = _consultation()
    model = nlp.discover_themes(texts, n_themes=3, seed=0)
    assert model.themes
    connectors = set(CONNECTOR.values())
    for t, theme in enumerate(model.themes):
        written = {w for text in _members(model, texts, t) for w in _words(text)}
        shown = [w for w in _words(theme.label) if w not in connectors]
        shown += [w for keyword in theme.keywords for w in _words(keyword)]
        assert shown and set(shown) <= written, (theme.label, set(shown) - written)
        assert not [w for w in shown if is_genre(w)], theme.label
        assert "västerbotten" not in _words(theme.label)


def test_names_are_the_topics_words_as_written():
    texts, truth = _consultation()
    model = nlp.discover_themes(texts, n_themes=3, seed=0)
    names = " ".join(theme.label.lower() for theme in model.themes)
    # Surface forms, not lemmas ("vägarna", never the lookup's "vägare").
    assert "vägare" not in names and "företa" not in names
    for t, theme in enumerate(model.themes):
        topics = [topic for topic, a in zip(truth, model.assignments, strict=True) if a == t]
        main = max(set(topics), key=topics.count)
        assert any(h in theme.label.lower() for h in HINTS[main]), (main, theme.label)


def test_description_is_a_sentence_of_a_typical_comment():
    texts, _ = _consultation()
    model = nlp.discover_themes(texts, n_themes=3, seed=0)
    for t, theme in enumerate(model.themes):
        assert theme.description
        head = theme.description.rstrip("…")
        assert any(head in text for text in _members(model, texts, t))
        assert theme.terms and all(term == term.lower() for term in theme.terms)
        assert not [term for term in theme.terms if is_filler(term)]  # never "och", "för"
    assert shorten("- en gemensam bild av behoven") == "en gemensam bild av behoven"


def test_a_description_from_a_list_is_the_item_that_uses_the_name():
    comments = [
        "Det lågtrafikerade vägnätet behöver mer underhåll.",
        "Bra att det lågtrafikerade vägnätet nämns.",
        "Fler tåg till inlandet.",
        "Tåget till Umeå går sällan.",
    ]
    for marks in (["-"] * 3, ["•"] * 3, ["1)", "2)", "3)"], ["1.", "2.", "3."]):
        proposal = (
            f"Vi föreslår:\n{marks[0]} full finansiering av Norrbotniabanan,\n"
            f"{marks[1]} ökat underhåll av det lågtrafikerade vägnätet,\n"
            f"{marks[2]} fler laddstolpar."
        )
        [roads, _] = _named([proposal, *comments[:2]], comments[2:])
        # Not the whole list run together from "full finansiering".
        assert roads.description == "Ökat underhåll av det lågtrafikerade vägnätet", marks


def test_comments_that_share_only_the_genres_words_make_no_theme():
    texts, _ = _consultation()
    genre_only = [
        f"{opening} det här kapitlet bör {verb} tydligare i strategin."
        for opening in ("Vi tycker att", "Vi anser att", "Jag menar att", "Det är viktigt att")
        for verb in ("nämnas", "beskrivas", "framgå", "lyftas")
    ]
    model = nlp.discover_themes(texts + genre_only, seed=0)
    placed = model.assignments[len(texts) :]
    for t, theme in enumerate(model.themes):
        # No theme is made of them: they are left without one, or are a few in a real topic.
        assert placed.count(t) <= len(genre_only) // 2, theme.label
        assert not [w for w in _words(theme.label) if is_genre(w)]


def test_words_spread_evenly_over_the_themes_are_learned_as_topicless():
    keys = [("västerbotten",), ("tåg",), ("bostad",), ("ren",)]
    shares = np.array(
        [
            [0.5, 0.9, 0.0, 0.0],
            [0.4, 0.0, 0.8, 0.1],
            [0.6, 0.1, 0.0, 0.9],
        ]
    )
    assert topicless(keys, shares, np.array([10, 10, 10])) == {"västerbotten"}


def test_a_theme_asked_for_is_kept_even_with_nothing_distinctive_to_say():
    texts, _ = _consultation()
    model = nlp.discover_themes(texts, n_themes=9, seed=0)
    # Staff asked for nine parts (a split): none is dissolved, one without a phrase of its
    # own is numbered.
    assert len(model.themes) == 9 and -1 not in model.assignments
    assert "Tema 8" in [theme.label for theme in model.themes]


def test_a_theme_of_one_text_is_named_by_its_words():
    [naming] = name_themes(["Fler tåg till inlandet"], np.array([0]), [[0]])
    assert naming.label == "Tåg till inlandet" or naming.label in ("Tåg", "Inlandet")


def test_verb_forms_are_told_from_nouns():
    assert swedish_verb_form("låter", "låta") and swedish_verb_form("prioriteras", "prioritera")
    assert swedish_verb_form("fungerar", "fungera")
    assert not swedish_verb_form("skolor", "skola") and not swedish_verb_form("tåg", "tåga")
    assert not swedish_verb_form("bostäder", "bostad")


def test_descriptions_are_cut_at_a_clause_boundary():
    sentence = (
        "Vi vill ha fler tåg mellan Umeå och Lycksele, bussar som går även på kvällarna "
        "och helgerna och en kollektivtrafik som hänger ihop i hela länet för alla som bor här"
    )
    short = shorten(sentence, 80)
    assert short.endswith("…") and len(short) <= 81
    cut = short[:-1]
    assert cut in ("Vi vill ha fler tåg mellan Umeå och Lycksele", sentence[: len(cut)])
    assert not short[:-1].endswith((" ", ","))
    assert shorten("Kort mening.") == "Kort mening."


def test_function_words_and_their_inflections_never_name_a_theme():
    assert is_filler("är") and is_filler("hade") and is_filler("däribland")  # "är" of "vara"
    assert not is_filler("kollektivtrafiken") and not is_filler("sjukresor")
    transit = [
        "Kollektivtrafiken är för dålig i inlandet.",
        "Kollektivtrafiken är grunden för den som saknar bil.",
        "Kollektivtrafiken är viktig för sjukresor.",
        "Kollektivtrafiken är för gles på kvällarna.",
    ]
    housing = [
        "Bostäderna räcker inte för studenter.",
        "Det byggs för få bostäder i länet.",
        "Bostäder för äldre saknas i byarna.",
        "Hyrorna för nya bostäder är för höga.",
    ]
    namings = _named(transit, housing)
    assert namings[0].label.lower().startswith("kollektivtrafiken")
    assert "är" not in _words(namings[0].label) + [w.lower() for w in namings[0].keywords]


def test_a_preposition_the_stop_list_lacks_neither_names_a_theme_nor_stops_it_being_named():
    # Taken for a content word, "längs" made "laddstolpar längs" the best phrase, which
    # cannot end a name: the theme had none and would have been dissolved.
    charging = [
        "Laddstolpar längs vägarna i inlandet saknas.",
        "Fler laddstolpar längs E45.",
        "Laddstolpar behövs längs kusten och runt sjöarna.",
    ]
    [theme, _] = _named(charging, OTHER_THEME)
    assert theme.label == "Laddstolpar"
    assert "längs" not in theme.keywords and "runt" not in theme.keywords


def test_the_nouns_of_a_fixed_expression_are_never_keywords():
    procurement = [
        "Lokala leverantörer måste få en chans i samband med upphandlingar.",
        "Upphandlingar i samband med etableringar går förbi lokala leverantörer.",
        "I samband med stora upphandlingar glöms lokala leverantörer bort.",
    ]
    [theme, _] = _named(procurement, OTHER_THEME)
    assert "upphandlingar" in theme.keywords
    assert "samband" not in theme.keywords and "samband" not in theme.label.lower()


def test_a_word_used_as_a_verb_half_the_time_does_not_name_a_theme():
    # Two of the four uses of "förstå" are verb forms or follow a pronoun; the bare form
    # after a comma could be a noun as far as the words tell.
    texts = [
        "Jag förstår inte vad hälsorummet betyder.",
        "Många förstår inte hälsorummet.",
        "Hälsorummet, förstå det rätt.",
        "Hälsorummet: förstå hur det fungerar.",
        "Fler tåg till inlandet.",
        "Tåget till Umeå går sällan.",
    ]
    [health, _] = _named(texts[:4], texts[4:])
    assert "förstår" not in _words(health.label) and "förstå" not in _words(health.label)
    assert "hälsorummet" in _words(health.label)


def test_an_adjective_between_an_article_and_its_noun_is_not_taken_for_a_verb():
    # "det" is a verb cue ("det låter"), but "det lågtrafikerade vägnätet" is an article,
    # an adjective and its definite noun; "det behövs" stays a verb.
    texts = [
        "Det lågtrafikerade vägnätet behöver mer underhåll.",
        "Bra att det lågtrafikerade vägnätet nämns.",
        "Underhållet av det lågtrafikerade vägnätet räcker inte.",
        "Det behövs pengar till det lågtrafikerade vägnätet.",
        "Fler tåg till inlandet.",
        "Tåget till Umeå går sällan.",
    ]
    [roads, _] = _named(texts[:4], texts[4:])
    assert roads.label == "Lågtrafikerade vägnätet"
    assert "behövs" not in roads.keywords


def test_a_theme_is_titled_by_its_topic_before_the_place_its_comments_come_from():
    youth = [
        "Unga i Bjurholm behöver mötesplatser.",
        "I Bjurholm saknar unga en fritidsgård.",
        "Bjurholm måste satsa på unga som vill stanna.",
        "Vi i Bjurholm vill ha fler jobb.",
        "Bjurholm behöver bättre bussar till skolan.",
    ]
    town = [  # the place is all they share
        "Skellefteå växer snabbt.",
        "Bostäder i Skellefteå behövs.",
        "Skellefteå har ett nytt kulturhus.",
        "Flyget till Skellefteå är dyrt.",
    ]
    trains = [
        "Fler tåg till inlandet.",
        "Tåget till Umeå går sällan.",
        "Nattåg till fjällen behövs.",
        "Tågen måste gå i tid.",
    ]
    young, place, _ = _named(youth, town, trains)
    assert young.label.startswith("Unga") and "Bjurholm" not in young.label
    assert place.label == "Skellefteå"  # no topic comes near: the place is the name


def test_a_theme_of_comments_in_two_languages_is_named_in_one():
    trains = [
        "Vi behöver fler tåg till inlandet.",
        "Tågen till Umeå går för sällan.",
        "Nattåg och tåg till fjällen skulle hjälpa många.",
        "Tåg till kusten är alltid sena.",
        "We need more trains to the inland.",
        "The trains to the coast are always late.",
        "Night trains to the mountains would help.",
    ]
    housing = [
        "Det saknas bostäder i Skellefteå.",
        "Bygg fler bostäder för unga.",
        "Hyrorna för nya bostäder är för höga.",
        "Bostäder nära skolan behövs.",
    ]
    bilingual, _ = _named(trains, housing)
    # Most of its comments are Swedish: so is its name, not "Tåg och trains".
    assert bilingual.label.startswith("Tåg")
    assert "trains" not in bilingual.label.lower()


def test_a_theme_half_in_each_language_is_named_by_what_a_share_of_one_half_says():
    # Two of its thirteen Swedish comments are on district heating, one in thirteen of the
    # whole theme: counted over both languages, too few to name it, and it was dissolved.
    swedish = [
        "Fjärrvärmen i Lycksele blir dyrare för varje år.",
        "Priset på fjärrvärmen måste hållas nere för hushållen.",
        "Solceller på skolornas tak vore en bra början.",
        "Elpriset slår hårt mot småföretagen i byarna.",
        "Vindkraften ger inga pengar tillbaka till bygden.",
        "Vätgas kan bli viktigt för tunga transporter.",
        "Energieffektivisering i gamla hus borde få stöd.",
        "Batterifabriken behöver mycket el och vatten.",
        "Kärnkraft nämns inte alls i texten, varför?",
        "Vattenkraften i älvarna är redan utbyggd.",
        "Bioenergi från skogen är en resurs för inlandet.",
        "Laddstolpar saknas längs vägarna i fjällen.",
        "Sparande av energi lönar sig sällan för hyresgäster.",
    ]
    english = [
        "District heating in the towns is getting too expensive.",
        "The district heating network should reach more homes.",
        "Solar panels on public buildings would be a good start.",
        "Electricity prices hurt small firms in the villages.",
        "Wind farms give nothing back to the local community.",
        "Hydrogen could matter for heavy transport.",
        "Old houses need support for saving energy.",
        "The battery factory needs a lot of power and water.",
        "Nuclear power is not mentioned at all, why?",
        "The rivers are already fully used for hydropower.",
        "Bioenergy from the forest is a resource for the inland.",
        "Charging points are missing along the mountain roads.",
        "Saving energy rarely pays off for tenants.",
    ]
    housing = [
        "Det saknas bostäder i Skellefteå.",
        "Bygg fler bostäder för unga.",
        "Hyrorna för nya bostäder är för höga.",
        "Bostäder nära skolan behövs.",
        "Äldre behöver bostäder med service i byarna.",
        "Bostäder för säsongsarbetare saknas i fjällen.",
    ]
    # Unthemed, one English comment borrows the Swedish word: it is still the Swedish half's.
    elsewhere = [f"Skolan i by {n} behöver en ny gymnastiksal." for n in range(30)]
    elsewhere.append("We want cheaper fjärrvärme for the people who live here.")
    energy, _ = _named(swedish + english, housing, unthemed=elsewhere)
    # Two in thirteen of its Swedish comments, as of a Swedish theme of thirteen.
    assert energy.label is not None and energy.label.startswith("Fjärrvärme")


def test_a_word_both_languages_of_a_theme_use_counts_once_per_text():
    # Taken as a share of the Swedish half alone, "Umeå" in all eight texts was in twice
    # as many texts as there are, and led the keywords of a theme about trains.
    trains = [
        "Fler tåg från Umeå till inlandet.",
        "Tåget från Umeå går för sällan.",
        "Nattåg från Umeå till fjällen.",
        "Vi åker från Umeå med buss.",
        "More trains from Umeå to the inland.",
        "The trains from Umeå run too rarely.",
        "Night trains from Umeå to the mountains.",
        "We go from Umeå by bus.",
    ]
    housing = [
        "Det saknas bostäder i Umeå.",
        "Bygg fler bostäder för unga i Umeå.",
        "Hyrorna för nya bostäder i Umeå är för höga.",
        "Bostäder nära skolan behövs.",
        "Äldre behöver bostäder i byarna.",
        "Bostäder för säsongsarbetare saknas.",
    ]
    theme, _ = _named(trains, housing)
    assert theme.keywords[0] in {"tåg", "tåget", "trains"}


def test_a_theme_whose_only_shared_words_are_english_is_named_in_english():
    ferries = [
        "Färjan går för sällan på vintern.",
        "Det är dyrt och krångligt att åka över Kvarken.",
        "Vi vill kunna resa till Vasa oftare.",
        "The ferries to Vaasa need a timetable that works for commuters.",
        "Ferries leave too early, the timetable suits nobody.",
        "A better timetable for the ferries would help families and firms.",
    ]
    housing = [
        "Det saknas bostäder i Skellefteå.",
        "Bygg fler bostäder för unga.",
        "Hyrorna för nya bostäder är för höga.",
        "Bostäder nära skolan behövs.",
    ]
    theme, _ = _named(ferries, housing)
    # Its Swedish comments share no word: its name is English, joined in English.
    assert theme.label in {"Ferries and timetable", "Timetable and ferries"}


def test_a_word_capitalised_only_where_a_sentence_or_cell_begins_is_shown_in_lower_case():
    baseline = [
        "| Indikator | Utgångsläge 2019 | Mål 2030 |",
        "Utgångsläge 2019 saknas för bredbandet.",
        "Utgångsläge 2019 är fel för bredbandet i byarna.",
        "Hur har utgångsläget för bredbandet räknats fram?",
    ]
    trains = ["Fler tåg till inlandet.", "Tågen går sällan.", "Nattåg till fjällen behövs."]
    theme, _ = _named(baseline, trains)
    # "utgångsläget" is written in lower case: the word is not a name.
    assert "utgångsläge" in theme.keywords and "Utgångsläge" not in theme.keywords
