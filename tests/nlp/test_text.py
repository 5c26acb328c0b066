"""Normalisation, language detection and lemmas."""

import numpy as np
import pytest
import spacy

from nlp.text import (
    MAX_CHARS,
    _tokens,
    chunk_evidence,
    detect_from_evidence,
    language,
    lemmas,
    normalise,
)


def test_normalise_quotes_spaces_and_controls():
    assert normalise("\u201dHej\u201d\u00a0 \t du\x00\u2019s  ") == '"Hej" du\'s'
    assert normalise("e\u0301") == "é"
    assert len(normalise("a" * (MAX_CHARS * 5))) == MAX_CHARS


def test_normalise_refuses_non_text():
    with pytest.raises(TypeError):
        normalise(b"bytes")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Vi behöver bättre vägar och fler tåg i inlandet.", "sv"),
        ("We need better roads and more trains in the inland.", "en"),
        ("Vi trenger bedre veier og flere tog i innlandet.", "no"),
        ("Wir brauchen bessere Straßen und mehr Züge.", "de"),
        ("Bra!", "und"),
        ("😀😀😀", "und"),
        ("", "und"),
    ],
)
def test_language(text, code):
    assert language(text) == code


def test_mixed_swedish_and_english_is_decided_by_the_majority():
    assert language("Vi tycker att det är bra, men the trains are late.") == "sv"


def test_swedish_lemmas_are_lower_case_without_stop_words():
    assert lemmas("Kommunerna satsar på BOSTÄDERNA") == ["kommun", "satsa", "bostad"]


def test_english_lemmas():
    assert lemmas("The roads and trains", lang="en") == ["road", "train"]


def test_lemmas_of_garbage_are_empty():
    assert lemmas("\x00\x01 😀 1234 !!") == []


def test_language_from_chunk_evidence_agrees_with_language():
    texts = [
        "Vi behöver bättre vägar och fler tåg i inlandet.",
        "We need better roads and more trains in the inland.",
        "Vi trenger bedre veier og flere tog i innlandet.",
        "Wir brauchen bessere Straßen und mehr Züge.",
        "Vi tycker att det är bra, men the trains are late.",
        "Bra!",
        "",
    ]
    evidence = np.stack([chunk_evidence(normalise(t).lower().split()).sum(axis=0) for t in texts])
    assert detect_from_evidence(evidence) == [language(t) for t in texts]


@pytest.mark.parametrize("code", ["sv", "en"])
def test_chunks_are_split_as_spacy_splits_them(code):
    # Chunks of letters only skip the tokenizer unless it has a special case for them.
    tokenizer = spacy.blank(code).tokenizer
    chunks = ["vägar", "vägar,", "t.ex.", "cannot", "don't", "e12", "umeå/skellefteå", "(tåg)"]
    for chunk in chunks + ["gonna", "dvs", "bl.a.", "öl", "co2-utsläpp", "10%", "ok!"]:
        assert _tokens(chunk, code) == [token.text for token in tokenizer(chunk)]
    assert code == "sv" or _tokens("cannot", code) == ["can", "not"]
