"""Participants' reports on comments: who may report, reporting once, and hiding a comment
pending review when its round's threshold of reports is reached."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import NotAllowed, NotFound, WrongState
from ..models import Comment, CommentStatus, ModerationMode, Report, ReportStatus, Round, User
from ..people.rules import UNCONFIRMED, write_refusal
from ..permissions import signed_in
from . import reasons
from .decisions import clean_reason, decide, locked_comment, tell_author


def can_report(comment: Comment, viewer: User | None) -> bool:
    """True if ``viewer`` may report ``comment``: published, post-moderated, someone else's."""
    return (
        signed_in(viewer)
        and not viewer.is_blocked
        and comment.author_id != viewer.id
        and comment.status == CommentStatus.PUBLISHED
        and comment.round.moderation == ModerationMode.POST
    )


def reportable(session: Session, viewer: User | None, comment_id: int) -> Comment:
    """Return the comment ``viewer`` may report, or raise NotFound (for anyone else, the
    report form of a comment does not exist)."""
    comment = session.get(Comment, comment_id)
    if comment is None or not can_report(comment, viewer):
        raise NotFound()
    return comment


def reported_comment(session: Session, comment_id: int) -> Comment:
    """Return the comment a report was sent for (its page answers whatever the outcome)."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    return comment


def reported_ids(session: Session, viewer: User | None) -> set[int]:
    """Return the ids of the comments ``viewer`` has reported."""
    if not signed_in(viewer):
        return set()
    return set(session.scalars(select(Report.comment_id).where(Report.reporter_id == viewer.id)))


def report(
    session: Session,
    *,
    reporter: User,
    comment_id: int,
    reason: str,
    note: str = "",
    now: datetime,
) -> Report:
    """Report a published comment once; at the round's threshold it is hidden pending review."""
    if not signed_in(reporter):
        raise NotAllowed()
    if reporter.is_blocked:
        raise NotAllowed()
    code, text = clean_reason(reason, note)
    comment = locked_comment(session, comment_id)
    if comment.author_id == reporter.id:
        raise NotAllowed()
    # A report counts at once (the threshold hides), so it needs a confirmed address.
    if write_refusal(reporter, comment.round, counts=True) == UNCONFIRMED:
        raise WrongState(UNCONFIRMED)
    if comment.status != CommentStatus.PUBLISHED:
        raise WrongState("not_published")
    if comment.round.moderation != ModerationMode.POST:
        raise WrongState("not_reportable")
    already = session.scalar(
        select(Report.id).where(Report.comment_id == comment.id, Report.reporter_id == reporter.id)
    )
    if already is not None:
        raise WrongState("already_reported")
    entry = Report(
        comment_id=comment.id,
        reporter_id=reporter.id,
        reason=code,
        note=text or "",
        status=ReportStatus.OPEN,
        created_at=now,
    )
    session.add(entry)
    try:
        session.flush()
    except IntegrityError as error:
        # The same person's second click won the race; one report is what they wanted.
        session.rollback()
        raise WrongState("already_reported") from error
    comment.open_report_count = session.scalar(
        select(func.count())
        .select_from(Report)
        .where(Report.comment_id == comment.id, Report.status == ReportStatus.OPEN)
    )
    if comment.open_report_count >= comment.round.report_threshold:
        hide_after_reports(session, comment, now)
    session.commit()
    return entry


def hide_after_reports(session: Session, comment: Comment, now: datetime) -> None:
    """Hide a comment pending review because enough people reported it; tell its author."""
    decide(
        session,
        None,
        comment,
        action="comment.hide",
        status=CommentStatus.HIDDEN,
        reason=reasons.REPORTS,
        note=None,
        reports=None,
        now=now,
    )
    tell_author(session, comment, "comment.hidden", now, reason=reasons.REPORTS, note=None)


def apply_threshold(session: Session, round_: Round, now: datetime) -> int:
    """Hide the round's shown comments that already have as many reports as its threshold.

    For a threshold lowered after the round opened; the caller commits. Returns how many.
    """
    over = session.scalars(
        select(Comment)
        .where(
            Comment.round_id == round_.id,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.open_report_count >= round_.report_threshold,
        )
        .with_for_update(of=Comment)
    ).all()
    for comment in over:
        hide_after_reports(session, comment, now)
    return len(over)
