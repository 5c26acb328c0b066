"""The theme board of a round: what each theme holds, by whom, where in the draft, how meant.

Counts come from the current tags (not removed, on themes not retired) of the round's
published top-level comments, aggregated in the database; only the few comments shown as
examples are loaded whole.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session, lazyload, load_only

from .. import caching
from ..models import (
    AnalysedComment,
    Analysis,
    CampaignGroup,
    Category,
    Comment,
    CommentStatus,
    Paragraph,
    Round,
    Section,
    Stance,
    Theme,
    ThemeAssignment,
    User,
)
from ..placement import comment_section, in_sections
from . import agreement, services

UNASSIGNED_SHOWN = 10
REPRESENTATIVES_SHOWN = 3
CAMPAIGNS_SHOWN = 20
NO_STANCE = "none"
BOARD = "board"  # the staff's board, as ``caching.note_looked`` knows it (``pages.warm``)


@dataclass
class Example:
    """A comment shown for a theme; ``campaign_size`` > 0 when it stands for a campaign."""

    comment: Comment
    campaign_size: int = 0


@dataclass
class ThemeCard:
    theme: Theme
    keywords: list[str]
    comments: int
    organisations: int
    categories: list[tuple[Category, int]]
    chapters: list[tuple[Section | None, int]]
    stances: list[tuple[str, int]]
    examples: list[Example]


@dataclass
class Matrix:
    """Comments per chapter (rows) and theme (columns); ``None`` is the draft as a whole."""

    chapters: list[Section | None]
    themes: list[Theme]
    cells: dict[tuple[int | None, int], int]
    highest: int

    def count(self, chapter: Section | None, theme: Theme) -> int:
        """Return the number of comments of ``theme`` on ``chapter``."""
        return self.cells.get((chapter.id if chapter else None, theme.id), 0)

    def shade(self, chapter: Section | None, theme: Theme) -> int:
        """Return a shade from 0 (none) to 5 (the most of any cell)."""
        value = self.count(chapter, theme)
        if not value or not self.highest:
            return 0
        # Square roots, so that one very large cell does not wash out all the others.
        return max(1, round(5 * math.sqrt(value / self.highest)))


@dataclass
class Board:
    analysis: Analysis | None
    total: int
    themes: list[ThemeCard] = field(default_factory=list)
    campaigns: list[Example] = field(default_factory=list)  # the largest CAMPAIGNS_SHOWN
    campaign_count: int = 0
    unassigned: list[Comment] = field(default_factory=list)
    unassigned_count: int = 0
    matrix: Matrix | None = None
    agreement: agreement.Agreement | None = None


def current_tags(round_id: int):
    """Select (theme id, comment id) of the round's current tags on published comments."""
    return (
        select(ThemeAssignment.theme_id, ThemeAssignment.comment_id)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .join(Comment, Comment.id == ThemeAssignment.comment_id)
        .where(
            Theme.round_id == round_id,
            Theme.retired_at.is_(None),
            ThemeAssignment.removed_at.is_(None),
            # Implied by the theme's round; spelt out so that SQLite starts from the round's
            # comments in their covering index instead of reading each tagged comment's row.
            Comment.round_id == round_id,
            Comment.status == CommentStatus.PUBLISHED,
        )
    )


def chapter_of(sections: dict[int, Section]):
    """Return a function mapping a section id to its top-level chapter."""
    cache: dict[int | None, Section | None] = {None: None}

    def find(section_id: int | None) -> Section | None:
        if section_id not in cache:
            section = sections.get(section_id)
            while section is not None and section.parent_id is not None:
                section = sections[section.parent_id]
            cache[section_id] = section
        return cache[section_id]

    return find


def round_sections(session: Session, round_) -> dict[int, Section]:
    """Return the sections of the round's draft by id."""
    if round_.document is None:
        return {}
    return {s.id: s for s in round_.document.sections}


def build(
    session: Session, user: User | None, round_id: int, *, sections: set[int] | None = None
) -> Board:
    """Return the theme board of round ``round_id`` for a staff member; given ``sections``
    (a working group's chapters), the board of the comments in them, for its members too:
    each theme counts only those comments, and themes without any are left out."""
    board, figures, round_, sections_by_id = _counted(session, user, round_id, sections)
    if board.analysis is not None:
        counted = _themes_figures(session, board.analysis, round_, sections_by_id, sections)
        _add_themes(session, board, round_, sections_by_id, sections, counted)
        _add_unthemed(session, board, round_, sections, figures, counted)
    return board


