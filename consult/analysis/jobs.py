"""The analysis job: read a round's comments, run the theme engine, store what it found.

Progress is written as the job goes, each step in its own short transaction. The results
(themes, tags, campaign groups, the engine's stance readings and the saved model) are written
in one transaction at the end, so a job that fails records why and changes nothing else.

The job reads the round's published top-level comments. Replies are left out: they answer
another comment ("Håller med!") rather than the draft, and would pull themes towards chatter.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

import nlp

from .. import clock
from ..models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    CampaignGroup,
    Comment,
    CommentStatus,
    Origin,
    Theme,
    ThemeAssignment,
)

# Near-identical comments from at least this many people count as a campaign.
CAMPAIGN_MIN_SIZE = 3
THEME_NAME_MAX = 200
ERROR_MAX = 2000


class NothingToAnalyse(Exception):
    """The round has no published comments."""


@dataclass
class Reading:
    """What the engine made of a round's comments."""

    comment_ids: list[int]
    campaigns: list[list[int]]  # index lists, one per campaign
    model: nlp.ThemeModel
    stances: list[str]


def comment_text(comment: Comment) -> str:
    """Return the text the engine reads for a comment: its body and any proposed wording."""
    if comment.proposed_text:
        return f"{comment.body}\n{comment.proposed_text}"
    return comment.body


def analysed_comments(session: Session, round_id: int):
    """Select the comments an analysis reads: published, top-level, oldest first."""
    return (
        select(Comment)
        .where(
            Comment.round_id == round_id,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.parent_id.is_(None),
        )
        .order_by(Comment.id)
    )


def theme_name(label: str) -> str:
    """Return an engine label as a theme name: one line, no control characters, bounded."""
    name = re.sub(r"\s+", " ", "".join(c for c in label if c.isprintable() or c.isspace()))
    return name.strip()[:THEME_NAME_MAX] or "–"


def run(session: Session, analysis_id: int) -> bool:
    """Run the queued job ``analysis_id``; return False if it was not queued (already taken).

    Claiming the job is one conditional update, so a job delivered twice runs once.
    """
    now = clock.now
    claimed = session.execute(
        update(Analysis)
        .where(Analysis.id == analysis_id, Analysis.status == AnalysisStatus.QUEUED)
        .values(
            status=AnalysisStatus.RUNNING,
            started_at=now(),
            updated_at=now(),
            progress=1,
            message="reading",
        )
    ).rowcount
    session.commit()
    if not claimed:
        return False
    job = session.get(Analysis, analysis_id)

    def progress(percent: int, message: str) -> None:
        session.execute(
            update(Analysis)
            .where(Analysis.id == analysis_id)
            .values(progress=percent, message=message, updated_at=now())
        )
        session.commit()

    try:
        comments = list(session.scalars(analysed_comments(session, job.round_id)))
        if not comments:
            raise NothingToAnalyse()
        reading = read(comments, progress)
        progress(90, "saving")
        save(session, job, comments, reading, now())
        session.commit()
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the job
        session.rollback()
        fail(session, analysis_id, error, now())
        return True
    return True


def read(comments: list[Comment], progress: Callable[[int, str], None]) -> Reading:
    """Run the engine over ``comments``: campaigns, themes and stance."""
    texts = [comment_text(c) for c in comments]
    progress(10, "campaigns")
    campaigns = [g for g in nlp.find_duplicates(texts) if len(g) >= CAMPAIGN_MIN_SIZE]
    progress(25, "themes")
    model = nlp.discover_themes(texts, seed=0)
    progress(75, "stance")
    stances = nlp.stance(texts)
    return Reading([c.id for c in comments], campaigns, model, stances)


def model_bytes(model: nlp.ThemeModel) -> bytes:
    """Return the model in nlp's safe file format (numpy arrays and JSON, never pickle)."""
    handle, path = tempfile.mkstemp(suffix=".npz")
    os.close(handle)
    try:
        model.save(path)
        with open(path, "rb") as saved:
            return saved.read()
    finally:
        os.unlink(path)


def save(session: Session, job: Analysis, comments, reading: Reading, when: datetime) -> None:
    """Write the reading as themes, tags and campaign groups; retire the last run's themes."""
    _retire_model_themes(session, job.round_id, when)
    ids = reading.comment_ids
    campaign_of: dict[int, CampaignGroup] = {}
    for members in reading.campaigns:
        group = CampaignGroup(analysis_id=job.id, comment_id=ids[members[0]], size=len(members))
        session.add(group)
        for index in members:
            campaign_of[index] = group
    themes = []
    for position, found in enumerate(reading.model.themes):
        representatives = _representatives(found.representatives, campaign_of, ids)
        themes.append(
            Theme(
                round_id=job.round_id,
                analysis_id=job.id,
                model_index=position,
                name=theme_name(found.label),
                keywords=json.dumps(found.keywords, ensure_ascii=False),
                representative_ids=json.dumps(representatives),
                origin=Origin.MODEL,
                position=position,
                created_at=when,
            )
        )
    session.add_all(themes)
    session.flush()
    tags = [
        {
            "comment_id": ids[index],
            "theme_id": themes[theme].id,
            "source": Origin.MODEL,
            "assigned_at": when,
        }
        for index, theme in enumerate(reading.model.assignments)
        if theme >= 0
    ]
    if tags:
        session.execute(insert(ThemeAssignment), tags)
    rows = [
        {
            "analysis_id": job.id,
            "comment_id": comment_id,
            "campaign_id": campaign_of[index].id if index in campaign_of else None,
            "stance": reading.stances[index],
        }
        for index, comment_id in enumerate(ids)
    ]
    session.execute(insert(AnalysedComment), rows)
    job.model_file = model_bytes(reading.model)
    job.comment_count = len(ids)
    job.status = AnalysisStatus.DONE
    job.progress = 100
    job.message = "done"
    job.finished_at = when
    job.updated_at = when


def _representatives(indices, campaign_of, ids) -> list[int]:
    """Return the comment ids of a theme's typical texts, one per campaign."""
    chosen, seen = [], set()
    for index in indices:
        group = campaign_of.get(index)
        key = ("campaign", id(group)) if group is not None else ("comment", index)
        if key not in seen:
            seen.add(key)
            chosen.append(ids[index])
    return chosen


def _retire_model_themes(session: Session, round_id: int, when: datetime) -> None:
    # Tags on a retired theme are kept as history but no longer count.
    retiring = select(Theme.id).where(
        Theme.round_id == round_id, Theme.origin == Origin.MODEL, Theme.retired_at.is_(None)
    )
    session.execute(
        update(ThemeAssignment)
        .where(ThemeAssignment.theme_id.in_(retiring), ThemeAssignment.removed_at.is_(None))
        .values(removed_at=when)
    )
    session.execute(
        update(Theme)
        .where(Theme.round_id == round_id, Theme.origin == Origin.MODEL, Theme.retired_at.is_(None))
        .values(retired_at=when, version=Theme.version + 1)
    )


def fail(session: Session, analysis_id: int, error: Exception, when: datetime) -> None:
    """Record that the job failed, and why, in its own transaction."""
    if isinstance(error, NothingToAnalyse):
        reason = "no_comments"
    else:
        reason = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    session.execute(
        update(Analysis)
        .where(Analysis.id == analysis_id)
        .values(
            status=AnalysisStatus.FAILED,
            error=reason,
            message="failed",
            finished_at=when,
            updated_at=when,
        )
    )
    session.commit()
