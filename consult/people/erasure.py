"""Closing an account: its personal data erased or anonymised, the public record kept.

Used by the person themself (/konto/avsluta, current password required) and by staff on
request (the user page, a reason required). The account row stays, emptied of what identifies
the person, so that everything pointing at it keeps working: threads and replies, counts,
agreements (now anonymous), reports, themes and their assignments, the synthesis, exports.

What is erased: the e-mail address (replaced by a unique address that cannot receive mail)
and any address asked for in a change request,
the name, the password (no password opens the account), every session (the epoch is raised),
follows, the needs given with event registrations (its active registrations are cancelled,
and the next on each waiting list moves up), working group memberships (current ones
ended, the organisation named in every one removed), the
person's notifications and e-mails, and every copy of the address, or of the name in the
log, mails and notes (``scrub``). Published comments stay as part of the public
record under the anonymous form ("Privatperson, Umeå", or the organisation alone), unless the
person asks for them to be withdrawn too. The erasure's own audit entry names the address
and the name, so that the organisation can answer for what it did.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import Enum, String, Text, delete, func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from .. import audit
from ..db import Base
from ..errors import Invalid, NotAllowed, NotFound, WrongState
from ..models import (
    AuditEntry,
    Comment,
    CommentStatus,
    Follow,
    GroupMembership,
    NameShown,
    Notification,
    OutboxEmail,
    Report,
    Role,
    User,
)
from ..permissions import signed_in
from .services import _lock_admins, _locked_user, clean_reason

# Stored in place of the name; pages show "Closed account" (translated) for an erased account.
ERASED_NAME = "Avslutat konto"
# No hash werkzeug makes has this form, so no password matches it.
UNUSABLE_PASSWORD = "!erased"
# Names shorter than this are not searched for in the log and mails: too many false hits.
MIN_NAME_TO_SCRUB = 3


def placeholder_address(user_id: int) -> str:
    """Return the unique address an erased account keeps (.invalid never receives mail)."""
    return f"erased-{user_id}@invalid"


def check_may_erase(actor: User | None, user: User) -> None:
    """Refuse unless ``actor`` is ``user`` or staff; only an administrator erases staff."""
    if not signed_in(actor):
        raise NotAllowed()
    if actor.id == user.id:
        return
    if not actor.is_staff:
        raise NotAllowed()
    if user.is_staff and not actor.is_admin:
        raise NotAllowed("admin")


def erase_account(
    session: Session,
    *,
    actor: User,
    user_id: int,
    now: datetime,
    password: str | None = None,
    reason: str | None = None,
    withdraw_comments: bool = False,
) -> User:
    """Erase ``user_id``'s personal data (see the module); committed, with an audit entry.

    The person themself gives their current password; staff give a reason.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound() if signed_in(actor) and actor.is_staff else NotAllowed()
    check_may_erase(actor, user)
    own = actor.id == user.id
    if own:
        if not password or not check_password_hash(user.password_hash, password):
            raise Invalid({"password": "wrong"})
        text = None
    else:
        text = clean_reason(reason, required=True)
    if user.role == Role.ADMIN and _lock_admins(session) <= 1:
        raise WrongState("last_admin")
    user = _locked_user(session, user_id)
    if user.erased_at is not None:
        raise WrongState("erased")

    old_email, old_name, old_role = user.email, user.display_name, user.role
    new_email = placeholder_address(user.id)
    if withdraw_comments:
        session.execute(
            update(Comment)
            .where(Comment.author_id == user.id, Comment.status != CommentStatus.WITHDRAWN)
            .values(status=CommentStatus.WITHDRAWN, updated_at=now)
        )
    if user.email_confirmed_at is None:
        # Held until the address was confirmed, which can no longer happen: never public.
        session.execute(
            update(Comment)
            .where(Comment.author_id == user.id, Comment.status == CommentStatus.PENDING)
            .values(status=CommentStatus.WITHDRAWN, updated_at=now)
        )
    session.execute(delete(Follow).where(Follow.user_id == user.id))
    # Imported here: the events package registers routes that reach back into this one.
    from ..events import registration

    registration.forget_person(session, user.id, now=now)
    session.execute(
        update(GroupMembership)
        .where(GroupMembership.user_id == user.id, GroupMembership.left_at.is_(None))
        .values(left_at=now)
        .execution_options(synchronize_session=False)
    )
    # Their memberships stay as the groups' history, without the organisation they named.
    session.execute(
        update(GroupMembership)
        .where(GroupMembership.user_id == user.id)
        .values(organisation_name=None)
        .execution_options(synchronize_session=False)
    )
    mine = select(Notification.id).where(Notification.user_id == user.id)
    session.execute(
        delete(OutboxEmail).where(
            or_(OutboxEmail.user_id == user.id, OutboxEmail.notification_id.in_(mine))
        )
    )
    session.execute(delete(Notification).where(Notification.user_id == user.id))
    # Mail queued before mail recorded its account: known only by the address.
    session.execute(
        delete(OutboxEmail).where(
            OutboxEmail.user_id.is_(None), func.lower(OutboxEmail.to_address) == old_email
        )
    )

    user.email = new_email
    user.pending_email = None
    user.display_name = ERASED_NAME
    user.password_hash = UNUSABLE_PASSWORD
    user.session_epoch = (user.session_epoch or 0) + 1
    user.name_shown = NameShown.HIDDEN
    user.erased_at = now
    user.role = Role.PARTICIPANT
    # Kept: a comment of a confirmed author waiting for review stays in the moderation queue.
    user.email_notifications = False
    session.flush()
    scrub(session, old_email, new_email, old_name, skip=user)

    audit.record(
        session,
        actor,
        "user.erase",
        user,
        {"email": old_email, "display_name": old_name, "role": old_role},
        {
            "erased_at": now,
            "role": user.role,
            "comments_withdrawn": withdraw_comments,
            "own_request": own,
        },
        text,
        now=now,
    )
    session.commit()
    return user


