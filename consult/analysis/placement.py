"""Place newly published comments into the themes of the round's last analysis, shortly
after they are published, in the background.

Publishing a comment only hands its round to the background (``place_quietly``: a thread
of the app, or the RQ placement queue; see ``queue``), so no request waits for the theme
engine. The background pass (``place_round``) places every published top-level comment of
the round that the last analysis has not read: the saved model's ``assign`` puts each in the
nearest theme (or none), and the tagger trained on staff's corrections, saved with the same
analysis, may steer it to another theme (see ``training``). The tag is marked as placed after
the analysis, so staff can tell it from the tags the run itself made.

Nothing is lost when placing fails: a comment the analysis has not read (no reading stored
for it) is simply not yet themed, and the next pass for its round places it, as does the
pass after each analysis run and ``flask analysis place``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import nlp
from nlp import semantic

from .. import clock
from ..db import reading, writing
from ..models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    Comment,
    CommentStatus,
    CommentVector,
    Origin,
    Theme,
    ThemeAssignment,
)
from . import pages, queue, stance_reading, stored, training, vectors
from .selection import comment_text
from .themes import successor

log = logging.getLogger(__name__)
CACHED_MODELS = 4
_cache: OrderedDict = OrderedDict()  # analysis id or ("tagger", id) -> model or tagger
_cache_lock = threading.Lock()


def model_of(session: Session, analysis_id: int) -> nlp.ThemeModel | None:
    """Return the saved model of a finished analysis, kept in memory for the next comment."""
    with _cache_lock:
        if analysis_id in _cache:
            _cache.move_to_end(analysis_id)
            return _cache[analysis_id]
    data = session.scalar(select(Analysis.model_file).where(Analysis.id == analysis_id))
    if data is None:
        return None
    model = stored.from_bytes(nlp.ThemeModel, data)
    with _cache_lock:
        _cache[analysis_id] = model
        while len(_cache) > CACHED_MODELS:
            _cache.popitem(last=False)
    return model


def tagger_of(session: Session, analysis_id: int) -> nlp.ThemeTagger | None:
    """Return the staff-trained tagger saved with an analysis, if any (kept in memory)."""
    key = ("tagger", analysis_id)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = session.scalar(select(Analysis.tagger_file).where(Analysis.id == analysis_id))
    tagger = stored.from_bytes(nlp.ThemeTagger, data) if data is not None else None
    with _cache_lock:
        _cache[key] = tagger
        while len(_cache) > CACHED_MODELS:
            _cache.popitem(last=False)
    return tagger


def forget_models() -> None:
    """Drop the models and taggers kept in memory (for tests, whose emptied databases give
    the next analysis the same id)."""
    with _cache_lock:
        _cache.clear()


def place_quietly(session: Session, comment: Comment, now: datetime) -> None:
    """Hand a comment that was just committed to the background, which places it into the
    themes of the round's last analysis shortly after; never waits, never raises.

    ``session`` and ``now`` are the caller's; the background uses its own session and time.
    """
    if comment.status != CommentStatus.PUBLISHED or comment.parent_id is not None:
        return
    if not has_app_context():
        return  # not themed yet: the round's next pass places it
    try:
        queue.dispatch_placement(current_app._get_current_object(), comment.round_id)
    except Exception:  # noqa: BLE001 - placing is a convenience; publishing already happened
        log.exception("Could not hand comment %s to placing; a later pass places it", comment.id)


def place_round(session: Session, round_id: int) -> int:
    """Place the round's published comments its last analysis has not read; return how many
    were placed. A comment that fails is logged and left for the next pass."""
    # Reading and the engine's work hold no lock; each comment's rows are written in a short
    # transaction of their own (on SQLite the posts of a deadline rush wait for no pass).
    with reading(session):
        try:  # the comments' vectors first (the semantic view), whether or not there are themes
            if semantic.available():  # else every comment of the round lacks one: none is loaded
                vectors.embed_missing(session, session.scalars(unembedded(round_id)).all())
        except Exception:  # noqa: BLE001 - without vectors the words alone place the comments
            session.rollback()
            log.exception("Could not embed the comments of round %s", round_id)
        analysis_id = last_analysis(session, round_id)
        if analysis_id is None:
            return 0
        placed = 0
        for comment_id in session.scalars(unread(round_id, analysis_id)).all():
            try:
                comment = session.get(Comment, comment_id)
                placed += place(session, analysis_id, comment, clock.now())
            except Exception:  # noqa: BLE001 - one comment must not stop the others
                session.rollback()
                log.exception("Could not place comment %s into the round's themes", comment_id)
        if placed:
            pages.warm(session, round_id)
        return placed


def place_all(session: Session) -> int:
    """Run a pass over every round with a finished analysis; return how many were placed."""
    rounds = session.scalars(
        select(Analysis.round_id).where(Analysis.status == AnalysisStatus.DONE).distinct()
    ).all()
    return sum(place_round(session, round_id) for round_id in rounds)


def last_analysis(session: Session, round_id: int) -> int | None:
    """Return the id of the round's last finished analysis, whose themes new comments join."""
    return session.scalar(
        select(Analysis.id)
        .where(Analysis.round_id == round_id, Analysis.status == AnalysisStatus.DONE)
        .order_by(Analysis.id.desc())
        .limit(1)
    )


