"""Who may work on what in a consultation's working groups.

Staff and administrators may do everything. A current member of an open group may work on
the comments and the synthesis of the chapters their group is responsible for now; a
group's chair and secretary also manage the group's events and notes. A chapter is a
section of the draft, with its subsections, named by its anchor (stable across rounds).

A member may open any round of their group's consultation, past ones included (to read
what was said and to correct tags there); what they may touch is still bounded by their
group's chapters *now* (``writable_section_ids``), named by anchor in that round's draft. Of
the comments, only published top-level ones are theirs to read or correct: moderation (pending,
hidden, withdrawn comments) is staff's.

Every service that lets a member act checks here; routes never decide this themselves. It lives
beside ``permissions`` rather than in ``consult.groups`` (whose package registers routes), so
that every area can import it at the top of a module.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .errors import NotAllowed, NotFound
from .models import (
    Comment,
    CommentStatus,
    Event,
    GroupChapter,
    GroupMembership,
    GroupRole,
    Paragraph,
    Round,
    Section,
    Theme,
    ThemeAssignment,
    WorkingGroup,
    event_group,
)
from .permissions import signed_in
from .placement import comment_section, section_of

MANAGING_ROLES = (GroupRole.CHAIR, GroupRole.SECRETARY)


def is_staff(actor) -> bool:
    """Whether ``actor`` is signed-in staff or an administrator."""
    return signed_in(actor) and bool(getattr(actor, "is_staff", False))


def current_memberships(session: Session, actor, consultation_id: int | None = None):
    """Return the actor's current memberships of open groups (of one consultation if given)."""
    if not signed_in(actor):
        return []
    query = (
        select(GroupMembership)
        .join(WorkingGroup, WorkingGroup.id == GroupMembership.group_id)
        .where(
            GroupMembership.user_id == actor.id,
            GroupMembership.left_at.is_(None),
            WorkingGroup.closed_at.is_(None),
        )
        .order_by(WorkingGroup.position, WorkingGroup.id)
    )
    if consultation_id is not None:
        query = query.where(WorkingGroup.consultation_id == consultation_id)
    return list(session.scalars(query))


def is_member(session: Session, actor, group_id: int) -> bool:
    """Whether the actor is a current member of the (open) group."""
    return any(m.group_id == group_id for m in current_memberships(session, actor))


def may_manage_group(session: Session, actor, group_id: int) -> bool:
    """Staff, administrators, and the group's current chair or secretary."""
    if is_staff(actor):
        return True
    return any(
        m.group_id == group_id and m.role in MANAGING_ROLES
        for m in current_memberships(session, actor)
    )


def require_group_manager(session: Session, actor, group_id: int) -> None:
    """Raise NotAllowed unless the actor may manage the group (see ``may_manage_group``)."""
    if not may_manage_group(session, actor, group_id):
        raise NotAllowed()


def require_group_member(session: Session, actor, group_id: int) -> None:
    """Raise NotAllowed unless the actor is staff or a current member of the group."""
    if not (is_staff(actor) or is_member(session, actor, group_id)):
        raise NotAllowed()


def may_manage_event(session: Session, actor, event: Event) -> bool:
    """Staff, administrators, and the chair or secretary of a group the event belongs to."""
    if is_staff(actor):
        return True
    group_ids = set(
        session.scalars(select(event_group.c.group_id).where(event_group.c.event_id == event.id))
    )
    return any(may_manage_group(session, actor, group_id) for group_id in group_ids)


def require_event_manager(session: Session, actor, event: Event) -> None:
    """Raise NotAllowed unless the actor may manage the event."""
    if not may_manage_event(session, actor, event):
        raise NotAllowed()


def chapter_anchors(session: Session, group_id: int) -> set[str]:
    """The anchors of the chapters the group is responsible for now."""
    return set(
        session.scalars(
            select(GroupChapter.section_anchor).where(
                GroupChapter.group_id == group_id, GroupChapter.ended_at.is_(None)
            )
        )
    )


def section_ids(session: Session, document_id: int, anchors: set[str]) -> set[int]:
    """The ids of the document's sections with these anchors and all their subsections."""
    if not anchors:
        return set()
    rows = session.execute(
        select(Section.id, Section.parent_id, Section.anchor).where(
            Section.document_id == document_id
        )
    ).all()
    children: dict[int | None, list[int]] = {}
    for section_id, parent_id, _anchor in rows:
        children.setdefault(parent_id, []).append(section_id)
    found = {section_id for section_id, _parent, anchor in rows if anchor in anchors}
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def group_section_ids(session: Session, group_id: int, round_: Round) -> set[int]:
    """The ids of the sections of the round's draft the group is responsible for now."""
    if round_.document is None:
        return set()
    return section_ids(session, round_.document.id, chapter_anchors(session, group_id))


def writable_section_ids(session: Session, actor, round_: Round) -> set[int] | None:
    """The sections of the round's draft the actor may work on: None means all (staff)."""
    if is_staff(actor):
        return None
    ids: set[int] = set()
    for membership in current_memberships(session, actor, round_.consultation_id):
        ids |= group_section_ids(session, membership.group_id, round_)
    return ids


def _within(allowed: set[int] | None, section_id: int | None) -> bool:
    return allowed is None or (section_id is not None and section_id in allowed)


def require_paragraph_writer(session: Session, actor, paragraph: Paragraph, round_: Round):
    """Raise NotAllowed unless the actor may write the synthesis of this paragraph."""
    if not _within(writable_section_ids(session, actor, round_), paragraph.section_id):
        raise NotAllowed()


