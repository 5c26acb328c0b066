"""A working group's history: the chapters it held, its members and what they wrote.

What members wrote is read from the audit log of the synthesis (every save is audited with
its author and time), matched with the membership dates. A save made in a group's workspace
records the group's id in its audit entry, and that decides; for older entries without it,
the chapters the group held at that time do (a theme by where its comments lie now).
Moving a chapter, a member leaving or the group closing leaves the entries and their
authors as they were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import group_access as access
from ..models import (
    AuditEntry,
    Document,
    GroupChapter,
    GroupMembership,
    Paragraph,
    Round,
    Section,
    Synthesis,
    Theme,
    User,
    WorkingGroup,
)
from .services import all_chapters, all_memberships

SYNTHESIS_ACTIONS = ("synthesis.create", "synthesis.edit", "synthesis.carry")


@dataclass
class Writing:
    """One synthesis save by a member while they were in the group."""

    at: datetime
    author: User
    action: str
    round_number: int
    paragraph: Paragraph | None
    theme: Theme | None


def _during(at: datetime, start: datetime, end: datetime | None) -> bool:
    return start <= at and (end is None or at < end)


def _ancestor_anchors(session: Session, document_ids: set[int]) -> dict[int, set[str]]:
    """Each section's anchor with its ancestors' anchors (a chapter holds its subsections)."""
    rows = session.execute(
        select(Section.id, Section.parent_id, Section.anchor).where(
            Section.document_id.in_(document_ids)
        )
    ).all()
    parents = {sid: parent for sid, parent, _ in rows}
    anchors = {sid: anchor for sid, _, anchor in rows}
    result: dict[int, set[str]] = {}
    for sid in parents:
        chain, current = set(), sid
        while current is not None and current not in chain:
            chain.add(current)
            current = parents.get(current)
        result[sid] = {anchors[s] for s in chain}
    return result


def writings(session: Session, group: WorkingGroup) -> list[Writing]:
    """The synthesis entries the group's members wrote for its chapters while they were
    members and the group held the chapter, newest first."""
    memberships = all_memberships(group)
    chapters = all_chapters(group)
    if not memberships or not chapters:
        return []
    member_ids = {m.user_id for m in memberships}
    rows = session.execute(
        select(AuditEntry, Synthesis, Round.number)
        .join(Synthesis, Synthesis.id == AuditEntry.object_id)
        .join(Round, Round.id == Synthesis.round_id)
        .where(
            AuditEntry.object_type == "synthesis",
            AuditEntry.action.in_(SYNTHESIS_ACTIONS),
            AuditEntry.actor_id.in_(member_ids),
            Round.consultation_id == group.consultation_id,
        )
        .options(
            selectinload(AuditEntry.actor),
            selectinload(Synthesis.paragraph),
            selectinload(Synthesis.theme),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ).all()
    if not rows:
        return []
    document_ids = set(
        session.scalars(
            select(Document.id)
            .join(Round, Round.id == Document.round_id)
            .where(Round.consultation_id == group.consultation_id)
        )
    )
    anchors_of = _ancestor_anchors(session, document_ids)
    rounds = {
        r.id: r
        for r in session.scalars(
            select(Round).where(Round.consultation_id == group.consultation_id)
        )
    }
    counts: dict[int, dict] = {}  # per round, loaded when first needed
    found: list[Writing] = []
    for entry, synthesis, round_number in rows:
        at = entry.created_at
        if not any(
            m.user_id == entry.actor_id and _during(at, m.joined_at, m.left_at) for m in memberships
        ):
            continue
        recorded = _recorded_group(entry)
        if recorded is not None:
            if recorded != group.id:
                continue
        elif not _was_for(session, synthesis, at, chapters, anchors_of, rounds, counts):
            continue
        found.append(
            Writing(
                at=at,
                author=entry.actor,
                action=entry.action,
                round_number=round_number,
                paragraph=synthesis.paragraph,
                theme=synthesis.theme,
            )
        )
    return found


def _recorded_group(entry: AuditEntry) -> int | None:
    """The group whose workspace the save was made in, as its audit entry records it."""
    try:
        after = json.loads(entry.after) if entry.after else {}
    except ValueError:
        return None
    value = after.get("group_id") if isinstance(after, dict) else None
    return value if isinstance(value, int) else None


def _was_for(session, synthesis, at, chapters, anchors_of, rounds, counts) -> bool:
    """For an entry without a recorded group: whether the save was on a chapter the group
    held at the time (a theme: most of whose comments lie there now)."""
    held = {c.section_anchor for c in chapters if _during(at, c.assigned_at, c.ended_at)}
    if not held:
        return False
    if synthesis.paragraph_id is not None:
        paragraph = synthesis.paragraph
        return paragraph.section_id is not None and bool(
            anchors_of.get(paragraph.section_id, set()) & held
        )
    theme = synthesis.theme
    round_ = rounds.get(synthesis.round_id)
    if theme is None or round_ is None or round_.document is None:
        return False
    if round_.id not in counts:
        counts[round_.id] = access.round_section_counts(session, round_.id)
    allowed = access.section_ids(session, round_.document.id, held)
    return access.theme_is_in(session, theme, allowed, counts[round_.id])


@dataclass
class History:
    chapters: list[GroupChapter]
    memberships: list[GroupMembership]
    writings: list[Writing]


def history(session: Session, group: WorkingGroup) -> History:
    """The group's chapters and memberships with their dates (oldest first) and writings."""
    return History(
        chapters=all_chapters(group),
        memberships=all_memberships(group),
        writings=writings(session, group),
    )
