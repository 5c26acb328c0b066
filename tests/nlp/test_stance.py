"""Stance: the lexicon rules in Swedish and English, negation, contrast, and the fitted model."""

from __future__ import annotations

import random

import numpy as np
import pytest

from nlp.persist import ModelFileError
from nlp.persist import save as save_model
from nlp.stance import LABELS, StanceModel, explain, stance

EXAMPLES = {
    "support": [
        "Jag instämmer i förslaget.",
        "Vi välkomnar satsningen på kollektivtrafik i inlandet.",
        "Bra att biblioteken nämns!",
        "Region Västerbotten stödjer inriktningen i kapitlet.",
        "Vi håller helt med om analysen.",
        "Kommunen har inga invändningar mot texten.",
        "Umeå kommun ser positivt på att strategin tar ett samlat grepp.",
        "We fully support this chapter.",
        "I agree with the vision.",
        "We welcome the focus on housing.",
        "Great idea, thank you!",
    ],
    "oppose": [
        "Vi motsätter oss fler vindkraftsparker på renbetesmark.",
        "Jag håller inte med om analysen.",
        "Jag instämmer inte alls.",
        "Det här är inte bra för oss i inlandet.",
        "Nej till gruvan i Rönnbäcken!",
        "Kommunen avvisar förslaget om nedläggning.",
        "Vi är oroade över att vården centraliseras.",
        "We oppose the new airport.",
        "I do not support this plan.",
        "I don't agree with the priorities.",
        "We object to the closure of the station.",
    ],
    "change": [
        "Vi föreslår att målet skärps till år 2030.",
        "Stryk sista meningen i stycket.",
        "Lägg till ett mål om cykelvägar.",
        "Texten bör formuleras om så att inlandet syns.",
        "Ersätt ordet 'bör' med 'ska'.",
        "Vi saknar en plan för bredband på landsbygden.",
        "We propose adding a target for rail freight.",
        "The second paragraph should be changed.",
        "Please replace 'may' with 'shall'.",
        "Remove the last sentence.",
    ],
    "neutral": [
        "",
        "   ",
        "Hur ska man mäta attraktivitet?",
        "Kapitlet handlar om transporter och logistik.",
        "When will the final strategy be published?",
        "🙂",
        "12345",
    ],
}
CASES = [(text, label) for label, texts in EXAMPLES.items() for text in texts]


@pytest.mark.parametrize("text,label", CASES)
def test_lexicon_stance_in_swedish_and_english(text, label):
    assert stance([text]) == [label]


def test_stance_keeps_order_and_length():
    texts = [text for text, _ in CASES]
    assert stance(texts) == [label for _, label in CASES]
    assert stance([]) == []


@pytest.mark.parametrize(
    "text,label",
    [
        ("Vi stödjer förslaget men föreslår att texten ändras.", "change"),  # change wins
        ("Bra ambition, men vi motsätter oss vindkraften.", "oppose"),  # after "men" counts more
        ("Bra kapitel i stort. Vi saknar dock en tydlig plan för vägarna.", "change"),
        ("Inte bara bra utan utmärkt.", "support"),  # "inte bara" is no negation
        ("Not only good but excellent.", "support"),
        ("We support detta förslag helt.", "support"),  # mixed languages
        ("Jag håller med, great idea.", "support"),
        ("Vi stödjer förslaget, but the text should be clearer.", "change"),
        ("Vi har inget emot förslaget.", "support"),  # a negated objection
        ("Det bra förslaget stöds inte av oss.", "oppose"),
    ],
)
def test_rules_for_mixed_cues(text, label):
    assert stance([text]) == [label]


def test_explain_names_the_cues_and_their_negation():
    cues = explain("Vi håller inte med, men stödjer målet.")
    assert [(c.text, c.label, c.negated) for c in cues] == [
        ("håller inte med", "oppose", True),
        ("stödjer", "support", False),
    ]
    assert explain("") == []


def test_bad_input_never_crashes():
    noise = random.Random(0).randbytes(500).decode("utf-8", "surrogateescape")
    garbage = [bytes(range(256)).decode("latin-1"), noise, "bra " * 30_000, "👍🎉🔥", "\x00\x01"]
    assert all(label in LABELS for label in stance(garbage))
    with pytest.raises(TypeError):
        stance("a single string")


TRAIN = [(text, label) for text, label in CASES if text.strip()] + [
    ("Vi stöder förslaget fullt ut.", "support"),
    ("Mycket bra skrivet, vi instämmer.", "support"),
    ("Vi är emot nedläggningen av stationen.", "oppose"),
    ("Vi avstyrker förslaget i sin helhet.", "oppose"),
    ("Lägg till en mening om samiska språk.", "change"),
    ("Formulera om målet så att det går att mäta.", "change"),
    ("Kapitlet beskriver länets befolkning.", "neutral"),
    ("Strategin gäller till år 2030.", "neutral"),
]


def test_model_learns_the_labelled_examples():
    texts, labels = zip(*TRAIN, strict=True)
    model = StanceModel.fit(texts, labels)
    predicted = model.predict(texts)
    assert set(predicted) <= set(LABELS)
    assert np.mean([p == y for p, y in zip(predicted, labels, strict=True)]) >= 0.9
    assert model.predict([]) == []


def test_model_round_trips_through_save_and_load(tmp_path):
    texts, labels = zip(*TRAIN, strict=True)
    model = StanceModel.fit(texts, labels)
    path = tmp_path / "stance.npz"
    model.save(path)
    loaded = StanceModel.load(path)
    new = ["Vi stödjer detta.", "Stryk stycket.", "Nej tack!", "Ingen åsikt.", "", "We oppose it."]
    assert loaded.predict(new) == model.predict(new)
    assert loaded.predict(list(texts)) == model.predict(list(texts))
    assert loaded.classes == model.classes


def test_model_with_two_labels_round_trips(tmp_path):
    texts = [t for t, y in TRAIN if y in ("support", "oppose")]
    labels = [y for _, y in TRAIN if y in ("support", "oppose")]
    model = StanceModel.fit(texts, labels)
    model.save(tmp_path / "two.npz")
    assert StanceModel.load(tmp_path / "two.npz").predict(texts) == model.predict(texts)


def test_model_refuses_files_of_another_kind(tmp_path):
    path = tmp_path / "other.npz"
    save_model(path, "tagger", 1, {"x": np.zeros(2)}, {})
    with pytest.raises(ModelFileError):
        StanceModel.load(path)


@pytest.mark.parametrize(
    "texts,labels",
    [
        (["a", "b"], ["support", "maybe"]),  # unknown label
        (["a", "b"], ["support", "support"]),  # one label only
        (["a", "b"], ["support"]),  # lengths differ
    ],
)
def test_model_fit_refuses_bad_labels(texts, labels):
    with pytest.raises(ValueError):
        StanceModel.fit(texts, labels)
