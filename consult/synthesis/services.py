"""Write and read the synthesis: per theme and per paragraph, a summary, a response with its
motivation, and how far staff have come (not started / drafted / reviewed).

Every function takes the acting user and raises NotAllowed unless they are staff or an
administrator, or a current member of the working group answering for the theme or the
paragraph (see ``consult.group_access``: a paragraph in the group's chapters, a theme most
of whose comments are there).

A save names the version its form was loaded at (0 for an entry not yet written) and is
refused with Conflict if someone saved the entry since: nobody overwrites
another's words unseen. Every save is audited in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from .. import group_access as access
from ..analysis.board import current_tags
from ..analysis.corrections import clean_description, current_theme
from ..analysis.services import get_round
from ..errors import Conflict, Invalid, NotFound
from ..models import (
    Comment,
    CommentStatus,
    Paragraph,
    Response,
    Round,
    Synthesis,
    Theme,
    User,
    WorkStatus,
)
from ..permissions import require_user
from ..placement import in_sections

__all__ = ["save", "entry", "overview"]

TEXT_MAX = 5000
FIELDS = ("summary", "response", "motivation", "status")


@dataclass
class Target:
    """What an entry is about: a theme or a paragraph of a round."""

    round: Round
    theme: Theme | None = None
    paragraph: Paragraph | None = None


def target(
    session: Session,
    user: User | None,
    round_id: int,
    *,
    theme_id: int | None = None,
    paragraph_id: int | None = None,
) -> Target:
    """Return the theme or paragraph of the round an entry is about, or raise NotFound;
    NotAllowed unless ``user`` may write its synthesis."""
    access.require_worker(session, user)
    round_ = session.get(Round, round_id)
    if round_ is None:
        raise NotFound()
    if theme_id is not None:
        where = Target(round_, theme=current_theme(session, round_id, theme_id))
    else:
        paragraph = session.get(Paragraph, paragraph_id) if paragraph_id is not None else None
        if (
            paragraph is None
            or round_.document is None
            or paragraph.document_id != round_.document.id
        ):
            raise NotFound()
        where = Target(round_, paragraph=paragraph)
    require_writer(session, user, where)
    return where


def require_writer(session: Session, user: User | None, where: Target) -> None:
    """Raise NotAllowed unless ``user`` may write the synthesis of ``where``."""
    if where.theme is not None:
        access.require_theme_writer(session, user, where.theme)
    else:
        access.require_paragraph_writer(session, user, where.paragraph, where.round)


def _find(session: Session, where: Target) -> Synthesis | None:
    if where.theme is not None:
        return session.scalar(select(Synthesis).where(Synthesis.theme_id == where.theme.id))
    return session.scalar(select(Synthesis).where(Synthesis.paragraph_id == where.paragraph.id))


def entry(session: Session, where: Target) -> Synthesis:
    """Return the saved entry for a theme or paragraph, or a new unsaved one (version 0)."""
    found = _find(session, where)
    if found is not None:
        return found
    return Synthesis(
        round_id=where.round.id,
        theme_id=where.theme.id if where.theme else None,
        paragraph_id=where.paragraph.id if where.paragraph else None,
        summary="",
        motivation="",
        response=None,
        status=WorkStatus.NOT_STARTED,
        version=0,
    )


def _validate(summary: str, response: str, motivation: str, status: str) -> dict[str, str]:
    errors = {}
    if len(summary) > TEXT_MAX:
        errors["summary"] = "too_long"
    if len(motivation) > TEXT_MAX:
        errors["motivation"] = "too_long"
    if response and response not in {r.value for r in Response}:
        errors["response"] = "invalid"
    if status not in {s.value for s in WorkStatus}:
        errors["status"] = "invalid"
    elif status == WorkStatus.REVIEWED and not response:
        # A reviewed entry is what the public sees once results are published.
        errors["response"] = "required_when_reviewed"
    elif status == WorkStatus.REVIEWED and not summary:
        errors["summary"] = "required_when_reviewed"
    return errors


def save(
    session: Session,
    user: User | None,
    where: Target,
    *,
    summary: str,
    response: str,
    motivation: str,
    status: str,
    version: int,
    now: datetime,
    group_id: int | None = None,
) -> Synthesis:
    """Save an entry if it is still at ``version``; Invalid or Conflict leave it unchanged.

    ``group_id`` names the working group whose workspace the save was made in: the audit
    entry records it, so the group's history says who wrote what for the group then,
    whatever the theme's comments are tagged with later."""
    require_user(user)
    require_writer(session, user, where)
    summary, motivation = clean_description(summary), clean_description(motivation)
    response = (response or "").strip()
    errors = _validate(summary, response, motivation, status)
    if errors:
        raise Invalid(errors)
    current = entry(session, where)
    if current.version != version:
        raise Conflict(current)
    before = audit.snapshot(current, FIELDS) if current.id else None
    current.summary, current.motivation = summary, motivation
    current.response = Response(response) if response else None
    current.status = WorkStatus(status)
    after = audit.snapshot(current, FIELDS)
    if before == after:
        return current
    if current.id is None:
        current.version = None  # the mapper sets version 1 on insert
        current.created_at = now
        session.add(current)
    current.updated_by_id, current.updated_at = user.id, now
    try:
        session.flush()
        group = {"group_id": group_id} if group_id is not None else {}
        if before is None:
            audit.record(session, user, "synthesis.create", current, None, after | group, now=now)
        else:
            old, new = audit.changed(before, after)
            audit.record(session, user, "synthesis.edit", current, old, new | group, now=now)
        session.commit()
    except (StaleDataError, IntegrityError):
        # Saved (or first written) by someone else between our read and our write.
        session.rollback()
        raise Conflict(entry(session, where)) from None
    return current


