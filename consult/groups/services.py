"""Managing a consultation's working groups: the groups, the chapters they answer for and
their members.

Staff and administrators create and close groups, move chapters between them and give or
take the chair's and the secretary's roles; a group's current chair or secretary may also
edit the group and add or remove its ordinary members. Who may do what is
asked of ``consult.group_access``. Nothing is deleted: a chapter that moves on, a member who
leaves and a group that closes keep their rows with an end date, so the history stays.
Every change is audited in the transaction that makes it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from .. import audit, clock
from .. import group_access as access
from ..errors import Invalid, NotFound, WrongState
from ..models import (
    Consultation,
    GroupChapter,
    GroupMembership,
    GroupRole,
    Round,
    Section,
    User,
    WorkingGroup,
)
from ..permissions import require_staff
from ..sanitise import UnsafeText, normalise_text

MAX_NAME = 200
MAX_DESCRIPTION = 5000
SLUG_LENGTH = 80
GROUP_FIELDS = ("name", "slug", "description", "position")
MEMBER_FIELDS = ("user_id", "role", "category", "organisation_name")


def slugify(name: str) -> str:
    """Return a URL slug for ``name``: "Energi, miljö och klimat" -> "energi-miljo-och-klimat"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:SLUG_LENGTH].rstrip("-")


# -- reading ---------------------------------------------------------------------------------


def consultation_or_404(session: Session, consultation_id: int) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound()
    return consultation


def group_or_404(session: Session, group_id: int) -> WorkingGroup:
    group = session.get(WorkingGroup, group_id)
    if group is None:
        raise NotFound()
    return group


def latest_round(session: Session, consultation_id: int) -> Round | None:
    """The consultation's latest round that has a draft (chapters are its sections)."""
    return session.scalar(
        select(Round)
        .where(Round.consultation_id == consultation_id, Round.document.has())
        .order_by(Round.number.desc())
        .limit(1)
    )


def draft_sections(session: Session, consultation_id: int) -> list[Section]:
    """The sections of the latest round's draft, in order: the chapters one may assign."""
    round_ = latest_round(session, consultation_id)
    if round_ is None:
        return []
    return list(
        session.scalars(
            select(Section)
            .where(Section.document_id == round_.document.id)
            .order_by(Section.position)
        )
    )


def groups_of(session: Session, consultation_id: int, *options) -> list[WorkingGroup]:
    """The consultation's groups, open ones first, in their order (``options``: loader
    options, e.g. to load their chapters and members at once)."""
    return list(
        session.scalars(
            select(WorkingGroup)
            .options(*options)
            .where(WorkingGroup.consultation_id == consultation_id)
            .order_by(WorkingGroup.closed_at.is_not(None), WorkingGroup.position, WorkingGroup.id)
        )
    )


def all_chapters(group: WorkingGroup) -> list[GroupChapter]:
    """Every chapter the group has held, oldest first (read afresh, not a cached list)."""
    return list(
        object_session(group).scalars(
            select(GroupChapter)
            .where(GroupChapter.group_id == group.id)
            .order_by(GroupChapter.assigned_at, GroupChapter.id)
        )
    )


def all_memberships(group: WorkingGroup) -> list[GroupMembership]:
    """Every membership of the group, oldest first (read afresh, not a cached list)."""
    return list(
        object_session(group).scalars(
            select(GroupMembership)
            .where(GroupMembership.group_id == group.id)
            .order_by(GroupMembership.joined_at, GroupMembership.id)
        )
    )


def current_chapters(group: WorkingGroup) -> list[GroupChapter]:
    return [c for c in all_chapters(group) if c.ended_at is None]


def former_chapters(group: WorkingGroup) -> list[GroupChapter]:
    return [c for c in all_chapters(group) if c.ended_at is not None]


def current_members(group: WorkingGroup) -> list[GroupMembership]:
    return [m for m in all_memberships(group) if m.left_at is None]


