"""The moderation queue: the comments waiting for staff, with their open reports and counts.

Every function takes the acting user and raises NotAllowed unless they are staff or an
administrator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..errors import NotFound
from ..models import Comment, CommentStatus, Consultation, Report, ReportStatus, Round, User
from ..moderation_queue import in_queue
from ..permissions import require_staff

STATES = ("pending", "reported", "hidden")
QUEUE_LIMIT = 200


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


def with_reports(session: Session, comments: list[Comment]) -> list[QueueItem]:
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
    return with_reports(session, list(comments))


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
    return with_reports(session, [comment])[0]
