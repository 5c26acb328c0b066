"""Users: blocking, roles and organisation claims, each change audited in its own transaction.

Every function takes the acting user and checks their role itself, whatever the route in
front of it checked: staff and administrators block and check claims, only administrators
change roles. A refusal raises before anything is written; a change is committed together
with its audit entry. The changed user's row is read under a lock (FOR UPDATE on PostgreSQL),
so two staff acting on the same person, or a comment being written while its author is
blocked, happen one after the other.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..errors import Invalid, NotAllowed, NotFound, WrongState
from ..models import AuditEntry, ClaimStatus, Comment, CommentStatus, Role, User
from ..permissions import require_admin, require_staff

MAX_REASON_CHARS = 1000
BLOCK_FIELDS = ("blocked_at", "blocked_reason")
CLAIM_FIELDS = ("organisation_claim", "organisation_checked_at")
# The moderation reason given to the comments hidden when their author is blocked.
BLOCKED_REASON = "blocked"


def get_user(session: Session, actor: User, user_id: int) -> User:
    """Return one user for staff and administrators, or raise NotFound."""
    require_staff(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def _locked_user(session: Session, user_id: int) -> User:
    # Re-read under the lock even if loaded: another moderator may just have changed it.
    user = session.scalar(
        select(User)
        .where(User.id == user_id)
        # Only the user's row: the organisation is joined in and must not be locked.
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound()
    return user


def clean_reason(reason: str | None, *, required: bool) -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise Invalid({"reason": "required"})
    if len(text) > MAX_REASON_CHARS:
        raise Invalid({"reason": "too_long"})
    return text


# Blocking


def _check_may_block(actor: User, user: User) -> None:
    if user.id == actor.id:
        raise WrongState("self")
    if user.erased_at is not None:
        raise WrongState("erased")
    if user.is_admin and not actor.is_admin:
        raise NotAllowed("admin")
    if user.is_staff:
        # A blocked moderator could still moderate: the role goes first, then the block.
        raise WrongState("has_role")


def block_user(
    session: Session,
    *,
    actor: User,
    user_id: int,
    reason: str,
    hide_comments: bool,
    now: datetime,
) -> User:
    """Block a user from writing; with ``hide_comments`` their published comments are hidden.

    Staff and administrators; staff cannot block an administrator, nobody blocks themselves.
    The comments stay stored: hidden ones carry the moderation reason "blocked".
    """
    require_staff(actor)
    clean = clean_reason(reason, required=True)
    user = _locked_user(session, user_id)
    _check_may_block(actor, user)
    if user.is_blocked:
        raise WrongState("already_blocked")
    before = audit.snapshot(user, BLOCK_FIELDS)
    user.blocked_at = now
    user.blocked_reason = clean
    hidden = 0
    if hide_comments:
        hidden = session.execute(
            update(Comment)
            .where(Comment.author_id == user.id, Comment.status == CommentStatus.PUBLISHED)
            .values(
                status=CommentStatus.HIDDEN,
                moderation_reason=BLOCKED_REASON,
                moderation_note=clean,
                moderated_by_id=actor.id,
                moderated_at=now,
            )
            .execution_options(synchronize_session="fetch")
        ).rowcount
    after = audit.snapshot(user, BLOCK_FIELDS) | {"hidden_comments": hidden}
    audit.record(session, actor, "user.block", user, before, after, clean, now=now)
    session.commit()
    return user


def unblock_user(session: Session, *, actor: User, user_id: int, now: datetime) -> User:
    """Let a blocked user write again; comments hidden by the block stay hidden."""
    require_staff(actor)
    user = _locked_user(session, user_id)
    _check_may_block(actor, user)
    if not user.is_blocked:
        raise WrongState("not_blocked")
    before = audit.snapshot(user, BLOCK_FIELDS)
    user.blocked_at = None
    user.blocked_reason = None
    audit.record(
        session, actor, "user.unblock", user, before, audit.snapshot(user, BLOCK_FIELDS), now=now
    )
    session.commit()
    return user


# Roles


def _lock_admins(session: Session) -> int:
    """Lock every administrator's row and return how many there are.

    Two administrators demoting each other at once: the second waits here for the first to
    commit, then counts again and is refused if only one would be left.
    """
    ids = session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return len(ids)


def set_role(
    session: Session,
    *,
    actor: User,
    user_id: int,
    role: str,
    now: datetime,
    reason: str | None = None,
) -> User:
    """Make a user a participant, staff or an administrator (administrators only).

    The last administrator cannot stop being one.
    """
    require_admin(actor)
    try:
        new_role = Role(role)
    except ValueError as error:
        raise Invalid({"role": "choice"}) from error
    clean = clean_reason(reason, required=False)
    admins = _lock_admins(session)
    user = _locked_user(session, user_id)
    if user.erased_at is not None:
        # A closed account signs nobody in: a role would only mislead the user list.
        raise WrongState("erased")
    if user.role == new_role:
        session.commit()  # nothing to change; ends the transaction and its locks
        return user
    if user.role == Role.ADMIN and admins <= 1:
        raise WrongState("last_admin")
    if new_role != Role.PARTICIPANT and user.is_blocked:
        raise WrongState("blocked")
    before = audit.snapshot(user, ("role",))
    user.role = new_role
    audit.record(
        session, actor, "user.role", user, before, audit.snapshot(user, ("role",)), clean, now=now
    )
    session.commit()
    return user


# Organisation claims


def _check_claim(
    session: Session, *, actor: User, user_id: int, status: ClaimStatus, reason: str, now: datetime
) -> User:
    user = _locked_user(session, user_id)
    if user.organisation_id is None:
        raise WrongState("no_organisation")
    if user.organisation_claim == status:
        raise WrongState(f"already_{status.value}")
    before = audit.snapshot(user, CLAIM_FIELDS)
    user.organisation_claim = status
    user.organisation_checked_at = now
    after = audit.snapshot(user, CLAIM_FIELDS) | {"organisation": user.organisation.name}
    action = "user.verify" if status == ClaimStatus.VERIFIED else "user.reject_claim"
    audit.record(session, actor, action, user, before, after, reason, now=now)
    session.commit()
    return user


def verify_claim(session: Session, *, actor: User, user_id: int, now: datetime) -> User:
    """Confirm that a user speaks for their organisation; their comments show "verifierad"."""
    require_staff(actor)
    return _check_claim(
        session, actor=actor, user_id=user_id, status=ClaimStatus.VERIFIED, reason="", now=now
    )


def reject_claim(
    session: Session, *, actor: User, user_id: int, reason: str, now: datetime
) -> User:
    """Record that a user's claim to speak for their organisation could not be confirmed."""
    require_staff(actor)
    clean = clean_reason(reason, required=True)
    return _check_claim(
        session, actor=actor, user_id=user_id, status=ClaimStatus.REJECTED, reason=clean, now=now
    )


def comment_count(session: Session, actor: User, user: User) -> dict[CommentStatus, int]:
    """Count a user's comments and replies by status."""
    require_staff(actor)
    rows = session.execute(
        select(Comment.status, func.count())
        .where(Comment.author_id == user.id)
        .group_by(Comment.status)
    )
    return {status: n for status, n in rows}


# Fields of a user's audit entries that the user page shows, in this order.
HISTORY_FIELDS = ("role", "organisation_claim", "hidden_comments")


def history(session: Session, actor: User, user: User) -> list[AuditEntry]:
    """Return the audit entries about ``user`` (blocks, roles, claims), newest first."""
    require_staff(actor)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "user_account", AuditEntry.object_id == user.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


def history_changes(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """The changes of a user's audit entry worth showing: (field, before, after)."""
    before = json.loads(entry.before) if entry.before else {}
    after = json.loads(entry.after) if entry.after else {}
    shown = []
    for name in HISTORY_FIELDS:
        if name in after and before.get(name) != after[name] and after[name] != 0:
            shown.append((name, before.get(name), after[name]))
    return shown
