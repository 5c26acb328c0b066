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
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import audit
from .. import group_access as access
from ..errors import NotFound, WrongState
from ..models import Analysis, AnalysisStatus, Comment, Consultation, Round, User
from ..permissions import require_staff, require_user
from .selection import analysed_comments

ACTIVE = (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)
# Defaults of ANALYSIS_STALE_MINUTES and ANALYSIS_DEAD_SECONDS (see ``expire_stale``).
STALE_AFTER = timedelta(minutes=60)
DEAD_AFTER = timedelta(minutes=2)


def get_round(
    session: Session, user: User | None, round_id: int, *, sections: set[int] | None = None
) -> Round:
    """Return round ``round_id`` for a staff member; given ``sections`` (the chapters of a
    working group's workspace), also for a current member who may work on all of them."""
    if sections is None:
        require_staff(user)
    else:
        require_user(user)
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound()
    if sections is not None:
        access.require_section_reader(session, user, round_, sections)
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
    """Return the round's most recent job, whatever its state, as the database has it now
    (a worker changes it from outside this session)."""
    return session.scalar(
        select(Analysis)
        .where(Analysis.round_id == round_id)
        .order_by(Analysis.id.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def latest_result(session: Session, round_id: int) -> Analysis | None:
    """Return the round's most recent finished job (whose themes the board shows)."""
    return session.scalar(
        select(Analysis)
        .where(Analysis.round_id == round_id, Analysis.status == AnalysisStatus.DONE)
        .order_by(Analysis.id.desc())
        .limit(1)
    )


def job_status(
    session: Session,
    user: User | None,
    round_id: int,
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    dead_after: timedelta = DEAD_AFTER,
) -> Analysis | None:
    """Return the round's most recent job for a staff member (for the progress bar).

    Given ``now``, a job that has died is first marked failed (see ``expire_stale``), so the
    page shows it as such.
    """
    get_round(session, user, round_id)
    job = latest_job(session, round_id)
    if now is not None and job is not None and has_died(job, now, stale_after, dead_after):
        # Written only then: a page that polls a live job's progress reads, never writes.
        try:
            expire_stale(session, round_id, now, stale_after, dead_after)
            session.commit()
        except OperationalError:
            # SQLite is held by a writer (the job saving its results, say): ask next time.
            session.rollback()
        job = latest_job(session, round_id)
    return job


def has_died(job: Analysis, now: datetime, stale_after: timedelta, dead_after: timedelta) -> bool:
    """Whether ``expire_stale`` would give ``job`` up at ``now``."""
    if job.status == AnalysisStatus.QUEUED:
        return job.updated_at < now - stale_after
    if job.status == AnalysisStatus.RUNNING:
        return (job.heartbeat_at or job.updated_at) < now - dead_after
    return False


def limits(config) -> dict[str, timedelta]:
    """Return the app's limits for giving jobs up, as ``start``'s and ``job_status``'s
    keyword arguments (``ANALYSIS_STALE_MINUTES``, ``ANALYSIS_DEAD_SECONDS``)."""
    return {
        "stale_after": timedelta(minutes=config["ANALYSIS_STALE_MINUTES"]),
        "dead_after": timedelta(seconds=config["ANALYSIS_DEAD_SECONDS"]),
    }


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


def expire_stale(
    session: Session,
    round_id: int,
    now: datetime,
    after: timedelta,
    dead_after: timedelta = DEAD_AFTER,
) -> None:
    """Mark the round's jobs that have died as failed, freeing the round for a new job.

    A running job writes a heartbeat every few seconds (see ``heartbeat``): one silent
    for ``dead_after`` has died (its worker was killed, ran out of memory, the machine
    restarted) and fails as "dead". A job still queued ``after`` its last change never found a
    worker (it was lost with a restarted app) and fails as "stale". A job marked failed that
    still runs somewhere stops at its next step and saves nothing.
    """
    gave_up = {"status": AnalysisStatus.FAILED, "message": "failed", "finished_at": now}
    session.execute(
        update(Analysis)
        .where(
            Analysis.round_id == round_id,
            Analysis.status == AnalysisStatus.QUEUED,
            Analysis.updated_at < now - after,
        )
        .values(error="stale", **gave_up)
        .execution_options(synchronize_session=False)
    )
    # A job saving its results holds its row (PostgreSQL) and cannot beat meanwhile: it is
    # alive, so a locked row is skipped rather than waited for.
    silent = (
        select(Analysis.id)
        .where(
            Analysis.round_id == round_id,
            Analysis.status == AnalysisStatus.RUNNING,
            func.coalesce(Analysis.heartbeat_at, Analysis.updated_at) < now - dead_after,
        )
        .with_for_update(skip_locked=True)
    )
    dead = list(session.scalars(silent))
    if dead:
        session.execute(
            update(Analysis)
            .where(Analysis.id.in_(dead), Analysis.status == AnalysisStatus.RUNNING)
            .values(error="dead", **gave_up)
            .execution_options(synchronize_session=False)
        )


def cancel(session: Session, user: User | None, round_id: int, *, now: datetime) -> Analysis:
    """Stop the round's queued or running job on a staff member's word (audited).

    The job is marked failed as "cancelled" at once, which frees the round for a new start;
    if it still runs it stops at its next step and saves nothing. WrongState("not_running")
    if no job is queued or running (it finished meanwhile, say).
    """
    get_round(session, user, round_id)
    job = session.scalar(
        select(Analysis).where(Analysis.round_id == round_id, Analysis.status.in_(ACTIVE))
    )
    before = job and {"status": job.status.value, "progress": job.progress}
    stopped = (
        job is not None
        and session.execute(
            update(Analysis)
            .where(Analysis.id == job.id, Analysis.status.in_(ACTIVE))
            .values(
                status=AnalysisStatus.FAILED,
                error="cancelled",
                message="failed",
                finished_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
    )
    if not stopped:
        session.rollback()
        raise WrongState("not_running", job=latest_job(session, round_id))
    audit.record(session, user, "analysis.cancel", job, before, {"status": "failed"}, now=now)
    session.commit()
    session.refresh(job)
    return job


def start(
    session: Session,
    user: User | None,
    round_id: int,
    *,
    now: datetime,
    stale_after: timedelta,
    dead_after: timedelta = DEAD_AFTER,
) -> Analysis:
    """Queue an analysis of the round; WrongState("running") if one is queued or running.

    A job that has died (see ``expire_stale``) does not count: it is marked failed first.
    """
    round_ = get_round(session, user, round_id)
    return _queue(session, user, round_, now=now, stale_after=stale_after, dead_after=dead_after)


def start_as_system(
    session: Session,
    round_: Round,
    *,
    now: datetime,
    stale_after: timedelta,
    dead_after: timedelta = DEAD_AFTER,
) -> Analysis:
    """Queue an analysis from the command line (no acting user; audited as the system)."""
    return _queue(session, None, round_, now=now, stale_after=stale_after, dead_after=dead_after)


def _queue(
    session: Session,
    actor: User | None,
    round_: Round,
    *,
    now: datetime,
    stale_after: timedelta,
    dead_after: timedelta,
) -> Analysis:
    if not comment_count(session, round_.id):
        raise WrongState("no_comments")
    expire_stale(session, round_.id, now, stale_after, dead_after)
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
