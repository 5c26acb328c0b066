"""The comments of one theme (or of none), filtered, searched and paginated for staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ..models import (
    AnalysedComment,
    CampaignGroup,
    Category,
    Comment,
    CommentKind,
    CommentStatus,
    Paragraph,
    Section,
    Stance,
    Theme,
    ThemeAssignment,
    User,
)
from . import services
from .board import NO_STANCE, chapter_of, has_current_tag, round_sections

UNASSIGNED = "ingen"
SEARCH_MAX = 200


@dataclass
class Filters:
    """The drill-down's filters as given in the query string; unknown values are ignored."""

    chapter: int | None = None
    category: str = ""
    organisation: int | None = None
    stance: str = ""
    kind: str = ""
    campaign: str = ""  # "yes", "no" or ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from request arguments, dropping values that are not valid."""

        def number(name: str) -> int | None:
            value = args.get(name, "")
            return int(value) if value.isdigit() else None

        def choice(name: str, allowed) -> str:
            value = args.get(name, "")
            return value if value in allowed else ""

        return cls(
            chapter=number("kapitel"),
            category=choice("kategori", {c.value for c in Category}),
            organisation=number("organisation"),
            stance=choice("hallning", {*(s.value for s in Stance), NO_STANCE}),
            kind=choice("typ", {k.value for k in CommentKind}),
            campaign=choice("kampanj", {"yes", "no"}),
            q=" ".join(args.get("q", "").split())[:SEARCH_MAX],
        )

    def query_args(self) -> dict[str, str | int]:
        """Return the filters as query-string arguments (for pagination links)."""
        values = {
            "kapitel": self.chapter,
            "kategori": self.category,
            "organisation": self.organisation,
            "hallning": self.stance,
            "typ": self.kind,
            "kampanj": self.campaign,
            "q": self.q,
        }
        return {k: v for k, v in values.items() if v not in (None, "")}

    @property
    def active(self) -> bool:
        """True when any filter is set."""
        return bool(self.query_args())


@dataclass
class Item:
    comment: Comment
    chapter: Section | None
    campaign_size: int
    engine_stance: str | None
    tag: ThemeAssignment | None  # the comment's current tag on the theme shown, if any

    @property
    def placed_after(self) -> bool:
        """True when the engine placed the comment after the analysis had run."""
        return self.tag is not None and self.tag.after_analysis