# The erasure's own log entries answer for what was done: no later erasure rewrites them.
ERASURE_ACTION = "user.erase"


def _name_rows(session: Session, user_id: int):
    """Yield (column, condition) pairs: where this account's name may have been copied.

    Only rows linked to the account are searched, so that closing one account never rewrites
    what another person of the same name did or received. Comments and other published texts
    are the public record and keep what their authors wrote.
    """
    theirs = select(Comment.id).where(Comment.author_id == user_id)
    own_ids = set(session.scalars(theirs))
    about_them = (AuditEntry.actor_id == user_id) | (
        (AuditEntry.object_type == User.__tablename__) & (AuditEntry.object_id == user_id)
    )
    if own_ids:
        about_them |= (AuditEntry.object_type == Comment.__tablename__) & AuditEntry.object_id.in_(
            own_ids
        )
    logged = about_them & (AuditEntry.action != ERASURE_ACTION)
    for column in (AuditEntry.before, AuditEntry.after, AuditEntry.reason):
        yield column, logged
    told = _notifications_about(session, user_id, own_ids)
    yield Notification.params, Notification.id.in_(told)
    for column in (OutboxEmail.subject, OutboxEmail.body):
        yield column, OutboxEmail.notification_id.in_(told)
    yield Report.note, Report.comment_id.in_(theirs)
    yield Comment.moderation_note, Comment.author_id == user_id
    yield User.blocked_reason, User.id == user_id


def _notifications_about(session: Session, user_id: int, own_ids: set[int]) -> list[int]:
    """Return the ids of notifications to ``user_id`` or about one of their replies."""
    found = list(session.scalars(select(Notification.id).where(Notification.user_id == user_id)))
    rows = session.execute(
        select(Notification.id, Notification.params).where(Notification.kind == "comment.replied")
    )
    for note_id, params in rows:
        try:
            reply_id = json.loads(params or "{}").get("reply_id")
        except (ValueError, AttributeError):
            continue
        if reply_id in own_ids:
            found.append(note_id)
    return found


def _text_columns():
    for table in Base.metadata.sorted_tables:
        if len(table.primary_key.columns) != 1:
            continue
        for column in table.columns:
            # Enumerations hold codes, never an address; the accounts' own addresses belong to
            # their owners (this account's was replaced already).
            if column is User.__table__.c.email:
                continue
            if isinstance(column.type, String | Text) and not isinstance(column.type, Enum):
                yield table, column


# An address or a name counts only as a whole: "anna@x.se" is not erased from "joanna@x.se".
_ADDRESS_EDGES = (r"(?<![\w.!#$%&'*+/=?^`{|}~-])", r"(?![\w-])(?!\.\w)")
_NAME_EDGES = (r"(?<!\w)", r"(?!\w)")


def _replace_in(
    session: Session, table, column, needle: str, replacement: str, *, address: bool, where=None
):
    key = next(iter(table.primary_key.columns))
    before, after = _ADDRESS_EDGES if address else _NAME_EDGES
    pattern = re.compile(before + re.escape(needle) + after, re.IGNORECASE if address else 0)
    found = func.lower(column).contains(needle.lower()) if address else column.contains(needle)
    query = select(key, column).where(found)
    if where is not None:
        query = query.where(where)
    for row_id, value in session.execute(query).all():
        clean = pattern.sub(replacement, value)
        if clean != value:
            session.execute(update(table).where(key == row_id).values({column.name: clean}))


def scrub(session: Session, email: str, new_email: str, name: str, *, skip: User) -> None:
    """Replace every stored copy of ``email`` (any column) and of ``name`` (the log, mails and
    notes linked to ``skip``) by the erased account's placeholders. ``skip`` was already
    emptied. Erasure log entries are never rewritten."""
    for table, column in _text_columns():
        where = AuditEntry.action != ERASURE_ACTION if table is AuditEntry.__table__ else None
        _replace_in(session, table, column, email, new_email, address=True, where=where)
    if len(name.strip()) >= MIN_NAME_TO_SCRUB:
        for attribute, where in _name_rows(session, skip.id):
            column = attribute.expression
            _replace_in(
                session, column.table, column, name, ERASED_NAME, address=False, where=where
            )
    session.expire(skip)
