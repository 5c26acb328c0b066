"""How many comments a round has, counted one way for every page and file that shows a total.

A round's figures differ only by what they count: comments (top-level synpunkter) and the
replies to them, published or not. Every total names what it counts, from these numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from . import caching
from .models import Comment, CommentStatus, Round


@dataclass(frozen=True)
class Totals:
    """A round's comments: published top-level comments, published replies, and the rest
    (waiting for review, hidden, rejected or withdrawn)."""

    comments: int
    replies: int
    not_published: int
    # Of the published comments: points raised at dialogue events and recorded here.
    from_events: int = 0

    @property
    def published(self) -> int:
        """Published comments and replies together."""
        return self.comments + self.replies

    @property
    def written(self) -> int:
        """Everything written in the round, whatever its state."""
        return self.published + self.not_published


def for_round(session: Session, round_id: int) -> Totals:
    """Count the comments and replies of a round, published and not, in one query."""
    published = Comment.status == CommentStatus.PUBLISHED
    top = Comment.parent_id.is_(None)
    from_event = Comment.event_id.is_not(None)

    def count() -> list[int]:
        return list(
            session.execute(
                select(
                    func.count(case((published & top, 1))),
                    func.count(case((published & ~top, 1))),
                    func.count(case((~published, 1))),
                    func.count(case((published & top & from_event, 1))),
                ).where(Comment.round_id == round_id)
            ).one()
        )

    round_ = session.get(Round, round_id)
    # Cached per version of the round's data (consult.caching).
    comments, replies, other, from_events = (
        caching.figures("totals", round_, count) if round_ is not None else count()
    )
    return Totals(comments=comments, replies=replies, not_published=other, from_events=from_events)
