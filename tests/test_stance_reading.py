"""The engine's stance is kept, and shown in the drill-down, only where it is confident."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from sqlalchemy import select

from consult.analysis import stance_reading
from consult.models import AnalysedComment, Stance

from .analysis_helpers import theme_of

UNCLEAR = stance_reading.UNCLEAR


def _comments(stances):
    return [SimpleNamespace(stance=s) for s in stances]


def test_without_enough_authors_choices_only_the_lexicons_clear_readings_are_kept():
    texts = [
        "Vi stödjer förslaget fullt ut.",  # one explicit stance verb
        "Kapitlet handlar om transporter.",  # no cue: neutral, but not a sure reading
        "Vi ser positivt på målen och är oroade över kostnaderna.",  # cues pull both ways
        "Vi föreslår att målet skärps till år 2030.",
    ]
    got = stance_reading.readings(_comments([Stance.AGREE, None, None, None]), texts)
    assert got == ["support", UNCLEAR, UNCLEAR, "change"]


AGREE = [
    f"Vi stödjer satsningen på {w} i länet." for w in "skolor vägar tåg bibliotek vård".split()
]
DISAGREE = [
    f"Vi motsätter oss nedläggningen av {w}." for w in "skolor vägar tåg bibliotek vård".split()
]
PARTLY = [f"Texten om {w} bör formuleras om." for w in "skolor vägar tåg bibliotek vård".split()]


def _labelled_round():
    texts = (AGREE + DISAGREE + PARTLY) * 3
    stances = ([Stance.AGREE] * 5 + [Stance.DISAGREE] * 5 + [Stance.PARTLY] * 5) * 3
    return texts, stances


def test_with_enough_authors_choices_a_model_reads_the_round_in_its_own_words():
    texts, stances = _labelled_round()
    new = [
        "Vi stödjer satsningen på cykelvägar i länet.",
        "Texten om cykelvägar bör formuleras om.",
    ]
    got = stance_reading.readings(_comments(stances + [None, None]), texts + new)
    assert got[-2:] == ["support", "change"]


def test_with_stored_vectors_the_model_reads_what_the_words_do_not_say():
    # The same words every time ("see the attached letter"): only the comments' vectors (the
    # semantic view's, stored when they were written) tell the authors' stances apart.
    texts, stances = _labelled_round()
    texts = ["Se bifogat yttrande."] * len(texts)
    rng = np.random.default_rng(0)
    side = {Stance.AGREE: 1.0, Stance.DISAGREE: -1.0, Stance.PARTLY: 0.0}
    direction = {Stance.AGREE: 0, Stance.DISAGREE: 0, Stance.PARTLY: 1}
    vectors = rng.normal(scale=0.05, size=(len(texts) + 2, 8))
    for i, stance in enumerate(stances):
        vectors[i, direction[stance]] += side[stance] or 1.0
    vectors[-2, 0] += 1.0  # a new comment that reads like the agreeing ones
    vectors[-1, 1] += 1.0  # and one like those asking for a change
    comments = _comments(stances + [None, None])
    got = stance_reading.readings(comments, texts + texts[:2], vectors)
    assert got[-2:] == ["support", "change"]
    # Without the vectors the words alone cannot tell: nothing new is read for sure.
    assert stance_reading.readings(comments, texts + texts[:2])[-2:] == [UNCLEAR, UNCLEAR]


def test_a_model_reading_below_the_confidence_threshold_is_unclear(monkeypatch):
    texts, stances = _labelled_round()
    monkeypatch.setattr(stance_reading, "CONFIDENT", 1.01)  # nothing is that sure
    assert set(stance_reading.readings(_comments(stances), texts)) == {UNCLEAR}
    monkeypatch.setattr(stance_reading, "CONFIDENT", 0.0)  # everything is
    assert UNCLEAR not in stance_reading.readings(_comments(stances), texts)


def test_the_drill_down_shows_the_engines_stance_only_where_it_is_confident(
    client, auth, session, analysed
):
    sure = analysed.comments[0]
    theme = theme_of(session, sure)
    in_theme = [c.id for c in analysed.comments if theme_of(session, c).id == theme.id]
    assert len(in_theme) >= 2
    for reading in session.scalars(
        select(AnalysedComment).where(AnalysedComment.comment_id.in_(in_theme))
    ):
        reading.stance = "oppose" if reading.comment_id == sure.id else UNCLEAR
    session.commit()
    auth.login(analysed.staff)

    page = client.get(f"/analys/omgang/{analysed.round.id}/tema/{theme.id}").get_data(as_text=True)
    assert page.count("Engine reads:") + page.count("Motorn läser:") == 1
    assert "Engine reads: opposes" in page or "Motorn läser: emot" in page
    assert UNCLEAR not in page
