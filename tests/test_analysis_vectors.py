"""The semantic view in the app: comments' vectors are embedded in the background pass,
stored compactly once per text, and used by the analysis and placement without embedding
them again."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import event, func, select

import nlp
from consult import clock
from consult.analysis import jobs, placement, queue, services, vectors
from consult.analysis.selection import comment_text
from consult.models import AnalysisStatus, Comment, CommentVector
from nlp import semantic

from . import factories
from .analysis_seed import SCHOOL, seed_round


@pytest.fixture
def embedded(monkeypatch):
    """The semantic view on, with a fast stand-in for the model that counts what it embeds."""
    calls: list[str] = []

    def fake_embed(texts, batch=semantic.BATCH):
        calls.extend(texts)
        rows = [
            np.frombuffer(hashlib.sha512(t.encode()).digest() * 6, dtype=np.uint8)[
                : semantic.DIMS
            ].astype(np.float32)
            - 127.5
            for t in texts
        ]
        return semantic.normalise(np.vstack(rows))

    monkeypatch.setattr(semantic, "available", lambda: True)
    monkeypatch.setattr(semantic, "embed", fake_embed)
    return calls


@pytest.fixture
def seeded(session, open_round):
    return seed_round(session, open_round)


def test_the_background_pass_stores_each_comment_vector_once(session, seeded, embedded):
    placement.place_round(session, seeded.round.id)
    stored = session.scalars(select(CommentVector)).all()
    assert {v.comment_id for v in stored} == {c.id for c in seeded.comments}
    assert all(len(v.data) == semantic.DIMS + 4 and v.model == semantic.MODEL for v in stored)
    assert len(embedded) == len(seeded.comments)

    placement.place_round(session, seeded.round.id)
    assert len(embedded) == len(seeded.comments)  # nothing embedded twice


def test_the_analysis_uses_the_stored_vectors(app, session, seeded, embedded, monkeypatch):
    placement.place_round(session, seeded.round.id)
    embedded.clear()
    given = []
    real = nlp.discover_themes

    def spy(texts, *args, **kwargs):
        given.append(kwargs.get("vectors"))
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(jobs.nlp, "discover_themes", spy)
    stance_given = []
    real_readings = jobs.stance_reading.readings

    def stance_spy(comments, texts, vectors=None):
        stance_given.append(vectors)
        return real_readings(comments, texts, vectors)

    monkeypatch.setattr(jobs.stance_reading, "readings", stance_spy)
    job = services.start(
        session,
        seeded.staff,
        seeded.round.id,
        now=clock.now(),
        stale_after=timedelta(minutes=60),
    )
    queue.dispatch(app, job.id).result(timeout=120)
    session.rollback()
    session.expire_all()
    assert session.get(type(job), job.id).status == AnalysisStatus.DONE
    assert embedded == []  # every vector was stored already
    assert given and given[0] is not None and given[0].shape == (len(seeded.comments), 384)
    # The stance model reads the same stored vectors beside the words.
    assert stance_given and stance_given[0] is given[0]


def test_an_edited_comment_is_embedded_again(session, seeded, embedded):
    placement.place_round(session, seeded.round.id)
    comment = seeded.comments[0]
    assert vectors.vector_of(session, comment) is not None
    comment.body = comment.body + " Och fler cykelvägar."
    session.commit()
    assert vectors.vector_of(session, comment) is None
    embedded.clear()
    assert vectors.embed_missing(session, seeded.comments) == 1
    assert embedded == [comment_text(comment)]
    assert session.scalar(select(func.count()).select_from(CommentVector)) == len(seeded.comments)


def test_switched_off_nothing_is_embedded(session, seeded):
    placement.place_round(session, seeded.round.id)
    assert session.scalar(select(func.count()).select_from(CommentVector)) == 0


def test_switched_off_a_placing_pass_reads_only_the_comments_it_places(session, analysed, now):
    comment = factories.make_comment(
        session, analysed.round, factories.make_user(session), body=SCHOOL[1]
    )
    session.expire_all()
    loaded: list[int] = []

    def note(target, *_context):
        loaded.append(target.id)

    for name in ("load", "refresh"):
        event.listen(Comment, name, note)
    try:
        assert placement.place_round(session, analysed.round.id) == 1
    finally:
        for name in ("load", "refresh"):
            event.remove(Comment, name, note)
    # Not the round's other comments, which all lack a vector with the view switched off.
    assert loaded == [comment.id]


def test_an_analysis_with_too_many_missing_vectors_groups_by_words(
    session, seeded, embedded, monkeypatch
):
    monkeypatch.setattr(vectors, "JOB_EMBEDS", 3)
    assert vectors.vectors_for(session, seeded.comments) is None
    assert embedded == []  # left to the background pass
