"""A working group's workspace: the comments, themes and synthesis of the chapters the group
is responsible for now, for its current members (and for staff, who see every group's).

Each function checks that the actor is staff or a current member of the (open) group, and
names the group's chapters (as section ids of the round's draft) to the analysis and
synthesis services, which check again that the actor may read or change what they are
given. A workspace address names its group, so a member cannot reach another group's theme
or paragraph through their own workspace either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import group_access as access
from ..analysis import board as board_
from ..analysis import corrections, drill
from ..consultations.services import public_round
from ..errors import NotAllowed, NotFound
from ..models import (
    Consultation,
    Round,
    Section,
    Synthesis,
    Theme,
    ThemeAssignment,
    User,
    WorkingGroup,
    WorkStatus,
)
from ..permissions import require_staff
from ..placement import section_of
from ..synthesis import services as synthesis
from .services import latest_round


def get_group(session: Session, user: User | None, group_id: int) -> WorkingGroup:
    """Return the group for staff or a current member of it (NotAllowed for a closed one)."""
    group = session.get(WorkingGroup, group_id)
    if group is None:
        raise NotFound()
    access.require_group_member(session, user, group_id)
    return group


def current_round(session: Session, consultation: Consultation, now: datetime) -> Round | None:
    """The round the groups work on, the one rule for the workspace and the progress page:
    the round the public sees (``consultations.services.public_round``: the open one, else
    the latest started, else the next scheduled), and while every round is still a draft the
    latest round with a draft (``services.latest_round``, whose sections are the chapters)."""
    return public_round(consultation, now) or latest_round(session, consultation.id)


def group_round(group: WorkingGroup, round_id: int, session: Session) -> Round:
    """Return a round of the group's consultation, or raise NotFound."""
    round_ = session.get(Round, round_id)
    if round_ is None or round_.consultation_id != group.consultation_id:
        raise NotFound()
    return round_


def chapters(session: Session, group: WorkingGroup, round_: Round | None):
    """The group's current chapters as (anchor, the section of the round's draft), in the
    draft's reading order; a chapter not in this round's draft comes last, without one."""
    anchors = access.chapter_anchors(session, group.id)
    found: list[tuple[str, Section | None]] = []
    if round_ is not None and round_.document is not None:
        by_parent: dict[int | None, list[Section]] = {}
        for section in round_.document.sections:
            by_parent.setdefault(section.parent_id, []).append(section)

        def walk(parent_id: int | None) -> None:
            for section in sorted(by_parent.get(parent_id, []), key=lambda s: s.position):
                if section.anchor in anchors:
                    found.append((section.anchor, section))
                walk(section.id)

        walk(None)
    missing = anchors - {anchor for anchor, _section in found}
    return found + [(anchor, None) for anchor in sorted(missing)]


@dataclass
class Workspace:
    """The workspace's home: the group, its chapters, the round and its work there."""

    group: WorkingGroup
    round: Round | None
    chapters: list[tuple[str, Section | None]]
    sections: set[int] = field(default_factory=set)
    board: board_.Board | None = None
    theirs: set[int] = field(default_factory=set)  # the themes the group answers for
    theme_entries: dict[int, Synthesis] = field(default_factory=dict)
    paragraphs: list[synthesis.Row] = field(default_factory=list)

    @property
    def comments(self) -> int:
        """How many published comments (not replies) lie in the group's chapters."""
        return self.board.total if self.board else 0

    def status(self, theme: Theme) -> WorkStatus:
        """The work status of the synthesis of one of the group's themes."""
        entry = self.theme_entries.get(theme.id)
        return entry.status if entry else WorkStatus.NOT_STARTED


def home(session: Session, user: User | None, group_id: int, *, now: datetime) -> Workspace:
    """Return the workspace of the group for staff or a current member."""
    group = get_group(session, user, group_id)
    round_ = current_round(session, group.consultation, now)
    space = Workspace(group, round_, chapters(session, group, round_))
    if round_ is None:
        return space
    space.sections = access.group_section_ids(session, group.id, round_)
    space.board = board_.build(session, user, round_.id, sections=space.sections)
    counts = access.round_section_counts(session, round_.id)
    space.theirs = {
        card.theme.id
        for card in space.board.themes
        if access.theme_is_in(session, card.theme, space.sections, counts)
    }
    overview = synthesis.overview(session, user, round_.id, sections=space.sections)
    space.theme_entries = {row.theme.id: row.entry for row in overview.themes if row.entry}
    space.paragraphs = overview.paragraphs
    return space


@dataclass
class ThemeWork:
    """A theme's comments in the group's chapters, and whether the theme is the group's."""

    group: WorkingGroup
    view: drill.ThemeView
    theirs: bool


def theme_view(
    session: Session,
    user: User | None,
    group_id: int,
    round_id: int,
    theme_id: int,
    filters: drill.Filters,
    *,
    page: int = 1,
    per_page: int = 25,
) -> ThemeWork:
    """Return a theme's comments in the group's chapters (NotAllowed for a theme with none)."""
    group = get_group(session, user, group_id)
    round_ = group_round(group, round_id, session)
    sections = access.group_section_ids(session, group.id, round_)
    view = drill.theme_view(
        session, user, round_id, theme_id, filters, page=page, per_page=per_page, sections=sections
    )
    return ThemeWork(group, view, access.theme_is_in(session, view.page.theme, sections))


