"""Staff decisions on comments: approve, reject, hide, show again, dismiss reports, in bulk.

Every function takes the acting user and raises NotAllowed unless they are staff or an
administrator, whatever the route in front of it checks. Each decision locks the comment row
(FOR UPDATE on PostgreSQL; SQLite runs one writer at a time), changes it, resolves its open
reports, writes an audit entry and tells the author, all in one transaction: a refused action
saves nothing. Nothing a participant wrote is ever deleted: moderation only changes a status.

``Comment.open_report_count`` is recounted from the report table under the row lock at every
change, so concurrent reports can never make it drift.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import url_for
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .. import audit
from ..analysis.placement import place_quietly
from ..errors import Invalid, NotFound, WrongState
from ..models import Comment, CommentStatus, Report, ReportStatus, User
from ..notifications import notify
from ..notifications.events import comment_replied
from ..permissions import require_staff
from . import reasons

AUDITED = ("status", "open_report_count", "moderation_reason", "moderation_note")
BULK_ACTIONS = ("approve", "reject", "hide", "unhide", "dismiss")


class BulkRefused(WrongState):
    """One comment of a bulk selection refused the action; nothing was changed."""

    def __init__(self, comment_id: int, key: str):
        super().__init__(key, comment_id=comment_id)
        self.comment_id = comment_id


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


def locked_comment(session: Session, comment_id: int) -> Comment:
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


def tell_author(session: Session, comment: Comment, kind: str, now: datetime, **params) -> None:
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


def resolve_reports(
    session: Session, comment: Comment, status: ReportStatus, actor: User | None, now: datetime
) -> None:
    session.execute(
        update(Report)
        .where(Report.comment_id == comment.id, Report.status == ReportStatus.OPEN)
        .values(status=status, resolved_at=now, resolved_by_id=actor.id if actor else None)
    )
    comment.open_report_count = 0


def decide(
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
        resolve_reports(session, comment, reports, actor, now)
    after = audit.snapshot(comment, AUDITED)
    why = reasons.label_for(reason, note, "sv") if reason else None
    audit.record(session, actor, action, comment, *audit.changed(before, after), why, now=now)


def _approve(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.PENDING:
        raise WrongState("not_pending")
    # Held until the author confirms (not in the queue; reachable by id only).
    if not comment.author.is_confirmed:
        raise WrongState("author_unconfirmed")
    decide(
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
    tell_author(session, comment, "comment.approved", now)
    if comment.parent is not None:
        comment_replied(session, comment, comment.parent, now=now)


def _reject(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.PENDING:
        raise WrongState("not_pending")
    decide(
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
    tell_author(session, comment, "comment.rejected", now, reason=reason, note=note)


def _hide(session, actor, comment, reason, note, now) -> None:
    hidden_by_reports = comment.status == CommentStatus.HIDDEN and comment.open_report_count
    if comment.status != CommentStatus.PUBLISHED and not hidden_by_reports:
        raise WrongState("not_visible")
    decide(
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
    tell_author(session, comment, "comment.hidden", now, reason=reason, note=note)


def _unhide(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.HIDDEN:
        raise WrongState("not_hidden")
    decide(
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
    tell_author(session, comment, "comment.unhidden", now)


def _dismiss(session, actor, comment, reason, note, now) -> None:
    if comment.status != CommentStatus.PUBLISHED or not comment.open_report_count:
        raise WrongState("no_reports")
    before = audit.snapshot(comment, AUDITED)
    resolve_reports(session, comment, ReportStatus.DISMISSED, actor, now)
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
    comment = locked_comment(session, comment_id)
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
            comment = locked_comment(session, comment_id)
            _ACTIONS[action](session, actor, comment, code, text, now)
        except (WrongState, NotFound) as error:
            session.rollback()
            raise BulkRefused(comment_id, getattr(error, "key", "not_found")) from error
        decided.append(comment)
    session.commit()
    _place_if_published(decided, session, now)
    return len(ids)
