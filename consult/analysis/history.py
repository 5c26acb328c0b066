"""The history of a comment's themes: every tag it has had, who made, confirmed and removed it.

Tags are never deleted (a moved or removed tag is kept, marked removed), so the history is
simply all of a comment's tags, oldest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Origin, Theme, ThemeAssignment, User
from ..permissions import require_staff
from .corrections import round_comment


@dataclass(frozen=True)
class Entry:
    """One tag of the comment as the history shows it."""

    theme: Theme
    by_model: bool
    assigned_at: datetime
    assigned_by: User | None
    after_analysis: bool
    confirmed_at: datetime | None
    confirmed_by: User | None
    removed_at: datetime | None
    removed_by: User | None


def of_comment(session: Session, user: User | None, round_id: int, comment_id: int):
    """Return the comment and its history (a list of Entry, oldest first) for staff."""
    require_staff(user)
    comment = round_comment(session, round_id, comment_id)
    tags = session.scalars(
        select(ThemeAssignment)
        .where(ThemeAssignment.comment_id == comment.id)
        .order_by(ThemeAssignment.assigned_at, ThemeAssignment.id)
    ).all()
    people_ids = {
        i
        for tag in tags
        for i in (tag.assigned_by_id, tag.confirmed_by_id, tag.removed_by_id)
        if i is not None
    }
    people = {
        person.id: person for person in session.scalars(select(User).where(User.id.in_(people_ids)))
    }
    entries = [
        Entry(
            theme=tag.theme,
            by_model=tag.source == Origin.MODEL,
            assigned_at=tag.assigned_at,
            assigned_by=people.get(tag.assigned_by_id),
            after_analysis=tag.after_analysis,
            confirmed_at=tag.confirmed_at,
            confirmed_by=people.get(tag.confirmed_by_id),
            removed_at=tag.removed_at,
            removed_by=people.get(tag.removed_by_id),
        )
        for tag in tags
    ]
    return comment, entries
