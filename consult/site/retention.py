"""How long personal data that is no longer needed is kept, and the pass that deletes it.

Administrators set the periods (``save``); without a saved row the defaults apply. The pass
(``run``) is made by the notification worker every ``RETENTION_INTERVAL`` seconds and by
``flask retention run``; it records how many rows of each kind it deleted (numbers only) in
the audit log. The dietary and accessibility needs given when registering for an event are
deleted their own period after the event ends.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import Column, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from .. import audit, clock
from ..db import Base
from ..errors import Invalid
from ..models import (
    Agreement,
    Comment,
    CommentRevision,
    CommentStatus,
    CommentVector,
    Event,
    Follow,
    Notification,
    OutboxEmail,
    Registration,
    Report,
    RetentionSetting,
    Role,
    User,
)
from ..notifications.sending import FileBackend
from ..permissions import require_admin

# One column of RetentionSetting per period; each has a default, a label, a deletion step in
# ``run`` and a line on the privacy page.
PERIODS = (
    "unconfirmed_account_days",
    "outbox_email_days",
    "read_notification_days",
    "event_needs_days",
)
DEFAULT_DAYS = {
    "unconfirmed_account_days": 30,
    "outbox_email_days": 30,
    "read_notification_days": 90,
    "event_needs_days": 30,
}
MIN_DAYS, MAX_DAYS = 1, 3650
# Accounts deleted per pass: a large backlog is worked off over several passes.
BATCH = 500

# What goes with an unconfirmed account. A row anywhere else that points at the account (an
# audit entry, a report it made, a table added later) keeps the account until it is handled.
GOES_WITH_ACCOUNT = frozenset(
    {
        ("comment", "author_id"),
        ("agreement", "user_id"),
        ("follow", "user_id"),
        ("notification", "user_id"),
        ("outbox_email", "user_id"),
    }
)
# What goes with a held (never published) comment of such an account. A row anywhere else that
# points at the comment (a reply, a theme tag) keeps the account.
GOES_WITH_COMMENT = frozenset(
    {
        ("comment_revision", "comment_id"),
        ("agreement", "comment_id"),
        ("report", "comment_id"),
        ("comment_vector", "comment_id"),
    }
)
# The references that keep an unconfirmed account (and the ones that keep its held comments):
# what staff did, a report it made, a reply or a theme tag. The pass checks every reference
# not listed in GOES_WITH_* anyway; these lists are the record of that choice, and
# tests/test_retention.py fails when a new foreign key is in neither, so someone decides.
KEEPS_ACCOUNT = frozenset(
    {
        ("action", "updated_by_id"),
        ("analysis", "started_by_id"),
        ("audit_entry", "actor_id"),
        ("comment", "moderated_by_id"),
        ("consultation", "owner_id"),
        ("event", "created_by_id"),
        ("event", "summary_updated_by_id"),
        ("event_session", "notes_updated_by_id"),
        ("followup_report", "updated_by_id"),
        ("group_chapter", "assigned_by_id"),
        ("group_chapter", "ended_by_id"),
        ("group_membership", "added_by_id"),
        ("group_membership", "user_id"),
        ("registration", "user_id"),
        ("report", "reporter_id"),
        ("report", "resolved_by_id"),
        ("synthesis", "updated_by_id"),
        ("theme", "retired_by_id"),
        ("theme_assignment", "assigned_by_id"),
        ("theme_assignment", "confirmed_by_id"),
        ("theme_assignment", "removed_by_id"),
        ("theme_proposal", "decided_by_id"),
    }
)
KEEPS_COMMENT = frozenset(
    {
        ("analysed_comment", "comment_id"),
        ("campaign_group", "comment_id"),
        ("comment", "parent_id"),
        ("theme_assignment", "comment_id"),
        ("theme_proposal", "comment_id"),
    }
)
# Comments in these states were seen by the public: their author's account is kept.
PUBLIC_STATES = (CommentStatus.PUBLISHED, CommentStatus.HIDDEN, CommentStatus.WITHDRAWN)


@dataclass
class Settings:
    """The retention periods in days, and when an administrator last saved them."""

    unconfirmed_account_days: int
    outbox_email_days: int
    read_notification_days: int
    event_needs_days: int
    updated_at: datetime | None = None


@dataclass
class Deleted:
    """How many rows of each kind a pass deleted."""

    unconfirmed_accounts: int = 0
    held_comments: int = 0
    agreements: int = 0
    follows: int = 0
    notifications: int = 0
    outbox_emails: int = 0
    mail_file_messages: int = 0
    event_needs: int = 0

    def total(self) -> int:
        """The number of rows deleted in all."""
        return sum(asdict(self).values())


class _Pass:
    """What the audit entry of a pass is about: the retention, not any one row."""

    __tablename__ = "retention_setting"
    id = None


def settings(session: Session) -> Settings:
    """Return the retention periods in force."""
    row = session.scalar(select(RetentionSetting).order_by(RetentionSetting.id).limit(1))
    if row is None:
        return Settings(**DEFAULT_DAYS)
    return Settings(**{name: getattr(row, name) for name in PERIODS}, updated_at=row.updated_at)


def save(session: Session, actor, values: dict[str, int | None]) -> Settings:
    """Save the periods in ``values`` (whole days, 1 to 3650); administrators only.

    Raises Invalid naming each period that is missing or out of range.
    """
    require_admin(actor)
    errors = {
        name: "range"
        for name in PERIODS
        if values.get(name) is None or not MIN_DAYS <= values[name] <= MAX_DAYS
    }
    if errors:
        raise Invalid(errors)
    before = asdict(settings(session))
    row = session.scalar(select(RetentionSetting).order_by(RetentionSetting.id).limit(1))
    if row is None:
        row = RetentionSetting()
        session.add(row)
    now = clock.now()
    for name in PERIODS:
        setattr(row, name, values[name])
    row.updated_at = now
    old, new = audit.changed(
        {k: before[k] for k in PERIODS}, {name: values[name] for name in PERIODS}
    )
    audit.record(session, actor, "retention.settings", row, old, new, now=now)
    session.commit()
    return settings(session)


def _pointing_at(table: str, keep: frozenset[tuple[str, str]]) -> Iterator[Column]:
    """The foreign-key columns of every table that point at ``table``, except ``keep``."""
    for other in Base.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table.name == table and (other.name, key.parent.name) not in keep:
                yield key.parent


def _expired_accounts(session: Session, now: datetime, days: int) -> list[int]:
    """Ids of accounts never confirmed, older than ``days``, with nothing public or kept."""
    users = User.__table__
    conditions = [
        User.email_confirmed_at.is_(None),
        User.erased_at.is_(None),
        User.role == Role.PARTICIPANT,
        User.created_at < now - timedelta(days=days),
        ~exists().where(Comment.author_id == User.id, Comment.status.in_(PUBLIC_STATES)),
        ~exists().where(
            CommentRevision.comment_id == Comment.id,
            Comment.author_id == User.id,
            CommentRevision.was_published.is_(True),
        ),
    ]
    for column in _pointing_at("user_account", GOES_WITH_ACCOUNT):
        conditions.append(~exists().where(column == users.c.id))
    own = aliased(Comment)
    for column in _pointing_at("comment", GOES_WITH_COMMENT):
        if column.table.name == "comment":
            # A reply to one of their comments: the comment table again, under another name.
            column = Comment.__table__.alias("reply").c[column.name]
        conditions.append(
            ~exists(
                select(own.id).where(own.author_id == User.id, exists().where(column == own.id))
            )
        )
    query = select(User.id).where(*conditions).order_by(User.id).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        # A confirmation or a first comment arriving now waits for this pass to finish.
        query = query.with_for_update(of=User)
    return list(session.scalars(query))


def _delete_accounts(session: Session, ids: list[int], deleted: Deleted) -> None:
    held = select(Comment.id).where(Comment.author_id.in_(ids)).scalar_subquery()
    agreed = list(
        session.scalars(select(Agreement.comment_id).where(Agreement.user_id.in_(ids)).distinct())
    )
    deleted.agreements += session.execute(
        delete(Agreement).where(or_(Agreement.user_id.in_(ids), Agreement.comment_id.in_(held)))
    ).rowcount
    if agreed:
        # Counted, not decremented, as the comment service does.
        count = select(func.count()).where(Agreement.comment_id == Comment.id).scalar_subquery()
        session.execute(update(Comment).where(Comment.id.in_(agreed)).values(agreement_count=count))
    session.execute(delete(Report).where(Report.comment_id.in_(held)))
    session.execute(delete(CommentRevision).where(CommentRevision.comment_id.in_(held)))
    session.execute(delete(CommentVector).where(CommentVector.comment_id.in_(held)))
    deleted.held_comments += session.execute(
        delete(Comment).where(Comment.author_id.in_(ids))
    ).rowcount
    deleted.follows += session.execute(delete(Follow).where(Follow.user_id.in_(ids))).rowcount
    theirs = select(Notification.id).where(Notification.user_id.in_(ids)).scalar_subquery()
    addresses = select(User.email).where(User.id.in_(ids)).scalar_subquery()
    # Their e-mail, sent or not, holds their address: it goes too.
    deleted.outbox_emails += session.execute(
        delete(OutboxEmail).where(
            or_(
                OutboxEmail.user_id.in_(ids),
                OutboxEmail.notification_id.in_(theirs),
                OutboxEmail.to_address.in_(addresses),
            )
        )
    ).rowcount
    deleted.notifications += session.execute(
        delete(Notification).where(Notification.user_id.in_(ids))
    ).rowcount
    deleted.unconfirmed_accounts += session.execute(
        delete(User).where(User.id.in_(ids), User.email_confirmed_at.is_(None))
    ).rowcount


def _delete_old_mail(session: Session, cutoff: datetime, max_attempts: int) -> int:
    sent = and_(OutboxEmail.sent_at.is_not(None), OutboxEmail.sent_at < cutoff)
    given_up = and_(
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.attempts >= max_attempts,
        OutboxEmail.created_at < cutoff,
    )
    return session.execute(delete(OutboxEmail).where(or_(sent, given_up))).rowcount


def _delete_read_notifications(session: Session, cutoff: datetime) -> int:
    old = select(Notification.id).where(
        Notification.read_at.is_not(None), Notification.read_at < cutoff
    )
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.notification_id.in_(old.scalar_subquery()))
        .values(notification_id=None)
    )
    return session.execute(
        delete(Notification).where(Notification.id.in_(old.scalar_subquery()))
    ).rowcount


def _delete_event_needs(session: Session, cutoff: datetime, now: datetime) -> int:
    """Empty the needs given with registrations for events that ended before ``cutoff``."""
    ended = select(Event.id).where(Event.ends_at < cutoff).scalar_subquery()
    return session.execute(
        update(Registration)
        .where(
            Registration.event_id.in_(ended),
            or_(
                Registration.dietary_needs.is_not(None),
                Registration.accessibility_needs.is_not(None),
            ),
        )
        .values(dietary_needs=None, accessibility_needs=None, needs_erased_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def _written_at(message) -> datetime | None:
    try:
        written = parsedate_to_datetime(message["Date"])
    except (TypeError, ValueError):
        return None
    return written if written.tzinfo is not None else None


def prune_mail_file(path: str, cutoff: datetime) -> int:
    """Delete the messages written before ``cutoff`` from the mail log file at ``path``.

    The file backend (no SMTP server configured) keeps every e-mail in that file; a message
    whose date cannot be read is kept. Returns how many messages were deleted.
    """
    if not path or not os.path.exists(path):
        return 0
    removed = 0
    # The same locks the file backend takes to append: no message is lost to a race.
    with FileBackend._lock:
        box = mailbox.mbox(path, create=False)
        box.lock()
        try:
            for key, message in list(box.iteritems()):
                written = _written_at(message)
                if written is not None and written < cutoff:
                    box.remove(key)
                    removed += 1
            if removed:
                box.flush()
        finally:
            box.unlock()
            box.close()
    return removed


def run(
    session: Session, *, now: datetime, max_attempts: int, mail_file: str | None = None
) -> Deleted:
    """Delete what the retention periods say is no longer needed; return how much.

    An e-mail counts as failed once it was tried ``max_attempts`` times; ``mail_file`` is the
    file backend's mail log, whose old messages go after the same period as the outbox's.
    When anything was deleted, the audit log gets an entry with the numbers (no names, no
    addresses).
    """
    periods = settings(session)
    deleted = Deleted()
    ids = _expired_accounts(session, now, periods.unconfirmed_account_days)
    if ids:
        _delete_accounts(session, ids, deleted)
    deleted.outbox_emails += _delete_old_mail(
        session, now - timedelta(days=periods.outbox_email_days), max_attempts
    )
    deleted.notifications += _delete_read_notifications(
        session, now - timedelta(days=periods.read_notification_days)
    )
    deleted.event_needs = _delete_event_needs(
        session, now - timedelta(days=periods.event_needs_days), now
    )
    if mail_file:
        deleted.mail_file_messages = prune_mail_file(
            mail_file, now - timedelta(days=periods.outbox_email_days)
        )
    if deleted.total():
        audit.record(session, None, "retention.run", _Pass(), None, asdict(deleted), now=now)
    session.commit()
    return deleted
