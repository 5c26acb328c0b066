"""Split a theme: re-cluster its comments into 2–5 new themes, chosen by staff.

``nlp.discover_themes`` runs on the theme's comments with the number of parts staff chose.
Each part becomes a theme of its own (made at staff's request, so a re-run never retires or
renames it; it records which theme it was split from), the comments' tags move to their
part as staff's tags (history kept, as in a merge), and the old theme is retired as split.
Comments the engine cannot place go to the largest part.

Small themes are split at once. Re-clustering a large theme takes seconds (about 4 s for
1,000 comments), so a theme with more than ``INLINE_MAX`` comments is split in the
background (the analysis job queue: the app's thread pool, or RQ with Redis); the page says
so and the parts appear when it is done. The split checks the theme's version when it
writes, so a theme changed meanwhile, or a split asked for twice, changes nothing more.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import nlp

from .. import audit, clock
from ..errors import Conflict, Invalid
from ..models import Comment, Origin, RetiredReason, Theme, User
from ..permissions import require_staff
from . import background
from .corrections import current_theme, lock_themes
from .handover import resolve_proposals
from .naming import Names
from .saving import theme_name
from .selection import comment_text
from .themes import commit_or_conflict, live_count, live_tags, retire, transfer

log = logging.getLogger(__name__)
PARTS = range(2, 6)
INLINE_MAX = 1000


def check(session: Session, user: User | None, round_id: int, theme_id: int, *, parts, version):
    """Return the theme to split and its number of comments, or refuse (Invalid, Conflict)."""
    require_staff(user)
    theme = current_theme(session, round_id, theme_id)
    if parts not in PARTS:
        raise Invalid({"parts": "range"})
    if theme.version != version:
        raise Conflict(theme)
    count = live_count(session, theme.id)
    if count < 2 * parts:
        raise Invalid({"parts": "too_few"})
    return theme, count


def apply(
    session: Session, user: User, round_id: int, theme_id: int, *, parts: int, version: int, now
) -> list[Theme]:
    """Re-cluster the theme's comments into ``parts`` new themes and retire it; return them."""
    require_staff(user)
    lock_themes(session, round_id, theme_id)
    theme, _ = check(session, user, round_id, theme_id, parts=parts, version=version)
    tags = live_tags(session, theme.id)
    comments = {
        c.id: c
        for c in session.scalars(
            select(Comment).where(Comment.id.in_([t.comment_id for t in tags]))
        )
    }
    model = nlp.discover_themes([comment_text(comments[t.comment_id]) for t in tags], parts, seed=0)
    found = model.themes or []
    if len(found) < 2:
        raise Invalid({"parts": "not_separable"})
    groups: list[list] = [[] for _ in found]
    for tag, index in zip(tags, model.assignments, strict=True):
        groups[index if index >= 0 else 0].append(tag)
    # Retired first, so that a part may take the theme's name (see naming).
    retire(theme, user, RetiredReason.SPLIT, now)
    session.flush()
    names = Names(session, round_id)
    created = []
    for position, (part, members) in enumerate(zip(found, groups, strict=True)):
        if not members:
            continue
        new = Theme(
            round_id=round_id,
            name=names.claim(theme_name(part.label)),
            origin=Origin.STAFF,
            split_from_id=theme.id,
            description=part.description,
            keywords=json.dumps(part.keywords, ensure_ascii=False),
            terms=json.dumps(part.terms, ensure_ascii=False),
            representative_ids=json.dumps([tags[i].comment_id for i in part.representatives]),
            position=position,
            created_at=now,
        )
        session.add(new)
        session.flush()
        transfer(session, user, members, new.id, now)
        created.append(new)
    # Its synthesis stays with it (the report lists it); its proposals are closed.
    resolve_proposals(session, user, theme, now)
    audit.record(
        session,
        user,
        "theme.split",
        theme,
        {"name": theme.name},
        {"parts": [t.id for t in created]},
        now=now,
    )
    commit_or_conflict(session, round_id, theme_id)
    return created


def split_theme(
    session: Session,
    user: User | None,
    round_id: int,
    theme_id: int,
    *,
    parts: int,
    version: int,
    now: datetime,
    dispatch,
) -> list[Theme] | None:
    """Split the theme now (return the parts) or, if large, hand it to ``dispatch`` (None);
    the theme's page then shows the split under way (see ``background``)."""
    theme, count = check(session, user, round_id, theme_id, parts=parts, version=version)
    if count <= INLINE_MAX:
        return apply(session, user, round_id, theme_id, parts=parts, version=version, now=now)
    background.requested(session, user, theme, background.SPLIT, now, requested_parts=parts)
    session.commit()
    dispatch(round_id, theme_id, user.id, parts, version)
    return None


def run_in_background(session: Session, round_id, theme_id, user_id, parts, version) -> bool:
    """Run a split handed to the queue; if it cannot be done, change nothing, log it and
    record why for the theme's page (see ``background``)."""
    try:
        apply(
            session,
            session.get(User, user_id),
            round_id,
            theme_id,
            parts=parts,
            version=version,
            now=clock.now(),
        )
    except Exception as error:  # noqa: BLE001 - the theme stays as it was; the page says why
        session.rollback()
        log.exception("Could not split theme %s", theme_id)
        reason = (
            next(iter(error.errors.values()))
            if isinstance(error, Invalid)
            else ("conflict" if isinstance(error, Conflict) else "error")
        )
        background.failed(session, user_id, theme_id, background.SPLIT, clock.now(), reason)
        return False
    return True
