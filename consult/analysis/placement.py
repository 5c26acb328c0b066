"""Place a newly published comment into the themes of the round's last analysis at once.

The saved model's ``assign`` puts the comment in the nearest theme (or none), and the tagger
trained on staff's corrections, saved with the same analysis, may steer it to another theme
(see ``training``). The tag is marked as placed after the analysis, so staff can tell it
from the tags the run itself made.
Placing must never stop a comment from being published: failures are logged and skipped.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import nlp

from ..models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    Comment,
    CommentStatus,
    Origin,
    Theme,
    ThemeAssignment,
)
from . import stored, training
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


def place(session: Session, comment: Comment, now: datetime) -> ThemeAssignment | None:
    """Tag a published top-level comment with its nearest theme of the last analysis."""
    if comment.status != CommentStatus.PUBLISHED or comment.parent_id is not None:
        return None
    already_tagged = session.scalar(
        select(ThemeAssignment.id)
        .where(ThemeAssignment.comment_id == comment.id, ThemeAssignment.removed_at.is_(None))
        .limit(1)
    )
    if already_tagged is not None:
        return None
    analysis_id = session.scalar(
        select(Analysis.id)
        .where(Analysis.round_id == comment.round_id, Analysis.status == AnalysisStatus.DONE)
        .order_by(Analysis.id.desc())
        .limit(1)
    )
    if analysis_id is None:
        return None
    model = model_of(session, analysis_id)
    if model is None:
        return None
    text = comment_text(comment)
    _record_reading(session, analysis_id, comment.id, text)
    index = model.assign([text])[0]
    theme = _theme_of(session, analysis_id, index) if index >= 0 else None
    tagger = tagger_of(session, analysis_id)
    if tagger is not None:
        # Staff's corrections up to the last run steer the engine's choice (see training).
        current = {t.id: t for t in training.current_themes(session, comment.round_id)}
        chosen = training.steer(tagger, [text], [theme.id if theme else None], set(current))[0]
        theme = current.get(chosen)
    if theme is None:
        session.commit()  # the reading, without a theme
        return None
    tag = ThemeAssignment(
        comment_id=comment.id,
        theme_id=theme.id,
        source=Origin.MODEL,
        assigned_at=now,
        after_analysis=True,
    )
    session.add(tag)
    session.commit()
    return tag


def _record_reading(session: Session, analysis_id: int, comment_id: int, text: str) -> None:
    """Store the stance and language the engine reads in a comment that came after the run,
    as the run did for the others (the drill-down filters by them)."""
    known = session.scalar(
        select(AnalysedComment.id).where(
            AnalysedComment.analysis_id == analysis_id, AnalysedComment.comment_id == comment_id
        )
    )
    if known is None:
        session.add(
            AnalysedComment(
                analysis_id=analysis_id,
                comment_id=comment_id,
                stance=nlp.stance([text])[0],
                language=nlp.language(text),
            )
        )


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


def place_quietly(session: Session, comment: Comment, now: datetime) -> None:
    """Call ``place`` after the comment is committed; log and swallow any failure."""
    try:
        place(session, comment, now)
    except Exception:  # noqa: BLE001 - placing is a convenience; publishing already happened
        session.rollback()
        log.exception("Could not place comment %s into the round's themes", comment.id)
