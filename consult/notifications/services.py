"""A participant's notifications, e-mail preference and followed consultations.

Every function takes the acting user and raises NotAllowed for an anonymous one; a user
only ever reads or changes their own notifications (someone else's is NotFound).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..errors import NotFound
from ..models import Comment, Consultation, Follow, Notification, User
from ..people.public_names import comment_name_for
from ..permissions import require_user
from .messages import summary

PER_PAGE = 30


@dataclass
class Item:
    notification: Notification
    text: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


@dataclass
class Page:
    items: list[Item]
    unread: int
    page: int
    pages: int


def _item(session: Session, viewer: User, notification: Notification) -> Item:
    try:
        params = json.loads(notification.params or "{}")
        text = summary(notification.kind, _current(session, viewer, notification.kind, params))
    except (ValueError, KeyError, IndexError):
        # A notification whose text cannot be filled in still shows that something happened.
        text = notification.kind
    return Item(notification, text)


def _current(session: Session, viewer: User, kind: str, params: dict) -> dict:
    """Return ``params`` with the replier named as they choose to be seen now."""
    reply_id = params.get("reply_id") if kind == "comment.replied" else None
    reply = session.get(Comment, reply_id) if isinstance(reply_id, int) else None
    if reply is None:
        return params
    return {**params, "replier": comment_name_for(viewer, reply)}


def listing(session: Session, actor: User, *, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Return one page of ``actor``'s notifications, newest first, with the unread count."""
    require_user(actor)
    total = session.scalar(
        select(func.count()).select_from(Notification).where(Notification.user_id == actor.id)
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == actor.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page([_item(session, actor, n) for n in rows], unread_count(session, actor), page, pages)


def unread_count(session: Session, actor: User) -> int:
    """Count ``actor``'s unread notifications."""
    require_user(actor)
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    )


def get_item(session: Session, actor: User, notification_id: int) -> Item:
    """Return one of ``actor``'s notifications, or raise NotFound."""
    require_user(actor)
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != actor.id:
        raise NotFound()
    return _item(session, actor, notification)


def mark_read(session: Session, actor: User, notification_id: int, *, now: datetime) -> Item:
    """Mark one of ``actor``'s notifications as read (once: the first reading time is kept)."""
    item = get_item(session, actor, notification_id)
    if item.notification.read_at is None:
        item.notification.read_at = now
        session.commit()
    return item


def mark_all_read(session: Session, actor: User, *, now: datetime) -> int:
    """Mark all of ``actor``'s notifications as read; return how many were unread."""
    require_user(actor)
    count = session.execute(
        update(Notification)
        .where(Notification.user_id == actor.id, Notification.read_at.is_(None))
        .values(read_at=now)
    ).rowcount
    session.commit()
    return count


def set_email_notifications(session: Session, actor: User, enabled: bool) -> None:
    """Turn ``actor``'s e-mail notifications on or off (the in-app list is kept either way)."""
    require_user(actor)
    actor.email_notifications = bool(enabled)
    session.commit()


# Following consultations


def _insert_ignoring_duplicate(session: Session, values: dict) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Follow).values(**values).on_conflict_do_nothing())


def is_following(session: Session, actor: User | None, consultation_id: int) -> bool:
    """True when ``actor`` follows the consultation."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return (
        session.scalar(
            select(Follow.id).where(
                Follow.user_id == actor.id, Follow.consultation_id == consultation_id
            )
        )
        is not None
    )


def start_following(session: Session, user: User, consultation_id: int, *, now: datetime) -> None:
    """Add a follow inside the caller's transaction; nothing happens if it exists already.

    Writing a comment calls this, so it must never fail the comment: a concurrent duplicate
    is ignored by the database instead of raising.
    """
    _insert_ignoring_duplicate(
        session, {"user_id": user.id, "consultation_id": consultation_id, "created_at": now}
    )


def set_following(
    session: Session, actor: User, slug: str, follow: bool, *, now: datetime
) -> Consultation:
    """Follow or unfollow the consultation ``slug``; return it."""
    require_user(actor)
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        raise NotFound()
    if follow:
        start_following(session, actor, consultation.id, now=now)
    else:
        session.execute(
            delete(Follow).where(
                Follow.user_id == actor.id, Follow.consultation_id == consultation.id
            )
        )
    session.commit()
    return consultation


def followed(session: Session, actor: User) -> list[Consultation]:
    """Return the consultations ``actor`` follows, by title."""
    require_user(actor)
    return list(
        session.scalars(
            select(Consultation)
            .join(Follow, Follow.consultation_id == Consultation.id)
            .where(Follow.user_id == actor.id)
            .order_by(Consultation.title)
        )
    )