def themed(
    session: Session, user: User | None, round_id: int, *, sections: set[int] | None = None
) -> Board:
    """Return the board without its comments that have no theme: the themes, campaigns,
    the chapters' table and the tagger's agreement, which a new comment does not change."""
    board, _, round_, sections_by_id = _counted(session, user, round_id, sections)
    if board.analysis is not None:
        _themes_part(session, board, round_, sections_by_id, sections)
    return board


def themed_in_background(session: Session, round_: Round, analysis: Analysis) -> Board:
    """Return the whole round's board as ``themed`` does, for background work (which has no
    user: what it builds is kept for staff, see ``pages.warm``). Its total is not
    counted."""
    board = Board(analysis=analysis, total=0)
    _themes_part(session, board, round_, round_sections(session, round_), None)
    return board


def _themes_part(session: Session, board: Board, round_, sections_by_id, sections) -> None:
    counted = _themes_figures(session, board.analysis, round_, sections_by_id, sections)
    _add_themes(session, board, round_, sections_by_id, sections, counted)


def unthemed(
    session: Session, user: User | None, round_id: int, *, sections: set[int] | None = None
) -> Board:
    """Return the board's comments without a theme alone (its themes empty): the part of
    the board that every new comment changes."""
    board, figures, round_, sections_by_id = _counted(session, user, round_id, sections)
    if board.analysis is not None:
        counted = _themes_figures(session, board.analysis, round_, sections_by_id, sections)
        _add_unthemed(session, board, round_, sections, figures, counted)
    return board


def _add_unthemed(session: Session, board: Board, round_, sections, figures, counted) -> None:
    # The comments an analysis reads, less those with a current tag (counted with the themes).
    board.unassigned_count = figures["total"] - counted["themed"]
    unassigned = _unassigned_query(round_.id)
    if sections is not None:
        unassigned = unassigned.where(in_sections(sections))
    board.unassigned = list(
        session.scalars(unassigned.order_by(Comment.id).limit(UNASSIGNED_SHOWN))
    )


def _themes_figures(session: Session, analysis, round_, sections_by_id, sections) -> dict:
    return caching.figures(
        "board-themes",
        round_,
        lambda: _theme_figures(session, round_.id, analysis, sections, sections_by_id),
        analysis.id,
        sorted(sections) if sections is not None else None,
        themes=True,
    )


def _add_themes(session: Session, board: Board, round_, sections_by_id, sections, counted):
    analysis, round_id = board.analysis, round_.id
    themes = list(
        session.scalars(select(Theme).where(Theme.round_id == round_id, Theme.retired_at.is_(None)))
    )
    tally = _tally_from(counted["tally"], sections_by_id)
    if sections is not None:
        themes = [t for t in themes if tally.sizes[t.id]]
    ordered = sorted(themes, key=lambda t: (-tally.sizes[t.id], t.position, t.id))
    examples = _examples(session, ordered, analysis.id, sections)
    for theme in ordered:
        stances = tally.stances[theme.id]
        board.themes.append(
            ThemeCard(
                theme=theme,
                keywords=json.loads(theme.keywords or "[]"),
                comments=tally.sizes[theme.id],
                organisations=tally.organisations[theme.id],
                categories=sorted(
                    ((Category(c), n) for c, n in tally.categories[theme.id].items()),
                    key=lambda item: -item[1],
                ),
                chapters=sorted(
                    tally.places[theme.id].items(),
                    key=lambda item: item[0].position if item[0] else -1,
                ),
                stances=[
                    (key, stances[key])
                    for key in [*(s.value for s in Stance), NO_STANCE]
                    if stances[key]
                ],
                examples=examples.get(theme.id, []),
            )
        )
    board.matrix = _matrix(ordered, tally.places, sections_by_id)
    if sections is not None:
        # Campaigns and the tagger's agreement are the whole round's: staff's board only.
        return
    board.campaigns = _campaigns(session, analysis.id)
    board.campaign_count = counted["campaigns"]
    board.agreement = agreement.for_round(session, round_id)


def headline(
    session: Session, user: User | None, round_id: int, *, sections: set[int] | None = None
) -> Board:
    """Return the board's analysis and comment count alone (its themes empty): what the page
    shows above the board, from the cached counts."""
    return _counted(session, user, round_id, sections)[0]