def former_members(group: WorkingGroup) -> list[GroupMembership]:
    return [m for m in all_memberships(group) if m.left_at is not None]


def holder(group: WorkingGroup, role: GroupRole) -> list[GroupMembership]:
    """The current members with ``role`` (a chair, a secretary)."""
    return [m for m in current_members(group) if m.role == role]


@dataclass
class GroupRow:
    """One group in the staff's list of a consultation's groups."""

    group: WorkingGroup
    chapters: list[GroupChapter]
    chairs: list[GroupMembership]
    secretaries: list[GroupMembership]
    members: int


def overview(session: Session, actor, consultation_id: int) -> tuple[Consultation, list]:
    """The consultation's groups with their chapters, chair, secretary and member count
    (staff and administrators)."""
    require_staff(actor)
    consultation = consultation_or_404(session, consultation_id)
    rows = [
        GroupRow(
            group,
            current_chapters(group),
            holder(group, GroupRole.CHAIR),
            holder(group, GroupRole.SECRETARY),
            len(current_members(group)),
        )
        for group in groups_of(session, consultation_id)
    ]
    return consultation, rows


def managed_group(session: Session, actor, group_id: int) -> WorkingGroup:
    """The group, for its management page: staff, or its current chair or secretary."""
    group = group_or_404(session, group_id)
    access.require_group_manager(session, actor, group.id)
    return group


# -- checking input --------------------------------------------------------------------------


def _text(value: str | None, limit: int, *, required: bool) -> tuple[str, str | None]:
    try:
        text = normalise_text(value or "").strip()
    except UnsafeText:
        return "", "unreadable"
    if required and not text:
        return "", "required"
    if len(text) > limit:
        return "", "too_long"
    return text, None


def _clean_group(
    session: Session,
    consultation_id: int,
    values: dict,
    group_id: int | None,
) -> dict:
    errors: dict[str, str] = {}
    name, error = _text(values.get("name"), MAX_NAME, required=True)
    if error:
        errors["name"] = error
    description, error = _text(values.get("description"), MAX_DESCRIPTION, required=False)
    if error:
        errors["description"] = error
    position = values.get("position")
    if position is None or not isinstance(position, int) or not 0 <= position <= 10_000:
        errors["position"] = "position"
    slug = ""
    if name:
        slug = slugify(name)
        if not slug:
            errors["name"] = "no_slug"
        else:
            others = select(WorkingGroup).where(
                WorkingGroup.consultation_id == consultation_id,
                WorkingGroup.id != (group_id or 0),
            )
            taken = session.scalar(
                others.where(
                    (WorkingGroup.slug == slug) | (func.lower(WorkingGroup.name) == name.lower())
                ).limit(1)
            )
            if taken is not None:
                errors["name"] = "name_taken"
    if errors:
        raise Invalid(errors)
    return {"name": name, "slug": slug, "description": description, "position": position}


def _require_open(group: WorkingGroup) -> None:
    if group.closed_at is not None:
        raise WrongState("group_closed")


def _commit_or_taken(session: Session, field: str, key: str, *, flush: bool = False) -> None:
    """Commit (or only flush); a unique index that refuses because a concurrent request did
    the same is ``Invalid`` for ``field``, and nothing is written."""
    try:
        session.flush() if flush else session.commit()
    except IntegrityError:
        session.rollback()
        raise Invalid({field: key}) from None


# -- groups ----------------------------------------------------------------------------------


def create_group(session: Session, actor, consultation_id: int, values: dict) -> WorkingGroup:
    """Create a group (staff and administrators): name, description and position; the slug
    is made from the name. Raises Invalid for an empty or taken name."""
    require_staff(actor)
    consultation_or_404(session, consultation_id)
    cleaned = _clean_group(session, consultation_id, values, None)
    now = clock.now()
    group = WorkingGroup(consultation_id=consultation_id, created_at=now, **cleaned)
    session.add(group)
    _commit_or_taken(session, "name", "name_taken", flush=True)
    audit.record(session, actor, "group.create", group, None, cleaned, now=now)
    _commit_or_taken(session, "name", "name_taken")
    return group


