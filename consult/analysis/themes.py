"""Staff's operations on whole themes: merge, delete (and, in their own modules, create, split).

Nothing is deleted from the database. A theme merged into another, split or deleted is
*retired* with a reason (``retired_reason``), who did it and when; its tags are kept as
history, marked removed by that staff member. A merged theme names the theme it went into
(``merged_into_id``). Each operation names the version of the theme its form was loaded at
and is refused (Conflict) if someone saved the theme since; each is audited in the
transaction of its change, and either happens whole or not at all.

A re-run of the analysis does not bring these themes back (see ``saving.save``): a cluster
that matches a merged theme's former comments goes into the theme it was merged into, and
one that matches a deleted theme's former comments is left without a theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..errors import Conflict, Invalid
from ..models import RetiredReason, Round, Synthesis, Theme, ThemeAssignment, User
from ..permissions import require_staff
from . import background
from .corrections import current_theme, lock_themes, staff_tag
from .handover import carry_synthesis, resolve_proposals
from .services import get_round


def live_tags(session: Session, theme_id: int) -> list[ThemeAssignment]:
    """Return a theme's live (not removed) tags, oldest first."""
    return list(
        session.scalars(
            select(ThemeAssignment)
            .where(ThemeAssignment.theme_id == theme_id, ThemeAssignment.removed_at.is_(None))
            .order_by(ThemeAssignment.id)
        )
    )


def retire(theme: Theme, user: User, reason: RetiredReason, now: datetime, **extra) -> None:
    """Mark ``theme`` retired by ``user`` for ``reason`` (the caller commits)."""
    theme.retired_at, theme.retired_by_id, theme.retired_reason = now, user.id, reason
    for name, value in extra.items():
        setattr(theme, name, value)


def transfer(
    session: Session, user: User, tags: list[ThemeAssignment], target_id: int, now: datetime
) -> int:
    """Move ``tags`` to theme ``target_id`` as staff's tags; return how many comments moved.

    The old tags are kept, removed by ``user``; a new tag keeps the old one's confirmation
    and score. A comment already on the target keeps its one tag there (no duplicates).
    """
    on_target = set(
        session.scalars(
            select(ThemeAssignment.comment_id).where(
                ThemeAssignment.theme_id == target_id, ThemeAssignment.removed_at.is_(None)
            )
        )
    )
    count = 0
    for tag in tags:
        tag.removed_at, tag.removed_by_id = now, user.id
        if tag.comment_id in on_target:
            continue
        on_target.add(tag.comment_id)
        session.add(
            staff_tag(
                tag.comment_id,
                target_id,
                user,
                now,
                confirmed_at=tag.confirmed_at,
                confirmed_by_id=tag.confirmed_by_id,
                score=tag.score,
            )
        )
        count += 1
    return count


def commit_or_conflict(session: Session, round_id: int, theme_id: int) -> None:
    """Commit; if a theme was saved by someone else meanwhile, roll back and raise Conflict."""
    try:
        session.commit()
    except StaleDataError:
        # Someone saved one of the themes between our read and our write.
        session.rollback()
        raise Conflict(current_theme(session, round_id, theme_id)) from None


@dataclass
class Merged:
    """The theme others were merged into, and how many went into it now (0: all of them
    were merged into it already, by an earlier post of the same form)."""

    theme: Theme
    count: int


def merge_themes(
    session: Session,
    user: User | None,
    round_id: int,
    theme_id: int,
    *,
    others: list[int],
    version: int,
    now: datetime,
) -> Merged:
    """Merge the themes ``others`` into theme ``theme_id``.

    Their live tags move to it (duplicates collapse to one), their synthesis and undecided
    proposals are handed over (see ``handover``), and they are retired, each saying it was
    merged into this theme. The same merge posted again (a double click, the back button)
    changes nothing and says so (count 0).
    """
    require_staff(user)
    ids = list(dict.fromkeys(i for i in others if i != theme_id))
    if not ids:
        raise Invalid({"others": "required"})
    if merged_already(session, round_id, theme_id, ids):
        return Merged(current_theme(session, round_id, theme_id), 0)
    lock_themes(session, round_id, theme_id, *ids)
    target = current_theme(session, round_id, theme_id)
    merged = [current_theme(session, round_id, i) for i in ids]
    if target.version != version:
        raise Conflict(target)
    for theme in merged:
        moved = transfer(session, user, live_tags(session, theme.id), target.id, now)
        carry_synthesis(session, user, theme, target, now)
        resolve_proposals(session, user, theme, now, into=target)
        retire(theme, user, RetiredReason.MERGED, now, merged_into_id=target.id)
        audit.record(
            session,
            user,
            "theme.merge",
            theme,
            {"name": theme.name},
            {"merged_into_id": target.id, "moved": moved},
            now=now,
        )
    # A merge changes what the theme is: bump its version (checked against concurrent saves).
    flag_modified(target, "name")
    commit_or_conflict(session, round_id, theme_id)
    return Merged(target, len(merged))


