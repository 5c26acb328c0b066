"""Moderation: participants report comments; staff approve, reject, hide, unhide and dismiss.

Every staff function takes the acting user and raises NotAllowed unless they are staff or an
administrator, whatever the route in front of it checks. Each decision locks the comment row
(FOR UPDATE on PostgreSQL; SQLite runs one writer at a time), changes it, resolves its open
reports, writes an audit entry and tells the author, all in one transaction: a refused action
saves nothing. Nothing a participant wrote is ever deleted: moderation only changes a status.

``Comment.open_report_count`` is recounted from the report table under the row lock at every
change, so concurrent reports can never make it drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import url_for
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..analysis.placement import place_quietly
from ..models import (
    Comment,
    CommentStatus,
    Consultation,
    ModerationMode,
    Report,
    ReportStatus,
    Round,
    User,
)
from ..moderation_queue import in_queue
from ..notifications import notify
from ..notifications.events import comment_replied
from . import reasons

AUDITED = ("status", "open_report_count", "moderation_reason", "moderation_note")
STATES = ("pending", "reported", "hidden")
BULK_ACTIONS = ("approve", "reject", "hide", "unhide", "dismiss")
QUEUE_LIMIT = 200


class ModerationError(Exception):
    """Base for refusals; ``code`` is the HTTP status that fits."""

    code = 400


class NotAllowed(ModerationError):
    code = 403


class NotFound(ModerationError):
    code = 404


class WrongState(ModerationError):
    """The action does not fit the comment's current state; ``key`` says why."""

    code = 409

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class Invalid(ModerationError):
    """Input refused; ``errors`` maps form fields to message keys."""

    code = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


class BulkRefused(ModerationError):
    """One comment of a bulk selection refused the action; nothing was changed."""

    code = 409

    def __init__(self, comment_id: int, key: str):
        super().__init__(comment_id, key)
        self.comment_id = comment_id
        self.key = key


def require_staff(actor: User | None) -> None:
    """Raise NotAllowed unless ``actor`` is logged-in staff or an administrator."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed()
    if not getattr(actor, "is_staff", False):
        raise NotAllowed()


def clean_reason(reason: str | None, note: str | None, *, field_name: str = "reason") -> tuple:
    """Return a valid reason code and its note (None if empty), or raise Invalid."""
    code = (reason or "").strip()
    text = (note or "").strip() or None
    errors = {}
    if not code:
        errors[field_name] = "required"
    elif code not in reasons.REASONS:
        errors[field_name] = "choice"
    elif code == reasons.OTHER and not text:
        errors["note"] = "required_other"
    if text and len(text) > reasons.NOTE_MAX_CHARS:
        errors["note"] = "too_long"
    if errors:
        raise Invalid(errors)
    return code, text


# The queue


@dataclass
class QueueItem:
    """A comment waiting for a decision, with its open reports."""

    comment: Comment
    reports: list[Report] = field(default_factory=list)

    @property
    def state(self) -> str | None:
        """ "pending", "reported" or "hidden" while it waits; None once decided."""
        comment = self.comment
        if comment.status == CommentStatus.PENDING:
            return "pending"
        if comment.open_report_count and comment.status == CommentStatus.PUBLISHED:
            return "reported"
        if comment.open_report_count and comment.status == CommentStatus.HIDDEN:
            return "hidden"
        return None

    @property
    def reasons(self) -> list[tuple[str, int]]:
        """The reasons of the open reports with how many gave each, most frequent first."""
        return Counter(r.reason for r in self.reports).most_common()


def _with_reports(session: Session, comments: list[Comment]) -> list[QueueItem]:
    ids = [c.id for c in comments]
    by_comment: dict[int, list[Report]] = {i: [] for i in ids}
    if ids:
        rows = session.scalars(
            select(Report)
            .where(Report.comment_id.in_(ids), Report.status == ReportStatus.OPEN)
            .options(selectinload(Report.reporter))
            .order_by(Report.created_at, Report.id)
        )
        for report in rows:
            by_comment[report.comment_id].append(report)
    return [QueueItem(c, by_comment[c.id]) for c in comments]


def queue(
    session: Session,
    actor: User,
    *,
    round_id: int | None = None,
    state: str | None = None,
    limit: int | None = None,
) -> list[QueueItem]:
    """Return the comments waiting for staff: most open reports first, then oldest first."""
    require_staff(actor)
    query = select(Comment).where(in_queue(state))
    if round_id is not None:
        query = query.where(Comment.round_id == round_id)
    comments = session.scalars(
        query.options(
            selectinload(Comment.round).selectinload(Round.consultation),
            selectinload(Comment.paragraph),
            selectinload(Comment.section),
            selectinload(Comment.parent),
        )
        .order_by(Comment.open_report_count.desc(), Comment.created_at, Comment.id)
        .limit(limit or QUEUE_LIMIT)
    )
    return _with_reports(session, list(comments))


def queue_counts(session: Session, actor: User, *, round_id: int | None = None) -> dict:
    """Count the waiting comments per state ("pending", "reported", "hidden") and in all."""
    require_staff(actor)
    counts = {}
    for state in STATES:
        query = select(func.count()).select_from(Comment).where(in_queue(state))
        if round_id is not None:
            query = query.where(Comment.round_id == round_id)
        counts[state] = session.scalar(query)
    counts["all"] = sum(counts.values())
    return counts


def queue_size(session: Session, actor: User) -> int:
    """Count every comment waiting for staff (for the menu)."""
    require_staff(actor)
    return session.scalar(select(func.count()).select_from(Comment).where(in_queue(None)))


def queue_rounds(session: Session, actor: User) -> list[Round]:
    """Return every dated round, for the queue's round filter, newest consultation first."""
    require_staff(actor)
    return list(
        session.scalars(
            select(Round)
            .join(Consultation)
            .where(Round.opens_at.is_not(None))
            .options(selectinload(Round.consultation))
            .order_by(Consultation.created_at.desc(), Consultation.id.desc(), Round.number)
        )
    )