def edit_group(session: Session, actor, group_id: int, values: dict) -> WorkingGroup:
    """Change a group's name, description and position (staff, or its chair or secretary)."""
    group = managed_group(session, actor, group_id)
    _require_open(group)
    cleaned = _clean_group(session, group.consultation_id, values, group.id)
    before = audit.snapshot(group, GROUP_FIELDS)
    for name, value in cleaned.items():
        setattr(group, name, value)
    old, new = audit.changed(before, cleaned)
    if new:
        audit.record(session, actor, "group.edit", group, old, new)
    _commit_or_taken(session, "name", "name_taken")
    return group


def close_group(session: Session, actor, group_id: int, reason: str = "") -> WorkingGroup:
    """Close a group (staff): its chapters and memberships end now; nothing is deleted."""
    require_staff(actor)
    group = group_or_404(session, group_id)
    _require_open(group)
    now = clock.now()
    chapters = current_chapters(group)
    members = current_members(group)
    for chapter in chapters:
        chapter.ended_at = now
        chapter.ended_by_id = actor.id
    for membership in members:
        membership.left_at = now
    group.closed_at = now
    audit.record(
        session,
        actor,
        "group.close",
        group,
        {"closed_at": None},
        {
            "closed_at": now,
            "chapters": ", ".join(c.section_anchor for c in chapters),
            "members": len(members),
        },
        reason,
        now=now,
    )
    session.commit()
    return group


# -- chapters --------------------------------------------------------------------------------


def _section_by_anchor(session: Session, consultation_id: int, anchor: str) -> Section:
    anchor = (anchor or "").strip()
    found = next((s for s in draft_sections(session, consultation_id) if s.anchor == anchor), None)
    if found is None:
        raise Invalid({"chapter": "unknown_chapter"})
    return found


def assign_chapter(session: Session, actor, group_id: int, anchor: str) -> GroupChapter:
    """Make the group responsible for the chapter ``anchor`` of the latest draft (staff).

    A group holding it now loses it (its row ends, kept as history); the partial unique index
    ``uq_group_chapter_current`` keeps one current owner even when two requests race.
    """
    require_staff(actor)
    group = group_or_404(session, group_id)
    _require_open(group)
    section = _section_by_anchor(session, group.consultation_id, anchor)
    current = session.scalar(
        select(GroupChapter).where(
            GroupChapter.consultation_id == group.consultation_id,
            GroupChapter.section_anchor == section.anchor,
            GroupChapter.ended_at.is_(None),
        )
    )
    if current is not None and current.group_id == group.id:
        raise Invalid({"chapter": "already_held"})
    now = clock.now()
    if current is not None:
        current.ended_at = now
        current.ended_by_id = actor.id
        audit.record(
            session,
            actor,
            "group.chapter_end",
            current,
            {"group": current.group.name, "section": section.anchor},
            {"ended_at": now, "moved_to": group.name},
            now=now,
        )
        # The old row ends before the new one starts (the partial unique index).
        session.flush()
    chapter = GroupChapter(
        group_id=group.id,
        consultation_id=group.consultation_id,
        section_anchor=section.anchor,
        assigned_at=now,
        assigned_by_id=actor.id,
    )
    session.add(chapter)
    _commit_or_taken(session, "chapter", "chapter_race", flush=True)
    audit.record(
        session,
        actor,
        "group.chapter_assign",
        chapter,
        None,
        {"group": group.name, "section": section.anchor, "heading": section.heading},
        now=now,
    )
    _commit_or_taken(session, "chapter", "chapter_race")
    return chapter


