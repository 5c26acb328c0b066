"""Analysis jobs as staff see them: start one, read its progress, find a round's last result.

Every function takes the acting user and raises NotAllowed unless they are staff or an
administrator, whatever the route in front of it checks. A round has at most one queued or
running job: the database refuses a second (a partial unique index), so two clicks, two tabs
or two staff members starting at once give one job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..errors import NotFound, WrongState
from ..models import Analysis, AnalysisStatus, Comment, Consultation, Round, User
from ..permissions import require_staff
from .selection import analysed_comments

ACTIVE = (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)


def get_round(session: Session, user: User | None, round_id: int) -> Round:
    """Return round ``round_id`` for a staff member."""
    require_staff(user)
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound()
    return round_


def rounds(session: Session, user: User | None) -> list[Consultation]:
    """Return the consultations with their rounds, newest first, for the analysis overview."""
    require_staff(user)
    return list(session.scalars(select(Consultation).order_by(Consultation.created_at.desc())))


def comment_count(session: Session, round_id: int) -> int:
    """Return how many comments an analysis of the round would read."""
    query = analysed_comments(session, round_id).with_only_columns(func.count(Comment.id))
    return session.scalar(query.order_by(None))


def latest_job(session: Session, round_id: int) -> Analysis | None:
    """Return the round's most recent job, whatever its state."""
    return session.scalar(
        select(Analysis).where(Analysis.round_id == round_id).order_by(Analysis.id.desc()).limit(1)
    )


def latest_result(session: Session, round_id: int) -> Analysis | None:
    """Return the round's most recent finished job (whose themes the board shows)."""
    return session.scalar(
        select(Analysis)
        .where(Analysis.round_id == round_id, Analysis.status == AnalysisStatus.DONE)
        .order_by(Analysis.id.desc())
        .limit(1)
    )


def job_status(session: Session, user: User | None, round_id: int) -> Analysis | None:
    """Return the round's most recent job for a staff member (for the progress bar)."""
    get_round(session, user, round_id)
    return latest_job(session, round_id)


@dataclass
class ProgressState:
    """What the progress fragment says beside the job: the comments an analysis would read,
    and whether the round has been analysed."""

    total: int
    analysed: bool


def progress_state(session: Session, user: User | None, round_id: int) -> ProgressState:
    """Return the round's ProgressState for a staff member."""
    get_round(session, user, round_id)
    return ProgressState(
        comment_count(session, round_id), latest_result(session, round_id) is not None
    )


def expire_stale(session: Session, round_id: int, now: datetime, after: timedelta) -> None:
    """Mark the round's jobs that stopped reporting progress ``after`` ago as failed.

    A worker that was killed (a restart, out of memory) leaves its job running for ever;
    this frees the round for a new job.
    """
    session.execute(
        update(Analysis)
        .where(
            Analysis.round_id == round_id,
            Analysis.status.in_(ACTIVE),
            Analysis.updated_at < now - after,
        )
        .values(status=AnalysisStatus.FAILED, error="stale", message="failed", finished_at=now)
    )


def start(
    session: Session, user: User | None, round_id: int, *, now: datetime, stale_after: timedelta
) -> Analysis:
    """Queue an analysis of the round; WrongState("running") if one is queued or running."""
    round_ = get_round(session, user, round_id)
    return _queue(session, user, round_, now=now, stale_after=stale_after)


def start_as_system(
    session: Session, round_: Round, *, now: datetime, stale_after: timedelta
) -> Analysis:
    """Queue an analysis from the command line (no acting user; audited as the system)."""
    return _queue(session, None, round_, now=now, stale_after=stale_after)


def _queue(
    session: Session, actor: User | None, round_: Round, *, now: datetime, stale_after: timedelta
) -> Analysis:
    if not comment_count(session, round_.id):
        raise WrongState("no_comments")
    expire_stale(session, round_.id, now, stale_after)
    job = Analysis(
        round_id=round_.id,
        status=AnalysisStatus.QUEUED,
        progress=0,
        message="queued",
        started_by_id=actor.id if actor is not None else None,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    try:
        session.flush()
        audit.record(session, actor, "analysis.start", job, None, {"round_id": round_.id}, now=now)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise WrongState("running", job=latest_job(session, round_.id)) from None
    return job