@dataclass
class Page:
    theme: Theme | None
    filters: Filters
    items: list[Item]
    total: int
    page: int
    pages: int
    chapters: list[Section] = field(default_factory=list)
    organisations: list[tuple[int, str]] = field(default_factory=list)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def comments(
    session: Session,
    user: User | None,
    round_id: int,
    theme_key: str,
    filters: Filters,
    *,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """Return one page of the comments of theme ``theme_key`` (an id, or UNASSIGNED)."""
    round_ = services.get_round(session, user, round_id)
    analysis = services.latest_result(session, round_id)
    theme = None
    if theme_key != UNASSIGNED:
        theme = session.get(Theme, int(theme_key)) if theme_key.isdigit() else None
        if theme is None or theme.round_id != round_id or theme.retired_at is not None:
            raise services.NotFound()
    conditions = [
        Comment.round_id == round_id,
        Comment.status == CommentStatus.PUBLISHED,
        Comment.parent_id.is_(None),
    ]
    if theme is None:
        conditions.append(~has_current_tag(round_id))
    else:
        conditions.append(has_current_tag(round_id, theme.id))
    sections = round_sections(session, round_)
    chapter = chapter_of(sections)
    base = select(Comment).outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id)
    organisations = _organisations(session, base.where(*conditions))
    conditions += _filter_conditions(filters, sections, chapter, analysis)
    query = base.where(*conditions)
    total = session.scalar(query.with_only_columns(func.count(Comment.id)))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = list(
        session.scalars(
            query.options(
                selectinload(Comment.paragraph).selectinload(Paragraph.section),
                selectinload(Comment.section),
            )
            .order_by(Comment.created_at, Comment.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    items = _items(session, rows, analysis, theme, chapter)
    chapters = sorted(
        (s for s in sections.values() if s.parent_id is None), key=lambda s: s.position
    )
    return Page(theme, filters, items, total, page, pages, chapters, organisations)


def _filter_conditions(filters: Filters, sections, chapter, analysis) -> list:
    conditions = []
    if filters.chapter is not None:
        inside = [
            s for s in sections if chapter(s) is not None and chapter(s).id == filters.chapter
        ]
        section_id = func.coalesce(Paragraph.section_id, Comment.section_id)
        conditions.append(section_id.in_(inside or [-1]))
    if filters.category:
        conditions.append(Comment.author_category == Category(filters.category))
    if filters.organisation is not None:
        conditions.append(Comment.author_organisation_id == filters.organisation)
    if filters.stance == NO_STANCE:
        conditions.append(Comment.stance.is_(None))
    elif filters.stance:
        conditions.append(Comment.stance == Stance(filters.stance))
    if filters.kind:
        conditions.append(Comment.kind == CommentKind(filters.kind))
    if filters.campaign and analysis is not None:
        in_campaign = (
            select(AnalysedComment.id)
            .where(
                AnalysedComment.comment_id == Comment.id,
                AnalysedComment.analysis_id == analysis.id,
                AnalysedComment.campaign_id.is_not(None),
            )
            .exists()
        )
        conditions.append(in_campaign if filters.campaign == "yes" else ~in_campaign)
    if filters.q:
        pattern = _like(filters.q)
        conditions.append(
            or_(
                Comment.body.ilike(pattern, escape="\\"),
                Comment.proposed_text.ilike(pattern, escape="\\"),
            )
        )
    return conditions


def _organisations(session: Session, query) -> list[tuple[int, str]]:
    rows = session.execute(
        query.with_only_columns(Comment.author_organisation_id, Comment.author_organisation_name)
        .where(Comment.author_organisation_id.is_not(None))
        .distinct()
    )
    named = {organisation_id: name for organisation_id, name in rows}
    return sorted(named.items(), key=lambda item: (item[1] or "").lower())


def _items(session: Session, rows: list[Comment], analysis, theme, chapter) -> list[Item]:
    ids = [c.id for c in rows]
    readings: dict[int, tuple[str, int]] = {}
    if analysis is not None and ids:
        found = session.execute(
            select(AnalysedComment.comment_id, AnalysedComment.stance, CampaignGroup.size)
            .outerjoin(CampaignGroup, CampaignGroup.id == AnalysedComment.campaign_id)
            .where(AnalysedComment.analysis_id == analysis.id, AnalysedComment.comment_id.in_(ids))
        )
        readings = {comment_id: (stance, size or 0) for comment_id, stance, size in found}
    tags: dict[int, ThemeAssignment] = {}
    if theme is not None and ids:
        tags = {
            tag.comment_id: tag
            for tag in session.scalars(
                select(ThemeAssignment).where(
                    ThemeAssignment.theme_id == theme.id,
                    ThemeAssignment.comment_id.in_(ids),
                    ThemeAssignment.removed_at.is_(None),
                )
            )
        }
    items = []
    for comment in rows:
        stance, size = readings.get(comment.id, (None, 0))
        section_id = comment.paragraph.section_id if comment.paragraph else comment.section_id
        items.append(Item(comment, chapter(section_id), size, stance, tags.get(comment.id)))
    return items


def item(session: Session, round_, theme: Theme | None, comment: Comment) -> Item:
    """Return one comment as the drill-down shows it (after a change to its tags)."""
    analysis = services.latest_result(session, round_.id)
    return _items(session, [comment], analysis, theme, chapter_of(round_sections(session, round_)))[
        0
    ]


def themes_of_round(session: Session, round_id: int) -> list[Theme]:
    """Return the round's current themes by name, for choosing where to move a comment."""
    return list(
        session.scalars(
            select(Theme)
            .where(Theme.round_id == round_id, Theme.retired_at.is_(None))
            .order_by(Theme.name)
        )
    )