def remove_chapter(session: Session, actor, group_id: int, chapter_id: int) -> GroupChapter:
    """End the group's responsibility for a chapter (staff); the row stays as history."""
    require_staff(actor)
    group = group_or_404(session, group_id)
    _require_open(group)
    chapter = session.get(GroupChapter, chapter_id)
    if chapter is None or chapter.group_id != group.id:
        raise NotFound()
    if chapter.ended_at is not None:
        raise WrongState("chapter_ended")
    now = clock.now()
    chapter.ended_at = now
    chapter.ended_by_id = actor.id
    audit.record(
        session,
        actor,
        "group.chapter_end",
        chapter,
        {"group": group.name, "section": chapter.section_anchor},
        {"ended_at": now},
        now=now,
    )
    session.commit()
    return chapter


# -- members ---------------------------------------------------------------------------------


def _role(value) -> GroupRole:
    try:
        return GroupRole(value)
    except ValueError:
        raise Invalid({"role": "choice"}) from None


def _require_role_giver(actor, *roles: GroupRole) -> None:
    """Only staff give, take or remove the chair's and the secretary's roles: a chair or
    secretary manages the group's ordinary members."""
    if any(role in access.MANAGING_ROLES for role in roles):
        require_staff(actor)


def add_member(session: Session, actor, group_id: int, email: str, role) -> GroupMembership:
    """Add the account with ``email`` to the group with ``role`` (staff; the group's chair or
    secretary add ordinary members). The person's category and organisation are kept as they
    are now. The refusal of an address says nothing of whether it has an account."""
    group = managed_group(session, actor, group_id)
    _require_open(group)
    role = _role(role)
    _require_role_giver(actor, role)
    address = (email or "").strip().lower()
    if not address:
        raise Invalid({"email": "required"})
    user = session.scalar(select(User).where(User.email == address, User.erased_at.is_(None)))
    if user is None:
        raise Invalid({"email": "cannot_add"})
    if any(m.user_id == user.id for m in current_members(group)):
        raise Invalid({"email": "already_member"})
    now = clock.now()
    membership = GroupMembership(
        group_id=group.id,
        user_id=user.id,
        role=role,
        category=user.category,
        organisation_name=user.organisation.name if user.organisation is not None else None,
        joined_at=now,
        added_by_id=actor.id,
    )
    session.add(membership)
    _commit_or_taken(session, "email", "already_member", flush=True)
    audit.record(
        session,
        actor,
        "group.member_add",
        membership,
        None,
        {"group": group.name, **audit.snapshot(membership, MEMBER_FIELDS)},
        now=now,
    )
    _commit_or_taken(session, "email", "already_member")
    return membership


def _membership(session: Session, group: WorkingGroup, membership_id: int) -> GroupMembership:
    membership = session.get(GroupMembership, membership_id)
    if membership is None or membership.group_id != group.id:
        raise NotFound()
    if membership.left_at is not None:
        raise WrongState("member_left")
    return membership


def change_role(
    session: Session, actor, group_id: int, membership_id: int, role
) -> GroupMembership:
    """Give a current member another role (staff; the chair's and the secretary's roles are
    given and taken by staff only, see ``_require_role_giver``)."""
    group = managed_group(session, actor, group_id)
    _require_open(group)
    membership = _membership(session, group, membership_id)
    role = _role(role)
    if role != membership.role:
        _require_role_giver(actor, role, membership.role)
        audit.record(
            session,
            actor,
            "group.member_role",
            membership,
            {"role": membership.role},
            {"role": role},
        )
        membership.role = role
        session.commit()
    return membership


def leave(session: Session, actor, group_id: int, membership_id: int) -> GroupMembership:
    """End a membership now (staff; the group's chair or secretary for an ordinary member);
    the row is kept, and what the person wrote stays theirs. Joining again makes a new
    membership."""
    group = managed_group(session, actor, group_id)
    _require_open(group)
    membership = _membership(session, group, membership_id)
    _require_role_giver(actor, membership.role)
    now = clock.now()
    membership.left_at = now
    audit.record(
        session,
        actor,
        "group.member_leave",
        membership,
        {"left_at": None},
        {"left_at": now, "user_id": membership.user_id, "group": group.name},
        now=now,
    )
    session.commit()
    return membership
