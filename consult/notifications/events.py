"""What followers, authors and staff are told, and when.

Round states are computed from dates, so nothing happens at the moment a round opens or
closes: ``announce_rounds`` runs periodically (the worker) and tells followers about rounds
that opened or closed since. Each announcement is claimed with a conditional UPDATE of the
round (``opening_announced_at IS NULL``) in the transaction that writes the notifications, so
several workers at once still announce every round once. Deadline changes and replies are
told at once, in the transaction of the change.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.routing import BuildError

from ..consultations.services import RoundState, round_state
from ..models import (
    Comment,
    CommentStatus,
    Follow,
    Notification,
    Report,
    ReportStatus,
    Role,
    Round,
    User,
)
from ..moderation_queue import in_queue
from ..people.public_names import public_byline
from . import notify

log = logging.getLogger(__name__)

# Closings older than this are not announced (e.g. old rounds when notifications came in).
ANNOUNCE_CLOSING_WITHIN = timedelta(days=7)
QUEUE_NOTICE_EVERY = timedelta(hours=1)


def round_url(round_: Round) -> str:
    """Return the path of a round's public page."""
    consultation = round_.consultation
    return url_for(
        "consultations.round_page", slug=consultation.slug, number=round_.number, _external=False
    )


def queue_url(round_: Round) -> str | None:
    """Return the path of a round's moderation queue (None while moderation is not installed)."""
    try:
        return url_for("moderation.queue", omgang=round_.id, _external=False)
    except BuildError:
        return None


def followers(session: Session, consultation_id: int) -> list[User]:
    """Return the people who follow a consultation."""
    return list(
        session.scalars(
            select(User)
            .join(Follow, Follow.user_id == User.id)
            .where(Follow.consultation_id == consultation_id)
            .order_by(User.id)
        )
    )


def _tell_followers(session: Session, round_: Round, kind: str, now: datetime) -> int:
    people = followers(session, round_.consultation_id)
    for person in people:
        notify(
            session,
            person,
            kind,
            now=now,
            url=round_url(round_),
            consultation=round_.consultation.title,
            round_title=f"{round_.consultation.title} – {round_.title}",
            closes_at=round_.closes_at.isoformat(),
        )
    return len(people)


# Told at once, in the caller's transaction


def deadline_changed(session: Session, round_: Round, *, now: datetime) -> None:
    """Tell followers the round's new deadline (admin extend or reopen, before its commit).

    A reopened round may close again: its closing is then announced again.
    """
    round_.closing_announced_at = None
    _tell_followers(session, round_, "round.deadline_changed", now)


def comment_replied(session: Session, reply: Comment, parent: Comment, *, now: datetime) -> None:
    """Tell the author of ``parent`` about a published reply, unless they wrote it themselves.

    A reply waiting for review is not told: nobody but its author can read it yet.
    """
    if reply.author_id == parent.author_id or reply.status != CommentStatus.PUBLISHED:
        return
    notify(
        session,
        parent.author,
        "comment.replied",
        now=now,
        url=url_for("consultations.comment", comment_id=parent.id, _external=False),
        # The list names the replier through ``reply_id`` as they choose to be seen now; the
        # stored public form is for the e-mail and for rows recorded before the id was kept.
        reply_id=reply.id,
        replier=_public_name(session, reply),
        consultation=parent.round.consultation.title,
        round_title=parent.round.consultation.title,
    )


def _public_name(session: Session, comment: Comment) -> str:
    """The author of ``comment`` as the public sees them: their name, or their organisation."""
    author = session.get(User, comment.author_id)
    by = public_byline(author, comment.author_organisation_name, comment.author_organisation_id)
    return by.person or by.organisation or ""


# Found by the worker


@dataclass
class Announced:
    opened: int = 0
    closed: int = 0


def _claim(session: Session, round_id: int, column, now: datetime) -> bool:
    """Set ``column`` of the round if it is unset; True if this transaction did it."""
    claimed = session.execute(
        update(Round).where(Round.id == round_id, column.is_(None)).values({column.key: now})
    ).rowcount
    return claimed == 1


def _closed_since(round_: Round) -> datetime:
    return min(d for d in (round_.closed_at, round_.closes_at) if d is not None)