def _counted(session: Session, user: User | None, round_id: int, sections: set[int] | None):
    round_ = services.get_round(session, user, round_id, sections=sections)
    analysis = services.latest_result(session, round_id)
    # The counts over the round's comments are cached per version of the round's data
    # (consult.caching), for this analysis and these sections.
    within = sorted(sections) if sections is not None else None
    sections_by_id = round_sections(session, round_)
    figures = caching.figures(
        "board-total",
        round_,
        lambda: _figures(session, round_id, sections),
        analysis.id if analysis else None,
        within,
    )
    return Board(analysis=analysis, total=figures["total"]), figures, round_, sections_by_id


def _figures(session: Session, round_id: int, sections) -> dict:
    """Count the comments of the round an analysis reads, as JSON-ready values."""
    if sections is None:
        total = services.comment_count(session, round_id)
    else:
        total = session.scalar(
            select(func.count(Comment.id)).where(
                Comment.round_id == round_id,
                Comment.status == CommentStatus.PUBLISHED,
                Comment.parent_id.is_(None),
                in_sections(sections),
            )
        )
    return {"total": total}


def _theme_figures(session: Session, round_id: int, analysis, sections, sections_by_id) -> dict:
    """Count the themes' comments (tagged ones only: a new comment changes none of this),
    as JSON-ready values."""
    tally = _tally(session, round_id, chapter_of(sections_by_id), sections)
    tagged = current_tags(round_id).where(Comment.parent_id.is_(None))
    if sections is not None:
        tagged = tagged.outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id).where(
            comment_section.in_(list(sections))
        )
    themed = tagged.with_only_columns(func.count(func.distinct(ThemeAssignment.comment_id)))
    return {
        "themed": session.scalar(themed),
        "tally": {
            "sizes": dict(tally.sizes),
            "organisations": dict(tally.organisations),
            "categories": {t: dict(c) for t, c in tally.categories.items()},
            "stances": {t: dict(c) for t, c in tally.stances.items()},
            # A chapter by its id ("" for the draft as a whole).
            "places": {
                t: {(str(s.id) if s else ""): n for s, n in c.items()}
                for t, c in tally.places.items()
            },
        },
        "campaigns": session.scalar(
            select(func.count(CampaignGroup.id)).where(CampaignGroup.analysis_id == analysis.id)
        ),
    }


def _tally_from(figures: dict, sections_by_id: dict[int, Section]) -> _Tally:
    """Rebuild a tally from its JSON form (theme ids come back as strings)."""
    tally = _Tally()
    tally.sizes.update({int(t): n for t, n in figures["sizes"].items()})
    tally.organisations.update({int(t): n for t, n in figures["organisations"].items()})
    for t, counts in figures["categories"].items():
        tally.categories[int(t)].update(counts)
    for t, counts in figures["stances"].items():
        tally.stances[int(t)].update(counts)
    for t, counts in figures["places"].items():
        for chapter, n in counts.items():
            tally.places[int(t)][sections_by_id.get(int(chapter)) if chapter else None] += n
    return tally


@dataclass
class _Tally:
    sizes: Counter = field(default_factory=Counter)
    organisations: Counter = field(default_factory=Counter)  # distinct, per theme
    categories: defaultdict = field(default_factory=lambda: defaultdict(Counter))
    stances: defaultdict = field(default_factory=lambda: defaultdict(Counter))
    places: defaultdict = field(default_factory=lambda: defaultdict(Counter))


def _tally(session: Session, round_id: int, chapter, sections: set[int] | None = None) -> _Tally:
    """Count every theme's comments by category, stance and chapter, and its organisations.

    One pass over the tags joined to their comments (read from the covering indexes), grouped
    in the database by theme, category, stance, section and organisation: the distinct
    organisations per theme come from the same rows.
    """
    tags = current_tags(round_id).outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id)
    section = comment_section
    if sections is not None:
        tags = tags.where(section.in_(list(sections)))
    key = (
        ThemeAssignment.theme_id,
        # The stored values as they are: thousands of rows need no enum objects.
        type_coerce(Comment.author_category, String),
        type_coerce(Comment.stance, String),
        section,
        Comment.author_organisation_id,
    )
    grouped = tags.with_only_columns(*key, func.count()).group_by(*key)
    tally = _Tally()
    organisations: set[tuple[int, int]] = set()
    rows = session.execute(grouped)
    for theme_id, category, stance, section_id, organisation_id, count in rows:
        tally.sizes[theme_id] += count
        tally.categories[theme_id][category] += count
        tally.stances[theme_id][stance or NO_STANCE] += count
        tally.places[theme_id][chapter(section_id)] += count
        if organisation_id is not None:
            organisations.add((theme_id, organisation_id))
    tally.organisations.update(theme_id for theme_id, _ in organisations)
    return tally