def get_item(session: Session, actor: User, comment_id: int) -> QueueItem:
    """Return one comment with its open reports, whatever its state, or raise NotFound."""
    require_staff(actor)
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    return _with_reports(session, [comment])[0]


# Decisions


def _locked_comment(session: Session, comment_id: int) -> Comment:
    # Re-read under the lock even if the comment is loaded: another moderator may have acted.
    comment = session.scalar(
        select(Comment)
        .where(Comment.id == comment_id)
        # Only the comment row: the author is joined in, and the outer join cannot be locked.
        .with_for_update(of=Comment)
        .execution_options(populate_existing=True)
    )
    if comment is None:
        raise NotFound()
    return comment


def _mine_url() -> str:
    return url_for("consultations.mine", _external=True)


def _tell_author(session: Session, comment: Comment, kind: str, now: datetime, **params) -> None:
    author = comment.author
    if "reason" in params:
        params["reason"] = reasons.label_for(params["reason"], params.pop("note"), author.locale)
    notify(
        session,
        author,
        kind,
        now=now,
        url=_mine_url(),
        round_title=comment.round.consultation.title,
        **params,
    )


def _resolve_reports(
    session: Session, comment: Comment, status: ReportStatus, actor: User | None, now: datetime
) -> None:
    session.execute(
        update(Report)
        .where(Report.comment_id == comment.id, Report.status == ReportStatus.OPEN)
        .values(status=status, resolved_at=now, resolved_by_id=actor.id if actor else None)
    )
    comment.open_report_count = 0


def _decide(
    session: Session,
    actor: User | None,
    comment: Comment,
    *,
    action: str,
    status: CommentStatus,
    reason: str | None,
    note: str | None,
    reports: ReportStatus | None,
    now: datetime,
) -> None:
    """Set the comment's status and reason, resolve its open reports, and audit the change."""
    before = audit.snapshot(comment, AUDITED)
    comment.status = status
    comment.moderation_reason = reason
    comment.moderation_note = note
    comment.moderated_at = now
    comment.moderated_by_id = actor.id if actor else None
    if reports is not None:
        _resolve_reports(session, comment, reports, actor, now)
    after = audit.snapshot(comment, AUDITED)
    why = reasons.label_for(reason, note, "sv") if reason else None
    audit.record(session, actor, action, comment, *audit.changed(before, after), why, now=now)


