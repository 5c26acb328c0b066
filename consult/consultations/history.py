"""An edited comment's versions: every text it has had, oldest first, with their times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from .. import sanitise
from ..errors import NotFound
from ..models import Comment, CommentKind, Stance, User
from ..permissions import signed_in
from .services import can_see


@dataclass(frozen=True)
class Version:
    """One text of a comment: ``number`` counts from 1; ``replaced_at`` is None for the
    current one."""

    number: int
    written_at: datetime
    replaced_at: datetime | None
    kind: CommentKind
    stance: Stance | None
    body: str
    body_html: str
    proposed_text: str | None

    @property
    def current(self) -> bool:
        return self.replaced_at is None


def _html(body: str) -> str:
    try:
        return sanitise.comment_html(body)
    except sanitise.UnsafeText:
        # Accepted once, so this does not happen; if it ever does, show nothing of it.
        return ""


def versions(comment: Comment, viewer: User | None) -> list[Version]:
    """The versions of ``comment`` ``viewer`` may read, oldest first, then the current one.

    Staff and the author read every earlier text; others only those that were public (a text
    a moderator never approved in a pre-moderated round is not published by editing it).
    """
    everything = signed_in(viewer) and (viewer.is_staff or viewer.id == comment.author_id)
    found = [
        Version(
            number=n,
            written_at=revision.written_at,
            replaced_at=revision.replaced_at,
            kind=revision.kind,
            stance=revision.stance,
            body=revision.body,
            body_html=_html(revision.body),
            proposed_text=revision.proposed_text,
        )
        for n, revision in enumerate(comment.revisions, start=1)
        if everything or revision.was_published
    ]
    found.append(
        Version(
            number=len(comment.revisions) + 1,
            written_at=comment.updated_at if found else comment.created_at,
            replaced_at=None,
            kind=comment.kind,
            stance=comment.stance,
            body=comment.body,
            body_html=comment.body_html,
            proposed_text=comment.proposed_text,
        )
    )
    return found


def earlier_versions(comment: Comment, viewer: User | None) -> list[Version]:
    """The versions ``viewer`` may read that an edited comment had before its current text,
    newest first."""
    if not comment.revisions:
        return []
    return list(reversed(versions(comment, viewer)[:-1]))


def comment_history(session: Session, actor: User | None, comment_id: int) -> Comment:
    """Return the comment whose versions ``actor`` may read: staff any comment, others one
    they can see (published, or their own)."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    staff = signed_in(actor) and actor.is_staff
    if not staff and not can_see(comment, actor if signed_in(actor) else None):
        raise NotFound()
    return comment