def _campaign_sizes(session: Session, analysis_id: int, ids) -> dict[int, int]:
    """Return comment id → size of its campaign, for those of ``ids`` in a campaign."""
    rows = session.execute(
        select(AnalysedComment.comment_id, CampaignGroup.size)
        .join(CampaignGroup, CampaignGroup.id == AnalysedComment.campaign_id)
        .where(AnalysedComment.analysis_id == analysis_id, AnalysedComment.comment_id.in_(ids))
    )
    return dict(rows.all())


def _examples(
    session: Session, themes: list[Theme], analysis_id: int, sections: set[int] | None = None
) -> dict[int, list[Example]]:
    wanted = {
        t.id: json.loads(t.representative_ids or "[]")[:REPRESENTATIVES_SHOWN] for t in themes
    }
    ids = {i for chosen in wanted.values() for i in chosen}
    query = select(Comment).where(Comment.id.in_(ids), Comment.status == CommentStatus.PUBLISHED)
    if sections is not None:
        query = query.where(in_sections(sections))
    comments = {c.id: c for c in session.scalars(query)}
    campaign_size = _campaign_sizes(session, analysis_id, list(comments))
    return {
        theme_id: [Example(comments[i], campaign_size.get(i, 0)) for i in chosen if i in comments]
        for theme_id, chosen in wanted.items()
    }


def _campaigns(session: Session, analysis_id: int) -> list[Example]:
    """Return the largest campaigns of the analysis as first comment (text only) and size.

    A synthetic or very repetitive round can have hundreds; each theme's drill-down lists
    the rest (filter "campaign").
    """
    rows = session.execute(
        select(Comment, CampaignGroup.size)
        .join(CampaignGroup, CampaignGroup.comment_id == Comment.id)
        .options(load_only(Comment.id, Comment.body), lazyload(Comment.author))
        .where(CampaignGroup.analysis_id == analysis_id)
        .order_by(CampaignGroup.size.desc(), CampaignGroup.id)
        .limit(CAMPAIGNS_SHOWN)
    )
    return [Example(comment, size) for comment, size in rows]


def has_current_tag(round_id: int, theme_id: int | None = None, confirmed: bool | None = None):
    """Return a condition: the (outer) comment has a current tag, on ``theme_id`` if given,
    and then, if ``confirmed`` is given, one staff have confirmed (True) or not (False).

    Written so that both SQLite and PostgreSQL answer it from the covering tag indexes: a
    theme's comments by (theme, removed_at, comment), any current tag by the comment's own
    (comment, removed_at, theme).
    """
    if theme_id is not None:
        tags = select(ThemeAssignment.comment_id).where(
            ThemeAssignment.theme_id == theme_id, ThemeAssignment.removed_at.is_(None)
        )
        if confirmed is not None:
            column = ThemeAssignment.confirmed_at
            tags = tags.where(column.is_not(None) if confirmed else column.is_(None))
        return Comment.id.in_(tags)
    # Joined rather than "theme_id IN (current themes)": SQLite would probe the comment's
    # tags once per current theme.
    return (
        select(ThemeAssignment.id)
        .join(Theme, Theme.id == ThemeAssignment.theme_id)
        .where(
            ThemeAssignment.comment_id == Comment.id,
            ThemeAssignment.removed_at.is_(None),
            Theme.round_id == round_id,
            Theme.retired_at.is_(None),
        )
        .exists()
    )


def _unassigned_query(round_id: int):
    """Select the round's comments an analysis reads that have no current tag."""
    return select(Comment).where(
        Comment.round_id == round_id,
        Comment.status == CommentStatus.PUBLISHED,
        Comment.parent_id.is_(None),
        ~has_current_tag(round_id),
    )


def _matrix(themes: list[Theme], places, sections: dict[int, Section]) -> Matrix:
    chapters: list[Section | None] = sorted(
        (s for s in sections.values() if s.parent_id is None), key=lambda s: s.position
    )
    if any(None in places[t.id] for t in themes):
        chapters = [None, *chapters]
    cells = {
        (chapter.id if chapter else None, theme.id): count
        for theme in themes
        for chapter, count in places[theme.id].items()
    }
    return Matrix(chapters, themes, cells, max(cells.values(), default=0))
