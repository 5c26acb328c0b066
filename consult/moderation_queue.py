"""What "the moderation queue" is, in one place for the queue page and the staff notices."""

from .models import Comment, CommentStatus


def in_queue(state: str | None = None):
    """SQL condition: comments waiting for staff (``state`` narrows it to one kind)."""
    pending = Comment.status == CommentStatus.PENDING
    reported = (Comment.status == CommentStatus.PUBLISHED) & (Comment.open_report_count > 0)
    hidden = (Comment.status == CommentStatus.HIDDEN) & (Comment.open_report_count > 0)
    return {"pending": pending, "reported": reported, "hidden": hidden}.get(
        state, pending | reported | hidden
    )
