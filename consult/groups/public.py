"""The working groups as the public sees them: who is in a group (names as each person chose
to show them), the chapters it answers for, its events and, once a round's results are
published, its responses; and which group answers for each chapter of the public draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from .. import clock
from .. import group_access as access
from ..consultations.services import public_round
from ..models import (
    Consultation,
    Event,
    GroupChapter,
    GroupMembership,
    Paragraph,
    Round,
    Section,
    Synthesis,
    WorkingGroup,
    event_group,
)
from ..people.public_names import Byline, public_byline
from ..synthesis.public import PublicTheme, published
from .services import groups_of


@dataclass
class PublicMember:
    membership: GroupMembership
    byline: Byline


@dataclass
class Chapter:
    row: GroupChapter
    number: str
    heading: str


@dataclass
class Responses:
    round: Round
    themes: list[PublicTheme] = field(default_factory=list)
    paragraphs: list[tuple[Paragraph, Synthesis]] = field(default_factory=list)


@dataclass
class GroupPage:
    consultation: Consultation
    group: WorkingGroup
    round: Round | None
    members: list[PublicMember]
    former_members: list[PublicMember]
    chapters: list[Chapter]
    former_chapters: list[Chapter]
    upcoming: list[Event]
    past: list[Event]
    responses: Responses | None


def consultation_by_slug(session: Session, slug: str) -> Consultation | None:
    return session.scalar(select(Consultation).where(Consultation.slug == slug))


# The public pages load each group's chapters and memberships (with their people) at once,
# not one query per group or member.
_LOADED = (
    selectinload(WorkingGroup.chapters),
    selectinload(WorkingGroup.memberships).selectinload(GroupMembership.user),
)


def _chapters(group: WorkingGroup, *, current: bool) -> list[GroupChapter]:
    rows = sorted(group.chapters, key=lambda c: (c.assigned_at, c.id))
    return [c for c in rows if (c.ended_at is None) == current]


def _members(group: WorkingGroup, *, current: bool) -> list[GroupMembership]:
    rows = sorted(group.memberships, key=lambda m: (m.joined_at, m.id))
    return [m for m in rows if (m.left_at is None) == current]


def _headings(session: Session, round_: Round | None) -> dict[str, Section]:
    if round_ is None or round_.document is None:
        return {}
    return {
        s.anchor: s
        for s in session.scalars(select(Section).where(Section.document_id == round_.document.id))
    }


def _chapter(row: GroupChapter, sections: dict[str, Section]) -> Chapter:
    section = sections.get(row.section_anchor)
    if section is None:
        return Chapter(row, "", row.section_anchor)
    return Chapter(row, section.number, section.heading)


def _member(membership: GroupMembership) -> PublicMember:
    """A member as the public sees them; an erased person as any erased author is shown
    (no name, no organisation)."""
    user = membership.user
    organisation = None if user.erased_at is not None else membership.organisation_name
    return PublicMember(membership, public_byline(user, organisation))


@dataclass
class GroupItem:
    group: WorkingGroup
    chapters: list[Chapter]
    members: int


def listing(session: Session, slug: str) -> tuple[Consultation, Round, list[GroupItem]] | None:
    """The consultation's groups with their current chapters; None when not public."""
    consultation = consultation_by_slug(session, slug)
    if consultation is None:
        return None
    round_ = public_round(consultation, clock.now())
    if round_ is None:
        return None
    sections = _headings(session, round_)
    items = [
        GroupItem(
            group,
            [_chapter(c, sections) for c in _chapters(group, current=True)],
            len(_members(group, current=True)),
        )
        for group in groups_of(session, consultation.id, *_LOADED)
    ]
    return consultation, round_, items


def _events(session: Session, group: WorkingGroup, now: datetime) -> tuple[list, list]:
    events = list(
        session.scalars(
            select(Event)
            .join(event_group, event_group.c.event_id == Event.id)
            .where(event_group.c.group_id == group.id)
            .order_by(Event.starts_at)
        )
    )
    upcoming = [e for e in events if e.ends_at >= now]
    past = [e for e in reversed(events) if e.ends_at < now]
    return upcoming, past


def _answered_anchors(group: WorkingGroup) -> set[str]:
    """The chapters whose responses are the group's: those it holds now, or for a closed
    group those it held when it closed."""
    if group.closed_at is None:
        return {c.section_anchor for c in _chapters(group, current=True)}
    return {c.section_anchor for c in group.chapters if c.ended_at == group.closed_at}


def _responses(session: Session, group: WorkingGroup, now: datetime) -> Responses | None:
    rounds = sorted(
        (
            r
            for r in group.consultation.rounds
            if r.results_published_at is not None
            and r.results_published_at <= now
            and r.document is not None
        ),
        key=lambda r: r.number,
    )
    if not rounds:
        return None
    round_ = rounds[-1]
    synthesis = published(session, round_, now)
    result = Responses(round_)
    if not synthesis:
        return result
    allowed = access.section_ids(session, round_.document.id, _answered_anchors(group))
    if not allowed:
        return result
    counts = access.round_section_counts(session, round_.id)
    result.themes = [
        t for t in synthesis.themes if access.theme_is_in(session, t.theme, allowed, counts)
    ]
    if synthesis.paragraphs:
        paragraphs = session.scalars(
            select(Paragraph)
            .where(
                Paragraph.id.in_(synthesis.paragraphs),
                Paragraph.section_id.in_(allowed),
            )
            .order_by(Paragraph.position)
        )
        result.paragraphs = [(p, synthesis.paragraphs[p.id]) for p in paragraphs]
    return result


def group_page(session: Session, slug: str, group_slug: str) -> GroupPage | None:
    """Everything the public page of a group shows; None when there is no such public group."""
    consultation = consultation_by_slug(session, slug)
    if consultation is None:
        return None
    now = clock.now()
    round_ = public_round(consultation, now)
    if round_ is None:
        return None
    group = session.scalar(
        select(WorkingGroup)
        .options(*_LOADED)
        .where(WorkingGroup.consultation_id == consultation.id, WorkingGroup.slug == group_slug)
    )
    if group is None:
        return None
    sections = _headings(session, round_)
    upcoming, past = _events(session, group, now)
    return GroupPage(
        consultation=consultation,
        group=group,
        round=round_,
        members=[_member(m) for m in _members(group, current=True)],
        former_members=[_member(m) for m in _members(group, current=False)],
        chapters=[_chapter(c, sections) for c in _chapters(group, current=True)],
        former_chapters=[_chapter(c, sections) for c in _chapters(group, current=False)],
        upcoming=upcoming,
        past=past,
        responses=_responses(session, group, now),
    )


@dataclass
class DraftGroups:
    """For the public draft: the group answering for each chapter, and whether the
    consultation has groups at all (to link to their list)."""

    by_anchor: dict[str, WorkingGroup]
    has_groups: bool


def draft_groups(session: Session, consultation_id: int) -> DraftGroups:
    """One query: the consultation's groups, each with the anchors of its current chapters."""
    rows = session.execute(
        select(WorkingGroup, GroupChapter.section_anchor)
        .outerjoin(
            GroupChapter,
            and_(GroupChapter.group_id == WorkingGroup.id, GroupChapter.ended_at.is_(None)),
        )
        .where(WorkingGroup.consultation_id == consultation_id)
    ).all()
    by_anchor = {
        anchor: group for group, anchor in rows if anchor is not None and group.closed_at is None
    }
    return DraftGroups(by_anchor, bool(rows))