def _approve(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.PENDING:
        raise WrongState("not_pending")
    _decide(
        session,
        actor,
        comment,
        action="comment.approve",
        status=CommentStatus.PUBLISHED,
        reason=None,
        note=None,
        reports=None,
        now=now,
    )
    _tell_author(session, comment, "comment.approved", now)
    if comment.parent is not None:
        comment_replied(session, comment, comment.parent, now=now)


def _reject(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.PENDING:
        raise WrongState("not_pending")
    _decide(
        session,
        actor,
        comment,
        action="comment.reject",
        status=CommentStatus.REJECTED,
        reason=reason,
        note=note,
        reports=None,
        now=now,
    )
    _tell_author(session, comment, "comment.rejected", now, reason=reason, note=note)


def _hide(session, actor, comment, reason, note, now) -> None:
    hidden_by_reports = comment.status == CommentStatus.HIDDEN and comment.open_report_count
    if comment.status != CommentStatus.PUBLISHED and not hidden_by_reports:
        raise WrongState("not_visible")
    _decide(
        session,
        actor,
        comment,
        action="comment.hide",
        status=CommentStatus.HIDDEN,
        reason=reason,
        note=note,
        reports=ReportStatus.UPHELD,
        now=now,
    )
    _tell_author(session, comment, "comment.hidden", now, reason=reason, note=note)


def _unhide(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.HIDDEN:
        raise WrongState("not_hidden")
    _decide(
        session,
        actor,
        comment,
        action="comment.unhide",
        status=CommentStatus.PUBLISHED,
        reason=None,
        note=None,
        reports=ReportStatus.DISMISSED,
        now=now,
    )
    _tell_author(session, comment, "comment.unhidden", now)


def _dismiss(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.PUBLISHED or not comment.open_report_count:
        raise WrongState("no_reports")
    before = audit.snapshot(comment, AUDITED)
    _resolve_reports(session, comment, ReportStatus.DISMISSED, actor, now)
    audit.record(
        session,
        actor,
        "report.dismiss",
        comment,
        *audit.changed(before, audit.snapshot(comment, AUDITED)),
        now=now,
    )


_ACTIONS: dict[str, Callable] = {
    "approve": _approve,
    "reject": _reject,
    "hide": _hide,
    "unhide": _unhide,
    "dismiss": _dismiss,
}
NEEDS_REASON = ("reject", "hide")


def _act(
    session: Session,
    actor: User,
    name: str,
    comment_id: int,
    *,
    reason: str | None = None,
    note: str | None = None,
    now: datetime,
) -> Comment:
    require_staff(actor)
    code, text = clean_reason(reason, note) if name in NEEDS_REASON else (None, None)
    comment = _locked_comment(session, comment_id)
    _ACTIONS[name](session, actor, comment, code, text, now)
    session.commit()
    _place_if_published([comment], session, now)
    return comment


def _place_if_published(comments: list[Comment], session: Session, now: datetime) -> None:
    """Put comments that just became public into the themes of an analysed round."""
    for comment in comments:
        if comment.status == CommentStatus.PUBLISHED:
            place_quietly(session, comment, now)


def approve(session: Session, actor: User, comment_id: int, *, now: datetime) -> Comment:
    """Publish a comment waiting for review; its author is told."""
    return _act(session, actor, "approve", comment_id, now=now)


def reject(
    session: Session, actor: User, comment_id: int, *, reason: str, note: str = "", now: datetime
) -> Comment:
    """Refuse a comment waiting for review, with a reason; it is kept, its author is told."""
    return _act(session, actor, "reject", comment_id, reason=reason, note=note, now=now)


def hide(
    session: Session, actor: User, comment_id: int, *, reason: str, note: str = "", now: datetime
) -> Comment:
    """Hide a published (or report-hidden) comment with a reason, upholding its open reports."""
    return _act(session, actor, "hide", comment_id, reason=reason, note=note, now=now)


def unhide(session: Session, actor: User, comment_id: int, *, now: datetime) -> Comment:
    """Show a hidden comment again, dismissing its open reports; its author is told."""
    return _act(session, actor, "unhide", comment_id, now=now)


def dismiss_reports(session: Session, actor: User, comment_id: int, *, now: datetime) -> Comment:
    """Dismiss the open reports on a published comment, which stays visible."""
    return _act(session, actor, "dismiss", comment_id, now=now)


def bulk(
    session: Session,
    actor: User,
    *,
    action: str,
    comment_ids: list[int],
    reason: str | None = None,
    note: str | None = None,
    now: datetime,
) -> int:
    """Apply one action to every selected comment, all or nothing; return how many."""
    require_staff(actor)
    errors = {}
    if action not in BULK_ACTIONS:
        errors["action"] = "choice"
    if not comment_ids:
        errors["ids"] = "none_selected"
    code = text = None
    if action in NEEDS_REASON:
        try:
            code, text = clean_reason(reason, note)
        except Invalid as error:
            errors |= error.errors
    if errors:
        raise Invalid(errors)
    ids = sorted(set(comment_ids))
    decided = []
    for comment_id in ids:
        try:
            comment = _locked_comment(session, comment_id)
            _ACTIONS[action](session, actor, comment, code, text, now)
        except (WrongState, NotFound) as error:
            session.rollback()
            raise BulkRefused(comment_id, getattr(error, "key", "not_found")) from error
        decided.append(comment)
    session.commit()
    _place_if_published(decided, session, now)
    return len(ids)


# Reports


def can_report(comment: Comment, viewer: User | None) -> bool:
    """True if ``viewer`` may report ``comment``: published, post-moderated, someone else's."""
    return (
        viewer is not None
        and getattr(viewer, "is_authenticated", False)
        and not viewer.is_blocked
        and comment.author_id != viewer.id
        and comment.status == CommentStatus.PUBLISHED
        and comment.round.moderation == ModerationMode.POST
    )


def reported_ids(session: Session, viewer: User | None) -> set[int]:
    """Return the ids of the comments ``viewer`` has reported."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
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
    if reporter is None or not getattr(reporter, "is_authenticated", False):
        raise NotAllowed()
    if reporter.is_blocked:
        raise NotAllowed()
    code, text = clean_reason(reason, note)
    comment = _locked_comment(session, comment_id)
    if comment.author_id == reporter.id:
        raise NotAllowed()
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
        _hide_after_reports(session, comment, now)
    session.commit()
    return entry


def _hide_after_reports(session: Session, comment: Comment, now: datetime) -> None:
    """Hide a comment pending review because enough people reported it; tell its author."""
    _decide(
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
    _tell_author(session, comment, "comment.hidden", now, reason=reasons.REPORTS, note=None)


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
        _hide_after_reports(session, comment, now)
    return len(over)
