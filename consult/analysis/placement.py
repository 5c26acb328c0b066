"""Place a newly published comment into the themes of the round's last analysis at once.

The saved model's ``assign`` puts the comment in the nearest theme (or none); the tag is
marked as placed after the analysis, so staff can tell it from the tags the run itself made.
Placing must never stop a comment from being published: failures are logged and skipped.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import nlp

from ..models import (
    Analysis,
    AnalysisStatus,
    Comment,
    CommentStatus,
    Origin,
    Theme,
    ThemeAssignment,
)
from .jobs import comment_text

log = logging.getLogger(__name__)
CACHED_MODELS = 4
_cache: OrderedDict[int, nlp.ThemeModel] = OrderedDict()
_cache_lock = threading.Lock()


def load_model(data: bytes) -> nlp.ThemeModel:
    """Read a model stored by the job (nlp's safe format: no pickle is ever loaded)."""
    handle, path = tempfile.mkstemp(suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        return nlp.ThemeModel.load(path)
    finally:
        os.unlink(path)


def model_of(session: Session, analysis_id: int) -> nlp.ThemeModel | None:
    """Return the saved model of a finished analysis, kept in memory for the next comment."""
    with _cache_lock:
        if analysis_id in _cache:
            _cache.move_to_end(analysis_id)
            return _cache[analysis_id]
    data = session.scalar(select(Analysis.model_file).where(Analysis.id == analysis_id))
    if data is None:
        return None
    model = load_model(data)
    with _cache_lock:
        _cache[analysis_id] = model
        while len(_cache) > CACHED_MODELS:
            _cache.popitem(last=False)
    return model


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
    index = model.assign([comment_text(comment)])[0]
    if index < 0:
        return None
    theme = _theme_of(session, analysis_id, index)
    if theme is None:
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
    if theme is None or theme.retired_at is not None:
        return None
    return theme


def place_quietly(session: Session, comment: Comment, now: datetime) -> None:
    """Call ``place`` after the comment is committed; log and swallow any failure."""
    try:
        place(session, comment, now)
    except Exception:  # noqa: BLE001 - placing is a convenience; publishing already happened
        session.rollback()
        log.exception("Could not place comment %s into the round's themes", comment.id)
