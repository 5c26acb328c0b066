"""Staff corrections to the engine's work: rename and describe a theme, move a comment's tag
to another theme, tag a comment by hand, confirm a tag. Each is audited in the transaction
of its change.

A working group's current members make the same corrections on their chapters: a comment's
tags when the comment lies in them, a theme's name when most of its comments do (see
``consult.group_access``). Staff may correct anything.

A theme carries a version: an edit names the version its form was loaded with and is refused
(Conflict) if someone saved the theme since, so nobody overwrites another's words unseen.
Tags are never overwritten either: a moved tag is marked removed, and the new one records who
made it and when.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from .. import group_access as access
from ..errors import Conflict, Invalid, NotFound
from ..models import Comment, Origin, Theme, ThemeAssignment, User
from .naming import Names

NAME_MAX = 200
DESCRIPTION_MAX = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_name(value: str) -> str:
    """Return a theme name as one line of printable text."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def clean_description(value: str) -> str:
    """Return a description without control characters, lines kept, ends trimmed."""
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def checked_text(name: str, description: str) -> tuple[str, str]:
    """Return a theme's name and description cleaned, or raise Invalid saying what is wrong."""
    name, description = clean_name(name), clean_description(description)
    errors = {}
    if not name:
        errors["name"] = "required"
    elif len(name) > NAME_MAX:
        errors["name"] = "too_long"
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = "too_long"
    if errors:
        raise Invalid(errors)
    return name, description


