"""The comments of one theme (or of none), filtered, searched and paginated for staff.

By default the drill-down shows what the analysis reads and the board counts: published,
top-level comments. The moderation-state filter also reaches comments hidden, withdrawn or
rejected after they were tagged (their tags stay), and comments never published.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session, load_only

from .. import caching
from .. import group_access as access
from ..consultations.services import listed_comments
from ..errors import NotFound
from ..models import (
    AnalysedComment,
    CampaignGroup,
    Category,
    Comment,
    CommentKind,
    CommentStatus,
    Paragraph,
    Round,
    Section,
    Stance,
    Theme,
    ThemeAssignment,
    ThemeProposal,
    User,
)
from ..placement import in_sections, section_of
from ..search import query as search
from ..web import parse_int
from . import background, proposals, services
from .board import NO_STANCE, chapter_of, has_current_tag, round_sections
from .corrections import current_theme, round_comment
from .stance_reading import UNCLEAR
from .training import current_themes

log = logging.getLogger(__name__)

UNASSIGNED = "ingen"
SEARCH_MAX = search.MAX_CHARS
ANY_STATE = "all"
PARAGRAPH_LABEL_MAX = 60
# Each comment of a theme's page shows this much of its paragraph, and links the whole.
PARAGRAPH_EXCERPT_MAX = 160

# The moderation-state filter; "" (the default) is published, what the analysis reads.
STATE_OPTIONS = [
    (CommentStatus.HIDDEN.value, _l("Hidden by a moderator")),
    (CommentStatus.WITHDRAWN.value, _l("Withdrawn by the author")),
    (CommentStatus.REJECTED.value, _l("Rejected by a moderator")),
    (CommentStatus.PENDING.value, _l("Waiting for moderation")),
    (ANY_STATE, _l("Any state")),
]
# The language filter: what the analysis read in each comment ("other" includes undetermined).
LANGUAGE_OPTIONS = [
    ("sv", _l("Swedish")),
    ("en", _l("English")),
    ("other", _l("Other or undetermined")),
]
KNOWN_LANGUAGES = ("sv", "en")
# Where a comment came from: written here, or a point recorded from a dialogue event.
ORIGIN_OPTIONS = [
    ("here", _l("Written here")),
    ("event", _l("From dialogue events")),
]
CONFIRMED_OPTIONS = [
    ("yes", _l("Confirmed or set by staff")),
    ("no", _l("Not confirmed")),
]


@dataclass
class Filters:
    """The drill-down's filters as given in the query string; unknown values are ignored."""

    chapter: int | None = None
    paragraph: int | None = None  # a paragraph of the draft, inside the chapter if one is set
    category: str = ""
    organisation: int | None = None
    stance: str = ""
    kind: str = ""
    campaign: str = ""  # "yes", "no" or ""
    language: str = ""  # "sv", "en", "other" or ""
    state: str = ""  # a moderation state other than published, ANY_STATE, or "" (published)
    confirmed: str = ""  # "yes", "no" or "": whether staff confirmed the tag on the theme
    q: str = ""
    origin: str = ""  # "here", "event" or "": see ORIGIN_OPTIONS

    @classmethod
    def from_args(cls, args) -> Filters:
        """Read filters from request arguments, dropping values that are not valid."""

        def number(name: str) -> int | None:
            return parse_int(args.get(name))

        def choice(name: str, allowed) -> str:
            value = args.get(name, "")
            return value if value in allowed else ""

        return cls(
            chapter=number("kapitel"),
            paragraph=number("stycke"),
            category=choice("kategori", {c.value for c in Category}),
            organisation=number("organisation"),
            stance=choice("hallning", {*(s.value for s in Stance), NO_STANCE}),
            kind=choice("typ", {k.value for k in CommentKind}),
            campaign=choice("kampanj", {"yes", "no"}),
            language=choice("sprak", {value for value, _ in LANGUAGE_OPTIONS}),
            state=choice("status", {value for value, _ in STATE_OPTIONS}),
            confirmed=choice("bekraftad", {value for value, _ in CONFIRMED_OPTIONS}),
            q=" ".join(args.get("q", "").split())[:SEARCH_MAX],
            origin=choice("ursprung", {value for value, _ in ORIGIN_OPTIONS}),
        )

    def query_args(self) -> dict[str, str | int]:
        """Return the filters as query-string arguments (for pagination links)."""
        values = {
            "kapitel": self.chapter,
            "stycke": self.paragraph,
            "kategori": self.category,
            "organisation": self.organisation,
            "hallning": self.stance,
            "typ": self.kind,
            "kampanj": self.campaign,
            "sprak": self.language,
            "status": self.state,
            "bekraftad": self.confirmed,
            "q": self.q,
            "ursprung": self.origin,
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
    hit: Markup | None = None  # where a text search found the comment, hits marked

    @property
    def paragraph_excerpt(self) -> str:
        """The opening words of the paragraph the comment is on (the page links the rest)."""
        paragraph = self.comment.paragraph
        return excerpt(paragraph.text) if paragraph is not None else ""

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
    # The paragraph filter's options, grouped by chapter (only the chosen chapter's if any).
    paragraphs: list[tuple[Section | None, list[tuple[int, str]]]] = field(default_factory=list)
    state_options: list = field(default_factory=lambda: list(STATE_OPTIONS))
    language_options: list = field(default_factory=lambda: list(LANGUAGE_OPTIONS))
    confirmed_options: list = field(default_factory=lambda: list(CONFIRMED_OPTIONS))
    origin_options: list = field(default_factory=lambda: list(ORIGIN_OPTIONS))


def comments(
    session: Session,
    user: User | None,
    round_id: int,
    theme_id: int | None,
    filters: Filters,
    *,
    page: int = 1,
    per_page: int = 25,
    sections: set[int] | None = None,
) -> Page:
    """Return one page of the comments of theme ``theme_id`` (None: those without a theme).

    Given ``sections`` (a working group's chapters), only the comments in them, for the
    group's members too; a member may open only a theme with comments there.
    """
    round_ = services.get_round(session, user, round_id, sections=sections)
    analysis = services.latest_result(session, round_id)
    theme = None
    if theme_id is not None:
        theme = session.get(Theme, theme_id)
        if theme is None or theme.round_id != round_id or theme.retired_at is not None:
            raise NotFound()
        if sections is not None:
            access.require_theme_reader(session, user, theme, sections)
    draft = _Draft.of(session, round_, sections)
    filters = draft.checked(filters, theme)
    if sections is not None:
        # A workspace lists what the public reads: moderation is staff's business.
        filters = replace(filters, state="")
    found = _listing(session, round_, analysis, theme, filters, draft, page, per_page, sections)
    ids, total, page = found["ids"], found["total"], found["page"]
    organisations = [tuple(pair) for pair in found["organisations"]]
    pages = max(1, -(-total // per_page))
    items = _items(session, listed_comments(session, ids), analysis, theme, draft.chapter)
    terms = search.Terms.parse(filters.q)
    if terms is not None:
        hits = search.snippets(session, terms, ids)
        for item in items:
            item.hit = hits.get(item.comment.id)
    return Page(
        theme,
        filters,
        items,
        total,
        page,
        pages,
        draft.chapters,
        organisations,
        paragraphs=draft.paragraph_options(filters.chapter),
        state_options=[] if sections is not None else list(STATE_OPTIONS),
    )


def warm(session: Session, round_: Round, analysis, themes: list[Theme], per_page: int) -> None:
    """Count the first page of each of ``themes``' comments, unfiltered, as ``comments``
    would, and keep it: for background work that has just changed the round's themes (the
    caller has the right to see them). A theme that fails is logged and left to its next look."""
    draft = _Draft.of(session, round_, None)
    for theme in themes:
        try:
            filters = draft.checked(Filters(), theme)
            _listing(session, round_, analysis, theme, filters, draft, 1, per_page, None)
        except Exception:  # noqa: BLE001
            session.rollback()
            log.exception("Could not count the first page of theme %s", theme.id)


def _listing(session: Session, round_, analysis, theme, filters, draft, page, per_page, sections):
    """Return the page's comment ids, the matching total and the page shown, kept per
    version of the round's data (a theme's, of its themes: a new comment is in no theme
    yet), these filters and this page; and the organisations to filter by, kept per version
    for every page and filter but the moderation state and the staff's confirmation (which
    change the comments they are read from)."""
    round_id = round_.id
    conditions = [Comment.round_id == round_id, Comment.parent_id.is_(None)]
    if sections is not None:
        conditions.append(in_sections(sections))
    if filters.state != ANY_STATE:
        conditions.append(Comment.status == CommentStatus(filters.state or "published"))
    if theme is None:
        conditions.append(~has_current_tag(round_id))
    else:
        confirmed = {"yes": True, "no": False}.get(filters.confirmed)
        conditions.append(has_current_tag(round_id, theme.id, confirmed=confirmed))
    terms = search.Terms.parse(filters.q)
    theme_id = theme.id if theme is not None else None
    within = sorted(sections) if sections is not None else None
    themed = theme is not None  # kept by the round's theme version (see caching.figures)

    def listing() -> dict:
        query = select(Comment).where(*conditions, *_filter_conditions(filters, draft, analysis))
        order = [Comment.created_at, Comment.id]
        if terms is not None:
            query, order = search.ranked(session, query, terms)
        elif filters.q:
            query = query.where(false())  # only punctuation: there is no word to find
        ids, total, shown = search.page_ids(session, query, order, max(page, 1), per_page)
        return {"ids": ids, "total": total, "page": shown}

    # A reload or another staff member's look at the same page reads none of the theme's rows;
    # the organisations to filter by are the same for every page and most filters.
    found = caching.figures(
        "drill", round_, listing, theme_id, within, asdict(filters), page, per_page, themes=themed
    )
    organisations = caching.figures(
        "drill-organisations",
        round_,
        lambda: _organisations(session, conditions),
        theme_id,
        within,
        filters.state,
        filters.confirmed,
        themes=themed,
    )
    return {**found, "organisations": organisations}


@dataclass
class _Draft:
    """The round's draft as the filters need it: sections, chapters and paragraphs."""

    sections: dict[int, Section]
    paragraphs: list[Paragraph]  # in reading order, with id, section, number and text only

    @classmethod
    def of(cls, session: Session, round_, within: set[int] | None = None) -> _Draft:
        """Load the sections and the paragraphs (without their HTML) of the round's draft;
        given ``within``, offer only the chapters and paragraphs of those sections."""
        paragraphs = []
        if round_.document is not None:
            paragraphs = list(
                session.scalars(
                    select(Paragraph)
                    .options(
                        load_only(
                            Paragraph.id, Paragraph.section_id, Paragraph.number, Paragraph.text
                        )
                    )
                    .where(Paragraph.document_id == round_.document.id)
                    .order_by(Paragraph.position)
                )
            )
        if within is not None:
            paragraphs = [p for p in paragraphs if p.section_id in within]
        draft = cls(round_sections(session, round_), paragraphs)
        if within is not None:
            shown = {draft.chapter_id(s) for s in within}
            draft.chapters = [c for c in draft.chapters if c.id in shown]
        return draft

    def __post_init__(self) -> None:
        self.chapter = chapter_of(self.sections)
        self.chapters = sorted(
            (s for s in self.sections.values() if s.parent_id is None), key=lambda s: s.position
        )

    def chapter_id(self, section_id: int | None) -> int | None:
        """Return the id of the chapter holding section ``section_id`` (None for none)."""
        found = self.chapter(section_id)
        return found.id if found is not None else None

    def checked(self, filters: Filters, theme: Theme | None) -> Filters:
        """Drop a chapter or paragraph not in this draft (or a paragraph outside the chapter),
        and the confirmation filter where there is no theme (no tag to confirm)."""
        chapter = filters.chapter if filters.chapter in {c.id for c in self.chapters} else None
        paragraph = next((p for p in self.paragraphs if p.id == filters.paragraph), None)
        if paragraph is not None and chapter is not None:
            if self.chapter_id(paragraph.section_id) != chapter:
                paragraph = None
        return replace(
            filters,
            chapter=chapter,
            paragraph=paragraph.id if paragraph is not None else None,
            confirmed=filters.confirmed if theme is not None else "",
        )

    def in_chapter(self, chapter_id: int):
        """Return a condition: the comment is on chapter ``chapter_id`` (a paragraph or a
        section of it), placed as the board places it (a paragraph's section first)."""
        return in_sections({s for s in self.sections if self.chapter_id(s) == chapter_id})

    def paragraph_options(self, chapter_id: int | None):
        """Return the paragraph filter's options grouped by chapter, only the chosen one's
        when a chapter is chosen."""
        groups: dict[int | None, list[tuple[int, str]]] = {}
        for paragraph in self.paragraphs:
            key = self.chapter_id(paragraph.section_id)
            if chapter_id is None or key == chapter_id:
                groups.setdefault(key, []).append((paragraph.id, _paragraph_label(paragraph)))
        return [(self.sections.get(key), rows) for key, rows in groups.items()]


def excerpt(text: str, limit: int = PARAGRAPH_EXCERPT_MAX) -> str:
    """Return the opening words of ``text``, at most ``limit`` characters, "…" if cut."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "…"
    return text


def _paragraph_label(paragraph: Paragraph) -> str:
    """Return "number: the opening words…" for a paragraph option."""
    return f"{paragraph.number}: {excerpt(paragraph.text, PARAGRAPH_LABEL_MAX)}"


def _filter_conditions(filters: Filters, draft: _Draft, analysis) -> list:
    conditions = []
    if filters.chapter is not None:
        conditions.append(draft.in_chapter(filters.chapter))
    if filters.paragraph is not None:
        conditions.append(Comment.paragraph_id == filters.paragraph)
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
    if filters.origin:
        from_event = Comment.event_id.is_not(None)
        conditions.append(from_event if filters.origin == "event" else ~from_event)
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
    if filters.language and analysis is not None:
        conditions.append(_in_language(filters.language, analysis.id))
    return conditions


def _in_language(language: str, analysis_id: int):
    """Return a condition: the analysis read the comment as ``language`` ("other": neither
    Swedish nor English, or a comment the analysis did not read)."""
    read_as = select(AnalysedComment.id).where(
        AnalysedComment.comment_id == Comment.id, AnalysedComment.analysis_id == analysis_id
    )
    if language == "other":
        return ~read_as.where(AnalysedComment.language.in_(KNOWN_LANGUAGES)).exists()
    return read_as.where(AnalysedComment.language == language).exists()


def _organisations(session: Session, conditions: list) -> list[tuple[int, str]]:
    """The organisations of the comments ``conditions`` select, by name, each named as its
    first comment there names it."""
    # Found in the comments' covering index (an organisation's first comment by id), so that
    # only one comment row per organisation is read for its name.
    firsts = (
        select(func.min(Comment.id))
        .where(*conditions, Comment.author_organisation_id.is_not(None))
        .group_by(Comment.author_organisation_id)
    )
    rows = session.execute(
        select(Comment.author_organisation_id, Comment.author_organisation_name).where(
            Comment.id.in_(firsts)
        )
    )
    return sorted(map(tuple, rows), key=lambda item: (item[1] or "").lower())


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
        section_id = section_of(comment)
        shown = None if stance == UNCLEAR else stance  # pages show only confident readings
        items.append(Item(comment, chapter(section_id), size, shown, tags.get(comment.id)))
    return items


@dataclass
class ThemeView:
    """A theme's page: its comments, the round's themes to move them to, and the tagger's
    undecided proposals (the best ``proposals.SHOWN``, and how many there are)."""

    round: Round
    page: Page
    themes: list[Theme]
    proposals: list[ThemeProposal]
    proposal_total: int
    work: background.Work | None = None  # a split or proposal search under way, or failed


def theme_view(
    session: Session,
    user: User | None,
    round_id: int,
    theme_id: int | None,
    filters: Filters,
    *,
    page: int = 1,
    per_page: int = 25,
    sections: set[int] | None = None,
) -> ThemeView:
    """Return the page of theme ``theme_id`` (None: the comments without a theme) for staff;
    given ``sections``, its comments in them (see ``comments``), without the tagger's
    proposals and background work, which are staff's."""
    found = comments(
        session, user, round_id, theme_id, filters, page=page, per_page=per_page, sections=sections
    )
    shown, total, work = [], 0, None
    if found.theme is not None and sections is None:
        shown, total = proposals.pending(session, found.theme.id)
        work = background.of_theme(session, user, found.theme.id)
    return ThemeView(
        services.get_round(session, user, round_id, sections=sections),
        found,
        themes_of_round(session, round_id),
        shown,
        total,
        work,
    )


@dataclass
class Row:
    """One comment of a theme's list as it is now, after a change to its tags."""

    round: Round
    theme: Theme | None
    item: Item
    themes: list[Theme]


def row(
    session: Session,
    user: User | None,
    round_id: int,
    theme_id: int | None,
    comment_id: int,
    *,
    sections: set[int] | None = None,
) -> Row:
    """Return comment ``comment_id`` as theme ``theme_id``'s list shows it (None: the list of
    comments without a theme); NotFound if the theme is no longer current (a new run).
    Given ``sections`` (a working group's chapters), for a member, only a comment in them."""
    round_ = services.get_round(session, user, round_id, sections=sections)
    theme = current_theme(session, round_id, theme_id) if theme_id is not None else None
    comment = round_comment(session, round_id, comment_id)
    if sections is not None:
        access.require_comment_corrector(session, user, comment)
    analysis = services.latest_result(session, round_id)
    chapter = chapter_of(round_sections(session, round_))
    item = _items(session, [comment], analysis, theme, chapter)[0]
    return Row(round_, theme, item, themes_of_round(session, round_id))


def themes_of_round(session: Session, round_id: int) -> list[Theme]:
    """Return the round's current themes by name, for choosing where to move a comment."""
    return current_themes(session, round_id, order_by=Theme.name)
