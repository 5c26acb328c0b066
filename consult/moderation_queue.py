"""What "the moderation queue" is, in one place for the queue page and the staff notices."""

from sqlalchemy import exists

from .models import Comment, CommentStatus, User


def _author_confirmed():
    # A comment whose author has not confirmed their address is held, not waiting for staff.
    return exists().where(User.id == Comment.author_id, User.email_confirmed_at.is_not(None))


def in_queue(state: str | None = None):
    """SQL condition: comments waiting for staff (``state`` narrows it to one kind)."""
    pending = (Comment.status == CommentStatus.PENDING) & _author_confirmed()
    reported = (Comment.status == CommentStatus.PUBLISHED) & (Comment.open_report_count > 0)
    hidden = (Comment.status == CommentStatus.HIDDEN) & (Comment.open_report_count > 0)
    return {"pending": pending, "reported": reported, "hidden": hidden}.get(
        state, pending | reported | hidden
    )
