"""Tag actions on many comments at once: move, add or confirm, all or nothing.

Each comment gets the same change (and audit entry) as the one-comment action would give it,
in one transaction: if any selected comment cannot take the change (it left the theme
meanwhile, say), nothing is changed and the refusal says so. A comment the same action has
been applied to already (the form posted twice: it was moved from the theme to the target,
added, or confirmed) is left as it is, so a repeated post changes nothing and is no error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Invalid, NotFound
from ..models import Comment, ThemeAssignment, User
from ..permissions import require_staff
from .corrections import (
    active_tag,
    added,
    confirmed,
    current_theme,
    lock_themes,
    moved,
)

ACTIONS = ("move", "add", "confirm")
MAX_COMMENTS = 500


@dataclass
class Done:
    """How many comments were selected, and how many of them this post changed."""

    selected: int
    changed: int


def _moved_already(session: Session, comment_id: int, source_id: int, target_id: int) -> bool:
    """True if the comment left theme ``source_id`` and is on theme ``target_id`` now."""
    left = session.scalar(
        select(ThemeAssignment.id)
        .where(
            ThemeAssignment.comment_id == comment_id,
            ThemeAssignment.theme_id == source_id,
            ThemeAssignment.removed_by_id.is_not(None),
        )
        .limit(1)
    )
    return left is not None and active_tag(session, comment_id, target_id) is not None


def apply(
    session: Session,
    user: User | None,
    round_id: int,
    *,
    action: str,
    comment_ids: list[int],
    from_theme_id: int | None,
    to_theme_id: int | None,
    now: datetime,
) -> Done:
    """Apply ``action`` to the comments ``comment_ids``; return how many changed.

    ``move`` needs both themes, ``add`` the target, ``confirm`` the theme the comments are in
    (``from_theme_id``). Raises Invalid for a bad request and for comments no longer in the
    theme, NotFound for comments or themes that are not the round's.
    """
    require_staff(user)
    ids = list(dict.fromkeys(comment_ids))
    if action not in ACTIONS:
        raise Invalid({"action": "unknown"})
    if not ids:
        raise Invalid({"comments": "required"})
    if len(ids) > MAX_COMMENTS:
        raise Invalid({"comments": "too_many"})
    lock_themes(session, round_id, from_theme_id, to_theme_id)
    source = current_theme(session, round_id, from_theme_id) if from_theme_id else None
    if action in ("move", "add"):
        if not to_theme_id:
            raise Invalid({"to_theme": "required"})
        target = current_theme(session, round_id, to_theme_id)
    if action in ("move", "confirm") and source is None:
        raise Invalid({"from_theme": "required"})
    comments = session.scalars(
        select(Comment).where(Comment.id.in_(ids), Comment.round_id == round_id)
    ).all()
    if len(comments) != len(ids):
        raise NotFound()
    changed = 0
    try:
        for comment in sorted(comments, key=lambda c: c.id):
            if source is not None and active_tag(session, comment.id, source.id) is None:
                if action == "move" and _moved_already(session, comment.id, source.id, target.id):
                    continue
                raise Invalid({"comments": "changed"})
            if action == "move":
                changed += source.id != target.id
                moved(session, user, comment, source.id, target, now)
            elif action == "add":
                tag = active_tag(session, comment.id, target.id)
                changed += tag is None
                added(session, user, comment, target, now)
            else:
                changed += not active_tag(session, comment.id, source.id).confirmed
                confirmed(session, user, comment, source.id, now)
    except Exception:
        session.rollback()
        raise
    session.commit()
    return Done(len(ids), changed)