def merged_already(session: Session, round_id: int, theme_id: int, ids: list[int]) -> bool:
    """Return True if every theme of ``ids`` was merged into theme ``theme_id`` already."""
    found = session.scalars(select(Theme).where(Theme.id.in_(ids))).all()
    return len(found) == len(ids) and all(
        theme.round_id == round_id
        and theme.retired_reason == RetiredReason.MERGED
        and theme.merged_into_id == theme_id
        for theme in found
    )


@dataclass
class Deletion:
    """What the confirmation page says before a theme is deleted."""

    round: Round
    theme: Theme
    comments: int  # how many comments will be without it


def deletion(session: Session, user: User | None, round_id: int, theme_id: int) -> Deletion:
    """Return a current theme of the round and its number of comments, for staff."""
    round_ = get_round(session, user, round_id)
    theme = current_theme(session, round_id, theme_id)
    return Deletion(round_, theme, live_count(session, theme.id))


def delete_theme(
    session: Session, user: User | None, round_id: int, theme_id: int, *, version: int, now
) -> Theme:
    """Delete a theme: its comments lose its tag (kept as history) and it is retired."""
    require_staff(user)
    lock_themes(session, round_id, theme_id)
    theme = current_theme(session, round_id, theme_id)
    if theme.version != version:
        raise Conflict(theme)
    tags = live_tags(session, theme.id)
    for tag in tags:
        tag.removed_at, tag.removed_by_id = now, user.id
    # Its synthesis stays with it (the report lists it); its proposals are closed.
    resolve_proposals(session, user, theme, now)
    retire(theme, user, RetiredReason.DELETED, now)
    audit.record(
        session,
        user,
        "theme.delete",
        theme,
        {"name": theme.name, "comments": len(tags)},
        None,
        now=now,
    )
    commit_or_conflict(session, round_id, theme_id)
    return theme


def successor(session: Session, theme: Theme) -> Theme | None:
    """Return the current theme a merged theme's comments went to (following merges)."""
    seen = set()
    while (
        theme is not None and theme.retired_reason == RetiredReason.MERGED and theme.id not in seen
    ):
        seen.add(theme.id)
        theme = session.get(Theme, theme.merged_into_id)
    if theme is None or theme.retired_at is not None:
        return None
    return theme


def live_count(session: Session, theme_id: int) -> int:
    """Return how many comments a theme is tagged on now."""
    return session.scalar(
        select(func.count(ThemeAssignment.id)).where(
            ThemeAssignment.theme_id == theme_id, ThemeAssignment.removed_at.is_(None)
        )
    )


def retired_theme(session: Session, user: User | None, round_id: int, theme_id: int):
    """Return the round's theme ``theme_id`` if staff merged, split or deleted it, else None."""
    require_staff(user)
    theme = session.get(Theme, theme_id)
    if theme is None or theme.round_id != round_id:
        return None
    if theme.retired_reason in (None, RetiredReason.RERUN):
        return None
    return theme


@dataclass
class Fate:
    """What became of a theme staff merged, split or deleted."""

    round: Round
    theme: Theme
    successor: Theme | None  # the current theme a merged theme's comments are in
    parts: list[Theme]  # the themes a split theme became
    synthesis: Synthesis | None  # its own summary and response, if staff wrote any


def fate(session: Session, user: User | None, round_id: int, theme_id: int) -> Fate | None:
    """Return what became of the round's theme ``theme_id`` if staff retired it, else None."""
    theme = retired_theme(session, user, round_id, theme_id)
    if theme is None:
        return None
    entry = session.scalar(select(Synthesis).where(Synthesis.theme_id == theme.id))
    return Fate(
        get_round(session, user, round_id),
        theme,
        successor(session, theme),
        parts_of(session, theme),
        entry,
    )


def work_of(session: Session, user: User | None, round_id: int, theme_id: int):
    """Return the background work on a current theme of the round (see ``background``)."""
    require_staff(user)
    theme = current_theme(session, round_id, theme_id)
    return background.of_theme(session, user, theme.id)


def parts_of(session: Session, theme: Theme) -> list[Theme]:
    """Return the themes a theme was split into."""
    return list(
        session.scalars(select(Theme).where(Theme.split_from_id == theme.id).order_by(Theme.id))
    )