def require_comment_corrector(session: Session, actor, comment: Comment) -> None:
    """Raise unless the actor may correct this comment's theme tags: staff may correct any;
    a member only a published top-level comment (NotFound for any other: a member learns
    nothing of the moderation queue) in their group's chapters (NotAllowed otherwise)."""
    if is_staff(actor):
        return
    if comment.status != CommentStatus.PUBLISHED or comment.parent_id is not None:
        raise NotFound()
    allowed = writable_section_ids(session, actor, comment.round)
    if not _within(allowed, section_of(comment)):
        raise NotAllowed()


def require_worker(session: Session, actor) -> None:
    """Raise NotAllowed unless the actor is staff, or a current member of some open group
    (the first gate of the analysis corrections and the synthesis; each then checks the
    theme, comment or paragraph itself)."""
    if not is_staff(actor) and not current_memberships(session, actor):
        raise NotAllowed()


SectionCounts = dict[int | None, int]


def _section_counts_query(*conditions):
    return (
        select(ThemeAssignment.theme_id, comment_section, func.count())
        .select_from(ThemeAssignment)
        .join(Comment, Comment.id == ThemeAssignment.comment_id)
        .outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id)
        .where(
            ThemeAssignment.removed_at.is_(None),
            Comment.status == CommentStatus.PUBLISHED,
            *conditions,
        )
        .group_by(ThemeAssignment.theme_id, comment_section)
    )


def round_section_counts(session: Session, round_id: int) -> dict[int, SectionCounts]:
    """For every theme of the round (one grouped query): how many of its current, published
    comments lie in each section. Pass it to ``theme_is_in`` when asking about many themes."""
    found: dict[int, SectionCounts] = {}
    for theme_id, section_id, count in session.execute(
        _section_counts_query(Comment.round_id == round_id)
    ):
        found.setdefault(theme_id, {})[section_id] = count
    return found


def theme_section_counts(session: Session, theme_id: int) -> SectionCounts:
    """How many of the theme's current, published comments lie in each section."""
    rows = session.execute(_section_counts_query(ThemeAssignment.theme_id == theme_id))
    return {section_id: count for _theme, section_id, count in rows}


def theme_is_in(
    session: Session,
    theme: Theme,
    allowed: set[int],
    counts: dict[int, SectionCounts] | None = None,
) -> bool:
    """Whether most of the theme's comments lie in these sections (a tie counts for each
    side): the theme is then one of the chapters' themes, which their group names and
    answers for. ``counts`` (``round_section_counts``) saves a query per theme."""
    if counts is None:
        mine = theme_section_counts(session, theme.id)
    else:
        mine = counts.get(theme.id, {})
    inside = sum(n for section_id, n in mine.items() if section_id in allowed)
    outside = sum(n for section_id, n in mine.items() if section_id not in allowed)
    return inside > 0 and inside >= outside


def require_theme_writer(session: Session, actor, theme: Theme) -> None:
    """Raise NotAllowed unless the actor may rename the theme and write its synthesis."""
    if is_staff(actor):
        return
    round_ = session.get(Round, theme.round_id)
    allowed = writable_section_ids(session, actor, round_)
    if not allowed or not theme_is_in(session, theme, allowed):
        raise NotAllowed()


def require_section_reader(
    session: Session, actor, round_: Round, sections: set[int] | None
) -> None:
    """Raise NotAllowed unless the actor may read the round's comments and themes within
    ``sections`` (None: the whole round, for staff only). A member of one of the
    consultation's groups may read their chapters (an empty set if they have none yet)."""
    if is_staff(actor):
        return
    if sections is None or not current_memberships(session, actor, round_.consultation_id):
        raise NotAllowed()
    if not sections <= (writable_section_ids(session, actor, round_) or set()):
        raise NotAllowed()


def require_theme_reader(session: Session, actor, theme: Theme, sections: set[int]) -> None:
    """Raise NotAllowed unless ``theme`` has a published comment in ``sections`` (which the
    actor may read, see ``require_section_reader``): a member drills down into the themes
    their chapters' comments are in, and no other."""
    if is_staff(actor):
        return
    counts = theme_section_counts(session, theme.id)
    if not any(n for section_id, n in counts.items() if section_id in sections):
        raise NotAllowed()


# Follow-up of a strategy. Staff and administrators edit everything; a current member of an
# open working group updates the actions their group is responsible for (status, progress,
# milestones, what they answer in the consultation) but neither creates, deletes nor hands
# actions to another group, and edits no goals, indicators or reports.


def may_edit_followup(actor) -> bool:
    """Whether the actor may edit a strategy's goals, indicators, reports and any action."""
    return is_staff(actor)


def require_followup_editor(actor) -> None:
    """Raise NotAllowed unless the actor is staff or an administrator."""
    if not may_edit_followup(actor):
        raise NotAllowed()


def may_update_action(session: Session, actor, action) -> bool:
    """Staff, administrators, and current members of the group responsible for the action."""
    if is_staff(actor):
        return True
    return action.group_id is not None and is_member(session, actor, action.group_id)


def require_action_updater(session: Session, actor, action) -> None:
    """Raise NotAllowed unless the actor may update the action (see ``may_update_action``)."""
    if not may_update_action(session, actor, action):
        raise NotAllowed()


def updatable_group_ids(session: Session, actor) -> set[int] | None:
    """The groups whose actions the actor may update; None means every action (staff)."""
    if is_staff(actor):
        return None
    return {m.group_id for m in current_memberships(session, actor)}
