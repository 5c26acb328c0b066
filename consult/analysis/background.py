"""Work on one theme that runs in the background: a split of a large theme, or the search for
the comments to propose for a theme made by hand in a large round.

Each is written in the audit log as it goes: asked for (``*_request``, by the staff member
who asked), then done (``theme.split`` / ``theme_proposal.search``) or failed
(``*_fail``, with the reason). The theme's page reads the last of these to say that the
work is under way (with a progress bar that polls, as the analysis's does), or that it
stopped and why; no other table is needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..models import AuditEntry, Theme, User
from ..permissions import require_staff

SPLIT, PROPOSALS = "split", "proposals"
# Per kind of work: the audit actions that ask for it, finish it and record its failure.
ACTIONS = {
    SPLIT: ("theme.split_request", "theme.split", "theme.split_fail"),
    PROPOSALS: (
        "theme_proposal.search_request",
        "theme_proposal.search",
        "theme_proposal.search_fail",
    ),
}
RUNNING, FAILED = "running", "failed"


@dataclass(frozen=True)
class Work:
    """Background work on a theme: its kind, whether it runs or failed, and since when."""

    kind: str
    state: str
    since: datetime
    reason: str | None = None  # why it failed (a key of ``labels.WORK_FAILURES``)


def requested(session: Session, user: User | None, theme: Theme, kind: str, now, **after) -> None:
    """Record that ``user`` asked for ``kind`` of work on ``theme`` (the caller commits)."""
    audit.record(session, user, ACTIONS[kind][0], theme, None, after or None, now=now)


def finished(session: Session, user: User | None, theme: Theme, kind: str, now, **after) -> None:
    """Record that ``kind`` of work on ``theme`` is done (the caller commits)."""
    audit.record(session, user, ACTIONS[kind][1], theme, None, after or None, now=now)


def failed(session: Session, user_id: int | None, theme_id: int, kind: str, now, reason: str):
    """Record, in a transaction of its own, that ``kind`` of work on a theme failed."""
    session.rollback()
    theme = session.get(Theme, theme_id)
    if theme is None:
        return
    actor = session.get(User, user_id) if user_id is not None else None
    audit.record(session, actor, ACTIONS[kind][2], theme, None, {"reason": reason}, now=now)
    session.commit()


def of_theme(session: Session, user: User | None, theme_id: int) -> Work | None:
    """Return the background work under way on a theme, or the last that failed, else None."""
    require_staff(user)
    actions = [action for triple in ACTIONS.values() for action in triple]
    last = session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.object_type == Theme.__tablename__,
            AuditEntry.object_id == theme_id,
            AuditEntry.action.in_(actions),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    if last is None:
        return None
    for kind, (request, _, failure) in ACTIONS.items():
        if last.action == request:
            return Work(kind, RUNNING, last.created_at)
        if last.action == failure:
            reason = json.loads(last.after or "{}").get("reason")
            return Work(kind, FAILED, last.created_at, reason)
    return None
