"""Which comments an analysis reads, and the text the engine reads of each.

The analysis reads a round's published top-level comments. Replies are left out: they answer
another comment ("Håller med!") rather than the draft, and would pull themes towards chatter.
Every part of the analysis that reads comments (the job, placement, training, proposals,
splits, the counts on the pages) selects them here, so they all read the same ones.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Comment, CommentStatus


def comment_text(comment: Comment) -> str:
    """Return the text the engine reads for a comment: its body and any proposed wording."""
    if comment.proposed_text:
        return f"{comment.body}\n{comment.proposed_text}"
    return comment.body


def analysed_comments(session: Session, round_id: int):
    """Select the comments an analysis reads: published, top-level, oldest first."""
    return (
        select(Comment)
        .where(
            Comment.round_id == round_id,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.parent_id.is_(None),
        )
        .order_by(Comment.id)
    )
