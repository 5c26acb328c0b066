"""The published results of a round: how many commented, from where, and on what.

Counted over published comments and replies only, so the figures match what anyone can read
on the round's pages and in the open data. A reply counts towards the section of the
comment it answers (it carries the same paragraph and section).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .. import comment_totals
from ..analysis import board
from ..labels import CATEGORY_LABELS
from ..models import (
    Category,
    Comment,
    CommentStatus,
    Event,
    Organisation,
    Paragraph,
    Round,
    Section,
)

WHOLE_DRAFT = _l("The whole draft")
PREAMBLE = _l("Before the first heading")


@dataclass
class Bar:
    """One row of a results table: a label, its count, its share of the total, and its
    length relative to the longest bar (so that small shares can still be told apart)."""

    label: str
    count: int
    share: float
    anchor: str | None = None
    length: float = 0.0

    @property
    def percent(self) -> int:
        """The share as a whole percentage, for reading."""
        return round(self.share * 100)


@dataclass
class Results:
    comments: int
    organisations: int
    participants: int
    by_category: list[Bar]
    by_section: list[Bar]
    # The headline figures, counted as on every other page: comments and replies apart.
    totals: comment_totals.Totals | None = None
    # The published comments recorded from each dialogue event (see events.contributions).
    by_event: list[Bar] = field(default_factory=list)


def _bars(counts: list[tuple[str, int, str | None]], total: int) -> list[Bar]:
    longest = max((n for _, n, _ in counts), default=0)
    return [
        Bar(label, n, n / total if total else 0.0, anchor, n / longest if longest else 0.0)
        for label, n, anchor in counts
    ]


def round_results(session: Session, round_: Round) -> Results:
    """Count the published comments of ``round_`` by category and by top-level section."""
    published = (Comment.round_id == round_.id, Comment.status == CommentStatus.PUBLISHED)
    # An organisation merged into another counts as that other one.
    organisation = func.coalesce(Organisation.merged_into_id, Comment.author_organisation_id)
    # Who took part counts those who wrote here: a point recorded from a dialogue event has
    # its recorder as author, not who raised it, so it is left out (counted in by_event).
    written_here = Comment.event_id.is_(None)
    total, organisations, participants = session.execute(
        select(
            func.count(Comment.id),
            func.count(func.distinct(case((written_here, organisation)))),
            func.count(func.distinct(case((written_here, Comment.author_id)))),
        )
        .select_from(Comment)
        .outerjoin(Organisation, Organisation.id == Comment.author_organisation_id)
        .where(*published)
    ).one()

    per_category = dict(
        session.execute(
            select(Comment.author_category, func.count())
            .where(*published)
            .group_by(Comment.author_category)
        ).all()
    )
    by_category = _bars(
        [(str(CATEGORY_LABELS[c]), per_category.get(c, 0), None) for c in Category], total
    )

    document = round_.document
    sections = (
        list(session.scalars(select(Section).where(Section.document_id == document.id)))
        if document
        else []
    )
    chapter_of = board.chapter_of({s.id: s for s in sections})

    def chapter(section_id: int | None) -> int | None:
        top = chapter_of(section_id)
        return top.id if top is not None else None

    paragraph_sections = dict(
        session.execute(
            select(Paragraph.id, Paragraph.section_id).where(
                Paragraph.document_id == (document.id if document else None)
            )
        ).all()
    )
    tally: Counter = Counter()
    rows = session.execute(
        select(Comment.paragraph_id, Comment.section_id, func.count())
        .where(*published)
        .group_by(Comment.paragraph_id, Comment.section_id)
    )
    for paragraph_id, section_id, count in rows:
        if paragraph_id is not None:
            key = chapter(paragraph_sections.get(paragraph_id)) or "preamble"
        elif section_id is not None:
            key = chapter(section_id)
        else:
            key = "doc"
        tally[key] += count
    chapters = sorted((s for s in sections if s.parent_id is None), key=lambda s: s.position)
    counts = [(str(WHOLE_DRAFT), tally["doc"], None)]
    if tally["preamble"]:
        counts.append((str(PREAMBLE), tally["preamble"], None))
    counts += [(f"{s.number} {s.heading}", tally[s.id], s.anchor) for s in chapters]
    return Results(
        comments=total,
        organisations=organisations,
        participants=participants,
        by_category=by_category,
        by_section=_bars(counts, total),
        totals=comment_totals.for_round(session, round_.id),
        by_event=_by_event(session, published, total),
    )


def _by_event(session: Session, published, total: int) -> list[Bar]:
    """One bar per dialogue event whose points were recorded as comments, by date."""
    rows = session.execute(
        select(Event.title, Event.slug, func.count(Comment.id))
        .join(Event, Event.id == Comment.event_id)
        .where(*published)
        .group_by(Event.id, Event.title, Event.slug, Event.starts_at)
        .order_by(Event.starts_at, Event.id)
    ).all()
    return _bars([(title, n, slug) for title, slug, n in rows], total)