def unread(round_id: int, analysis_id: int):
    """Select the ids of the round's published top-level comments ``analysis_id`` has not
    read (neither in its run nor placed since), oldest first."""
    read = exists().where(
        AnalysedComment.analysis_id == analysis_id, AnalysedComment.comment_id == Comment.id
    )
    return (
        select(Comment.id)
        .where(
            Comment.round_id == round_id,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.parent_id.is_(None),
            ~read,
        )
        .order_by(Comment.id)
    )


def unembedded(round_id: int):
    """Select the round's published top-level comments that have no stored vector."""
    embedded = exists().where(CommentVector.comment_id == Comment.id)
    return select(Comment).where(
        Comment.round_id == round_id,
        Comment.status == CommentStatus.PUBLISHED,
        Comment.parent_id.is_(None),
        ~embedded,
    )


def place(session: Session, analysis_id: int, comment: Comment, now: datetime) -> bool:
    """Read ``comment`` as analysis ``analysis_id`` would and tag it with the theme it fits,
    in one transaction; return False if another pass placed it first.

    The stored reading (stance, language) marks the comment as read by the analysis; the
    database keeps one reading per analysis and comment, so two passes place it once.
    """
    model = model_of(session, analysis_id)
    if model is None:
        return False
    text = comment_text(comment)
    reading_ = AnalysedComment(
        analysis_id=analysis_id,
        comment_id=comment.id,
        stance=stance_reading.lexicon_readings([text])[0],
        language=nlp.language(text),
    )
    theme = _chosen_theme(session, analysis_id, comment, text, model)
    theme_id = theme.id if theme is not None else None
    # Written after the engine's work, checked again under the write lock.
    with writing(session):
        already_tagged = session.scalar(
            select(ThemeAssignment.id)
            .where(ThemeAssignment.comment_id == comment.id, ThemeAssignment.removed_at.is_(None))
            .limit(1)
        )
        session.add(reading_)
        if theme_id is not None and already_tagged is None:
            session.add(
                ThemeAssignment(
                    comment_id=comment.id,
                    theme_id=theme_id,
                    source=Origin.MODEL,
                    assigned_at=now,
                    after_analysis=True,
                )
            )
        try:
            session.commit()
        except IntegrityError:  # another pass read it first
            session.rollback()
            return False
    return True


def _chosen_theme(
    session: Session, analysis_id: int, comment: Comment, text: str, model: nlp.ThemeModel
) -> Theme | None:
    """Return the current theme the saved model, steered by staff's tagger, puts ``text`` in."""
    vector = vectors.vector_of(session, comment)
    index = model.assign([text], None if vector is None else vector[None, :])[0]
    theme = _theme_of(session, analysis_id, index) if index >= 0 else None
    tagger = tagger_of(session, analysis_id)
    if tagger is not None:
        # Staff's corrections up to the last run steer the engine's choice (see training).
        current = {t.id: t for t in training.current_themes(session, comment.round_id)}
        chosen = training.steer(tagger, [text], [theme.id if theme else None], set(current))[0]
        theme = current.get(chosen)
    return theme


def warm() -> None:
    """Load what the theme engine loads on first use (spaCy's language data, the stop-word
    lists): the background runner calls this when it starts, not a request."""
    for text, lang in (("Skolan behöver fler lärare.", "sv"), ("Schools need teachers.", "en")):
        nlp.lemmas(text, lang)
        nlp.language(text)
    nlp.stance(["Vi stöder förslaget om fler lärare."])


def _theme_of(session: Session, analysis_id: int, index: int) -> Theme | None:
    """Return the current theme the analysis put its model theme ``index`` in, if any."""
    theme_map = session.scalar(select(Analysis.theme_map).where(Analysis.id == analysis_id))
    if theme_map is not None:
        theme_id = json.loads(theme_map).get(str(index))
        theme = session.get(Theme, theme_id) if theme_id is not None else None
    else:  # analyses saved before the theme map
        theme = session.scalar(
            select(Theme).where(Theme.analysis_id == analysis_id, Theme.model_index == index)
        )
    if theme is None:
        return None
    # A theme staff merged since the analysis: its comments, and so this one, are in the
    # theme it went into (a deleted or split theme places nothing).
    return successor(session, theme) if theme.retired_at is not None else theme