@dataclass
class Row:
    """A line of the overview: a theme or a paragraph, its comments, and its entry."""

    theme: Theme | None
    paragraph: Paragraph | None
    comments: int
    entry: Synthesis | None


@dataclass
class Overview:
    round: Round
    themes: list[Row]
    paragraphs: list[Row]

    def counts(self) -> dict[WorkStatus, int]:
        """Return how many entries are at each work status."""
        tally = dict.fromkeys(WorkStatus, 0)
        for row in [*self.themes, *self.paragraphs]:
            tally[row.entry.status if row.entry else WorkStatus.NOT_STARTED] += 1
        return tally


def overview(
    session: Session, user: User | None, round_id: int, *, sections: set[int] | None = None
) -> Overview:
    """Return the round's themes (largest first) and commented paragraphs with their entries.

    Given ``sections`` (a working group's chapters), for its members too: the paragraphs in
    them, and the themes with comments in them, each counting only those comments.
    """
    round_ = get_round(session, user, round_id, sections=sections)
    entries = {
        (e.theme_id, e.paragraph_id): e
        for e in session.scalars(select(Synthesis).where(Synthesis.round_id == round_id))
    }
    tags = current_tags(round_id)
    if sections is not None:
        tags = tags.where(in_sections(sections))
    sizes = dict(
        session.execute(
            tags.with_only_columns(Theme.id, func.count(func.distinct(Comment.id))).group_by(
                Theme.id
            )
        ).all()
    )
    themes = session.scalars(
        select(Theme).where(Theme.round_id == round_id, Theme.retired_at.is_(None))
    )
    if sections is not None:
        themes = [t for t in themes if sizes.get(t.id)]
    theme_rows = sorted(
        (Row(t, None, sizes.get(t.id, 0), entries.get((t.id, None))) for t in themes),
        key=lambda row: (-row.comments, row.theme.position, row.theme.id),
    )
    commented = (
        select(Paragraph, func.count(Comment.id))
        .join(Comment, Comment.paragraph_id == Paragraph.id)
        .where(
            Comment.round_id == round_id,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.parent_id.is_(None),
        )
        .group_by(Paragraph.id)
        .order_by(Paragraph.position)
    )
    if sections is not None:
        commented = commented.where(Paragraph.section_id.in_(list(sections)))
    paragraph_rows = [
        Row(None, p, n, entries.get((None, p.id))) for p, n in session.execute(commented).all()
    ]
    return Overview(round_, theme_rows, paragraph_rows)
