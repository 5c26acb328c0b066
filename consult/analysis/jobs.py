"""The analysis job: read a round's comments, run the theme engine, store what it found.

Progress is written as the job goes, each step in its own short transaction. The results
(themes, tags, campaign groups, the engine's stance readings and the saved model) are written
in one transaction at the end, so a job that fails records why and changes nothing else.

The job reads the round's published top-level comments. Replies are left out: they answer
another comment ("Håller med!") rather than the draft, and would pull themes towards chatter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

import nlp

from .. import clock
from ..db import refresh_statistics
from ..models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    Comment,
    Theme,
    ThemeAssignment,
)
from . import pages, stance_reading, training, vectors
from .heartbeat import Heartbeat
from .saving import Reading, Superseded, save
from .selection import analysed_comments, comment_text

# Seconds between a running job's heartbeats (the app passes ANALYSIS_HEARTBEAT_SECONDS).
HEARTBEAT_SECONDS = 15.0
# Near-identical comments from at least this many people count as a campaign.
CAMPAIGN_MIN_SIZE = 3
ERROR_MAX = 2000


class NothingToAnalyse(Exception):
    """The round has no published comments."""


def run(session: Session, analysis_id: int, *, heartbeat: float = HEARTBEAT_SECONDS) -> bool:
    """Run the queued job ``analysis_id``; return False if it was not queued (already taken).

    Claiming the job is one conditional update, so a job delivered twice runs once. While it
    runs, a thread writes its heartbeat every ``heartbeat`` seconds (see ``heartbeat``); a job
    that staff cancelled or that was given up as dead stops at its next step, saving nothing.
    """
    now = clock.now
    claimed = session.execute(
        update(Analysis)
        .where(Analysis.id == analysis_id, Analysis.status == AnalysisStatus.QUEUED)
        .values(
            status=AnalysisStatus.RUNNING,
            started_at=now(),
            updated_at=now(),
            heartbeat_at=now(),
            progress=1,
            message="reading",
        )
    ).rowcount
    session.commit()
    if not claimed:
        return False
    job = session.get(Analysis, analysis_id)

    def progress(percent: int, message: str) -> None:
        still_running = session.execute(
            update(Analysis)
            .where(Analysis.id == analysis_id, Analysis.status == AnalysisStatus.RUNNING)
            .values(progress=percent, message=message, updated_at=now(), heartbeat_at=now())
        ).rowcount
        session.commit()
        if not still_running:
            raise Superseded()

    try:
        with Heartbeat(session.get_bind(), analysis_id, heartbeat):
            comments = list(session.scalars(analysed_comments(session, job.round_id)))
            if not comments:
                raise NothingToAnalyse()
            # Stored in the background as comments are written; only missing ones are embedded.
            found = vectors.vectors_for(session, comments)
            reading = read(comments, progress) if found is None else read(comments, progress, found)
            progress(85, "training")
            reading.tagger = training.train_quietly(session, job.round_id)
            progress(90, "saving")
            save(session, job, comments, reading, now())
            session.commit()
            refresh_statistics(session, Comment, ThemeAssignment, AnalysedComment, Theme)
    except Superseded:
        # Cancelled or given up while it ran (another job may have started): change nothing.
        session.rollback()
        return True
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the job
        session.rollback()
        fail(session, analysis_id, error, now())
        return True
    pages.warm(session, job.round_id)  # after the job is done: it never fails the job
    return True


def read(
    comments: list[Comment], progress: Callable[[int, str], None], semantic_vectors=None
) -> Reading:
    """Run the engine over ``comments``: campaigns, themes (with the comments' vectors when
    they are given: the semantic view), stance and language."""
    texts = [comment_text(c) for c in comments]
    progress(10, "campaigns")
    campaigns = [g for g in nlp.find_duplicates(texts) if len(g) >= CAMPAIGN_MIN_SIZE]
    progress(25, "themes")
    model = nlp.discover_themes(texts, seed=0, vectors=semantic_vectors)
    progress(75, "stance")
    stances = stance_reading.readings(comments, texts, semantic_vectors)
    languages = [nlp.language(text) for text in texts]
    return Reading([c.id for c in comments], campaigns, model, stances, languages)


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


def give_up(session: Session, analysis_id: int, reason: str, when: datetime) -> bool:
    """Mark job ``analysis_id`` failed for ``reason`` if it is still queued or running, in
    its own transaction; return whether it was. The job, if it still runs somewhere, stops
    at its next step and saves nothing (see ``run``)."""
    given_up = session.execute(
        update(Analysis)
        .where(
            Analysis.id == analysis_id,
            Analysis.status.in_((AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)),
        )
        .values(
            status=AnalysisStatus.FAILED,
            error=reason,
            message="failed",
            finished_at=when,
            updated_at=when,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(given_up)


def round_of(session: Session, analysis_id: int) -> int | None:
    """Return the round job ``analysis_id`` analyses."""
    return session.scalar(select(Analysis.round_id).where(Analysis.id == analysis_id))