def rename_theme(
    session: Session,
    user: User | None,
    group_id: int,
    round_id: int,
    theme_id: int,
    *,
    name: str,
    description: str,
    version: int,
    now: datetime,
) -> Theme:
    """Rename and describe one of the group's themes (see ``corrections.edit_theme``)."""
    group = get_group(session, user, group_id)
    round_ = group_round(group, round_id, session)
    theme = corrections.current_theme(session, round_id, theme_id)
    _require_group_theme(session, group, round_, theme)
    return corrections.edit_theme(
        session,
        user,
        round_id,
        theme_id,
        name=name,
        description=description,
        version=version,
        now=now,
    )


def _require_group_theme(session: Session, group: WorkingGroup, round_: Round, theme: Theme):
    """Raise NotAllowed unless the theme is the group's (most of its comments in its chapters)."""
    sections = access.group_section_ids(session, group.id, round_)
    if not access.theme_is_in(session, theme, sections):
        raise NotAllowed()


def _require_group_comment(
    session: Session, user: User | None, group: WorkingGroup, round_: Round, comment_id
):
    """Raise unless the actor may correct the round's comment (``access.
    require_comment_corrector``: NotFound for a member and a comment that is not published)
    and it lies in this group's chapters (NotAllowed)."""
    comment = corrections.round_comment(session, round_.id, comment_id)
    access.require_comment_corrector(session, user, comment)
    if section_of(comment) not in access.group_section_ids(session, group.id, round_):
        raise NotAllowed()


def correct_tag(
    session: Session,
    user: User | None,
    group_id: int,
    round_id: int,
    comment_id: int,
    action: str,
    *,
    theme_id: int | None = None,
    from_theme_id: int | None = None,
    to_theme_id: int | None = None,
    now: datetime,
) -> ThemeAssignment:
    """Move ("move"), confirm ("confirm") or add ("add") a tag of a comment in the group's
    chapters, as staff's corrections do (each checks the actor again)."""
    group = get_group(session, user, group_id)
    round_ = group_round(group, round_id, session)
    _require_group_comment(session, user, group, round_, comment_id)
    if action == "move":
        return corrections.move_tag(
            session,
            user,
            round_id,
            comment_id,
            from_theme_id=from_theme_id,
            to_theme_id=to_theme_id,
            now=now,
        )
    if action == "confirm":
        return corrections.confirm_tag(session, user, round_id, comment_id, theme_id, now=now)
    if action == "add":
        return corrections.add_tag(session, user, round_id, comment_id, theme_id, now=now)
    raise NotFound()


def comment_row(
    session: Session,
    user: User | None,
    group_id: int,
    round_id: int,
    theme_id: int | None,
    comment_id: int,
) -> drill.Row:
    """Return a comment of the group's chapters as a theme's list shows it (after a change)."""
    group = get_group(session, user, group_id)
    round_ = group_round(group, round_id, session)
    _require_group_comment(session, user, group, round_, comment_id)
    sections = access.group_section_ids(session, group.id, round_)
    return drill.row(session, user, round_id, theme_id, comment_id, sections=sections)


def synthesis_target(
    session: Session,
    user: User | None,
    group_id: int,
    round_id: int,
    *,
    theme_id: int | None = None,
    paragraph_id: int | None = None,
) -> tuple[WorkingGroup, synthesis.Target]:
    """Return the group and one of its themes or paragraphs, whose synthesis the actor may
    write (see ``synthesis.target``)."""
    group = get_group(session, user, group_id)
    round_ = group_round(group, round_id, session)
    where = synthesis.target(session, user, round_id, theme_id=theme_id, paragraph_id=paragraph_id)
    if where.theme is not None:
        _require_group_theme(session, group, round_, where.theme)
    elif where.paragraph.section_id not in access.group_section_ids(session, group.id, round_):
        raise NotAllowed()
    return group, where


@dataclass
class GroupProgress:
    """How far one group has come with the synthesis of its themes and paragraphs."""

    group: WorkingGroup
    chapters: list[tuple[str, Section | None]]
    themes: int = 0
    themes_written: int = 0
    themes_reviewed: int = 0
    paragraphs: int = 0
    paragraphs_written: int = 0
    paragraphs_reviewed: int = 0


@dataclass
class Progress:
    consultation: Consultation
    round: Round | None
    groups: list[GroupProgress]


def progress(
    session: Session, user: User | None, consultation_id: int, *, now: datetime
) -> Progress:
    """Return every group of the consultation with its synthesis progress, for staff."""
    require_staff(user)
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound()
    round_ = current_round(session, consultation, now)
    groups = session.scalars(
        select(WorkingGroup)
        .where(WorkingGroup.consultation_id == consultation_id)
        .order_by(WorkingGroup.position, WorkingGroup.id)
    )
    found = []
    counts = access.round_section_counts(session, round_.id) if round_ is not None else {}
    for group in groups:
        row = GroupProgress(group, chapters(session, group, round_))
        found.append(row)
        if round_ is None:
            continue
        sections = access.group_section_ids(session, group.id, round_)
        overview = synthesis.overview(session, user, round_.id, sections=sections)
        theirs = [
            r for r in overview.themes if access.theme_is_in(session, r.theme, sections, counts)
        ]
        for rows, prefix in ((theirs, "themes"), (overview.paragraphs, "paragraphs")):
            setattr(row, prefix, len(rows))
            written = sum(1 for r in rows if r.entry and r.entry.status != WorkStatus.NOT_STARTED)
            setattr(row, f"{prefix}_written", written)
            reviewed = sum(1 for r in rows if r.entry and r.entry.status == WorkStatus.REVIEWED)
            setattr(row, f"{prefix}_reviewed", reviewed)
    return Progress(consultation, round_, found)


def my_groups(session: Session, user: User | None) -> list[WorkingGroup]:
    """Return the open groups the signed-in user is a current member of."""
    return [m.group for m in access.current_memberships(session, user)]