def announce_rounds(session: Session, *, now: datetime) -> Announced:
    """Tell followers about rounds that opened or closed and were not announced yet."""
    done = Announced()
    candidates = session.scalars(
        select(Round).where(
            Round.opens_at <= now,
            Round.closes_at.is_not(None),
            or_(Round.opening_announced_at.is_(None), Round.closing_announced_at.is_(None)),
        )
    )
    due = []
    for round_ in candidates:
        state = round_state(round_, now)
        if state == RoundState.OPEN and round_.opening_announced_at is None:
            due.append((round_.id, "opening_announced_at", "round.opened"))
        elif (
            state in (RoundState.CLOSED, RoundState.PUBLISHED)
            and round_.closing_announced_at is None
            and _closed_since(round_) >= now - ANNOUNCE_CLOSING_WITHIN
        ):
            due.append((round_.id, "closing_announced_at", "round.closed"))
    # End the reading transaction: each claim below starts its own with a write.
    session.rollback()
    for round_id, column, kind in due:
        if _announce(session, round_id, getattr(Round, column), kind, now):
            if kind == "round.opened":
                done.opened += 1
            else:
                done.closed += 1
    return done


def _announce(session: Session, round_id: int, column, kind: str, now: datetime) -> bool:
    try:
        if not _claim(session, round_id, column, now):
            session.rollback()
            return False
        round_ = session.get(Round, round_id, populate_existing=True)
        _tell_followers(session, round_, kind, now)
        session.commit()
    except OperationalError as error:
        # SQLite refuses a write that raced another worker's; that worker announces it.
        session.rollback()
        log.info("Announcement of round %s left to another worker: %s", round_id, error)
        return False
    return True


# The moderation queue


def _entered_queue():
    # When a comment joined the queue: its latest open report, or when it was written or edited.
    latest_report = (
        select(func.max(Report.created_at))
        .where(Report.comment_id == Comment.id, Report.status == ReportStatus.OPEN)
        .scalar_subquery()
    )
    return func.coalesce(latest_report, Comment.updated_at)


def _last_queue_notice(session: Session, round_id: int) -> datetime | None:
    # Notifications of one kind carry the round first in their params (see _tell_staff).
    prefix = json.dumps({"round_id": round_id})[:-1] + ",%"
    return session.scalar(
        select(func.max(Notification.created_at)).where(
            Notification.kind == "queue.grew", Notification.params.like(prefix)
        )
    )


def announce_queues(session: Session, *, now: datetime) -> int:
    """Tell staff about rounds whose moderation queue grew since they were last told.

    The first waiting comment is told at once, later growth at most once an hour per round.
    Each round is locked while deciding (FOR UPDATE on PostgreSQL; SQLite refuses the second
    of two racing writers), so several workers still tell staff once.
    """
    rows = session.execute(
        select(Comment.round_id, func.count(), func.max(_entered_queue()))
        .where(in_queue())  # the queue exactly as staff see it
        .group_by(Comment.round_id)
    ).all()
    session.rollback()
    told = 0
    for round_id, count, newest in rows:
        try:
            if _tell_staff_if_grown(session, round_id, count, newest, now):
                told += 1
        except OperationalError as error:
            session.rollback()
            log.info("Queue notice of round %s left to another worker: %s", round_id, error)
    return told


def _tell_staff_if_grown(
    session: Session, round_id: int, count: int, newest: datetime, now: datetime
) -> bool:
    round_ = session.scalar(
        select(Round)
        .where(Round.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    last = _last_queue_notice(session, round_id)
    if newest is not None and newest.tzinfo is None:
        newest = newest.replace(tzinfo=now.tzinfo)
    grown = last is None or (newest is not None and newest > last)
    if round_ is None or not grown or (last is not None and now - last < QUEUE_NOTICE_EVERY):
        session.rollback()
        return False
    staff = session.scalars(
        select(User).where(User.role.in_([Role.STAFF, Role.ADMIN])).order_by(User.id)
    )
    for person in staff:
        notify(
            session,
            person,
            "queue.grew",
            now=now,
            url=queue_url(round_),
            round_id=round_.id,
            count=count,
            consultation=round_.consultation.title,
            round_title=f"{round_.consultation.title} – {round_.title}",
        )
    session.commit()
    return True