def lock_themes(session: Session, round_id: int, *theme_ids: int | None) -> None:
    """Hold the given themes until the transaction ends, re-read, and raise NotFound if one
    is no longer a current theme of the round.

    Every change of tags and every merge, split or delete takes this first, so a tag cannot
    land on a theme that another staff member is retiring at the same moment. PostgreSQL
    locks the rows (in id order, so two writers never wait on each other in a circle);
    SQLite has one writer at a time and refuses a write based on an outdated read.
    """
    ids = sorted({i for i in theme_ids if i})
    themes = session.scalars(
        select(Theme)
        .where(Theme.id.in_(ids))
        .order_by(Theme.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    if len(themes) != len(ids) or any(
        t.round_id != round_id or t.retired_at is not None for t in themes
    ):
        raise NotFound()


def _require_corrector(session: Session, user: User | None, round_id: int, comment_id: int):
    """Raise NotAllowed unless ``user`` may correct the tags of the round's comment: staff,
    or a current member of the group whose chapters the published comment lies in (see
    ``access.require_comment_corrector``: NotFound for a member and any other comment)."""
    _require_worker(session, user)
    access.require_comment_corrector(session, user, round_comment(session, round_id, comment_id))


def _require_worker(session: Session, user: User | None) -> None:
    """Raise NotAllowed unless ``user`` is staff or a current member of an open group."""
    access.require_worker(session, user)


def current_theme(session: Session, round_id: int, theme_id: int) -> Theme:
    """Return a theme of the round that a later run has not replaced, or raise NotFound."""
    theme = session.get(Theme, theme_id)
    if theme is None or theme.round_id != round_id or theme.retired_at is not None:
        raise NotFound()
    return theme


def edit_theme(
    session: Session,
    user: User | None,
    round_id: int,
    theme_id: int,
    *,
    name: str,
    description: str,
    version: int,
    now: datetime,
) -> Theme:
    """Rename and describe a theme if it is still at ``version``; Conflict otherwise."""
    _require_worker(session, user)
    theme = current_theme(session, round_id, theme_id)
    access.require_theme_writer(session, user, theme)
    name, description = checked_text(name, description)
    if theme.version != version:
        raise Conflict(theme)
    if Names(session, round_id).taken(name, theme.id):
        raise Invalid({"name": "taken"})
    before = audit.snapshot(theme, ("name", "description"))
    theme.name, theme.description = name, description
    after = audit.snapshot(theme, ("name", "description"))
    if before == after:
        return theme
    audit.record(session, user, "theme.edit", theme, *audit.changed(before, after), now=now)
    try:
        session.commit()
    except StaleDataError:
        # Saved by someone else between our read and our write.
        session.rollback()
        raise Conflict(current_theme(session, round_id, theme_id)) from None
    except IntegrityError:
        # Another theme took the name between our check and our write.
        session.rollback()
        raise Invalid({"name": "taken"}) from None
    return theme


def active_tag(session: Session, comment_id: int, theme_id: int) -> ThemeAssignment | None:
    """Return the comment's live tag of the theme, if any."""
    return session.scalar(
        select(ThemeAssignment).where(
            ThemeAssignment.comment_id == comment_id,
            ThemeAssignment.theme_id == theme_id,
            ThemeAssignment.removed_at.is_(None),
        )
    )


def round_comment(session: Session, round_id: int, comment_id: int) -> Comment:
    """Return a comment of the round, or raise NotFound."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.round_id != round_id:
        raise NotFound()
    return comment


def staff_tag(
    comment_id: int, theme_id: int, user: User, now: datetime, **extra
) -> ThemeAssignment:
    """Return a new tag made by staff member ``user`` (confirmed by them unless ``extra`` says)."""
    values = {"confirmed_at": now, "confirmed_by_id": user.id, **extra}
    return ThemeAssignment(
        comment_id=comment_id,
        theme_id=theme_id,
        source=Origin.STAFF,
        assigned_by_id=user.id,
        assigned_at=now,
        **values,
    )


def moved(
    session: Session, user: User, comment: Comment, from_theme_id: int, target: Theme, now
) -> ThemeAssignment:
    """Move ``comment``'s tag to ``target`` and audit it; the caller commits."""
    old = active_tag(session, comment.id, from_theme_id)
    if old is None:
        raise NotFound()
    if from_theme_id == target.id:
        return old
    old.removed_at, old.removed_by_id = now, user.id
    tag = active_tag(session, comment.id, target.id)
    if tag is None:
        tag = staff_tag(comment.id, target.id, user, now)
        session.add(tag)
    audit.record(
        session,
        user,
        "theme_assignment.move",
        comment,
        {"theme_id": from_theme_id},
        {"theme_id": target.id},
        now=now,
    )
    return tag


def added(session: Session, user: User, comment: Comment, theme: Theme, now) -> ThemeAssignment:
    """Tag ``comment`` with ``theme`` by hand and audit it (no-op if tagged); caller commits."""
    tag = active_tag(session, comment.id, theme.id)
    if tag is not None:
        return tag
    tag = staff_tag(comment.id, theme.id, user, now)
    session.add(tag)
    audit.record(
        session, user, "theme_assignment.add", comment, None, {"theme_id": theme.id}, now=now
    )
    return tag


def confirmed(session: Session, user: User, comment: Comment, theme_id: int, now):
    """Confirm ``comment``'s tag of ``theme_id`` and audit it (once); the caller commits."""
    tag = active_tag(session, comment.id, theme_id)
    if tag is None:
        raise NotFound()
    if tag.confirmed_at is not None:
        return tag
    tag.confirmed_at, tag.confirmed_by_id = now, user.id
    audit.record(
        session,
        user,
        "theme_assignment.confirm",
        comment,
        {"theme_id": theme_id, "confirmed": False},
        {"theme_id": theme_id, "confirmed": True},
        now=now,
    )
    return tag


def move_tag(
    session: Session,
    user: User | None,
    round_id: int,
    comment_id: int,
    *,
    from_theme_id: int,
    to_theme_id: int,
    now: datetime,
) -> ThemeAssignment:
    """Move a comment's tag from one theme to another; the old tag is kept as removed."""
    _require_corrector(session, user, round_id, comment_id)
    lock_themes(session, round_id, from_theme_id, to_theme_id)
    comment = round_comment(session, round_id, comment_id)
    target = current_theme(session, round_id, to_theme_id)
    tag = moved(session, user, comment, from_theme_id, target, now)
    session.commit()
    return tag


def add_tag(
    session: Session,
    user: User | None,
    round_id: int,
    comment_id: int,
    theme_id: int,
    *,
    now: datetime,
) -> ThemeAssignment:
    """Tag a comment with a theme by hand (e.g. one the engine left without a theme)."""
    _require_corrector(session, user, round_id, comment_id)
    lock_themes(session, round_id, theme_id)
    comment = round_comment(session, round_id, comment_id)
    theme = current_theme(session, round_id, theme_id)
    tag = added(session, user, comment, theme, now)
    session.commit()
    return tag


def confirm_tag(
    session: Session, user: User | None, round_id: int, comment_id: int, theme_id: int, *, now
) -> ThemeAssignment:
    """Record that a staff member (or a member of the comment's group) agrees with its tag."""
    _require_corrector(session, user, round_id, comment_id)
    lock_themes(session, round_id, theme_id)
    comment = round_comment(session, round_id, comment_id)
    tag = confirmed(session, user, comment, theme_id, now)
    session.commit()
    return tag
