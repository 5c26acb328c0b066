"""Exports of a round's comments (CSV, .xlsx) and of its themes (JSON), for staff.

Comments are read in batches over a server-side cursor (``yield_per``) and written out one
row at a time: both the CSV and the workbook are generators the response streams (the workbook
by ``consult.xlsx_stream``: inline strings, a zip written as it goes). Neither holds all rows in
memory. The themes of each comment come from correlated subqueries, so each row is complete as
it is read.

Text that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a
carriage return) is never run: in the CSV it is prefixed with an apostrophe; in the .xlsx it is
a text cell with Excel's quote prefix, so it shows exactly as written.

Withdrawn comments are left out: they are their authors' to take back. Times are Swedish
local time, as everywhere else in the app.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from flask_babel import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from .. import clock, labels, xlsx_stream
from ..analysis.board import chapter_of, round_sections
from ..analysis.services import get_round, latest_result
from ..models import (
    AnalysedComment,
    CampaignGroup,
    Comment,
    CommentStatus,
    Event,
    EventSession,
    Origin,
    Paragraph,
    Section,
    Theme,
    ThemeAssignment,
    User,
)
from .labels import RESPONSE_LABELS, STATUS_LABELS

BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
THEME_SEPARATOR = "; "


def looks_like_formula(value) -> bool:
    """Return True for text a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def neutralise(value):
    """Return ``value`` safe for a CSV cell: text that looks like a formula is quoted."""
    if looks_like_formula(value):
        return "'" + value
    return value


def headers() -> list[str]:
    """Return the column names of the comment exports, translated."""
    return [
        _("Comment"),
        _("Written"),
        _("Reply to"),
        _("Section"),
        _("Paragraph"),
        _("Kind"),
        _("Stance"),
        _("Stakeholder category"),
        _("Organisation"),
        _("Text"),
        _("Proposed wording"),
        _("Themes (model)"),
        _("Themes (staff)"),
        _("Campaign"),
        _("Moderation state"),
        _("Origin"),
    ]


def _themes(source: Origin):
    """A correlated subquery: the names of a comment's current themes from ``source``."""
    tag = aliased(ThemeAssignment)
    theme = aliased(Theme)
    return (
        select(func.aggregate_strings(theme.name, THEME_SEPARATOR))
        .select_from(tag)
        .join(theme, theme.id == tag.theme_id)
        .where(
            tag.comment_id == Comment.id,
            tag.removed_at.is_(None),
            tag.source == source,
            theme.retired_at.is_(None),
        )
        .scalar_subquery()
    )


def _query(round_id: int, analysis_id: int | None, places: dict[int, int] | None = None):
    """Plain columns, not ORM objects: 100,000 rows are read in seconds, not tens of them.

    In the order of the comments' ids; given ``places`` (the place of each section's chapter in
    the draft), by chapter first (comments on no section, or on one not in ``places``, first).
    """
    section = func.coalesce(Paragraph.section_id, Comment.section_id)
    order = [case(places, value=section, else_=-1)] if places else []
    query = (
        select(
            Comment.id,
            Comment.created_at,
            Comment.parent_id,
            section,
            Paragraph.number,
            Comment.kind,
            Comment.stance,
            Comment.author_category,
            Comment.author_organisation_name,
            Comment.body,
            Comment.proposed_text,
            _themes(Origin.MODEL),
            _themes(Origin.STAFF),
            CampaignGroup.id,
            CampaignGroup.size,
            Comment.status,
            Event.title,
            EventSession.title,
        )
        .outerjoin(Paragraph, Paragraph.id == Comment.paragraph_id)
        .outerjoin(Event, Event.id == Comment.event_id)
        .outerjoin(EventSession, EventSession.id == Comment.event_session_id)
        .outerjoin(
            AnalysedComment,
            and_(
                AnalysedComment.comment_id == Comment.id,
                AnalysedComment.analysis_id == (analysis_id if analysis_id is not None else -1),
            ),
        )
        .outerjoin(CampaignGroup, CampaignGroup.id == AnalysedComment.campaign_id)
        .where(Comment.round_id == round_id, Comment.status != CommentStatus.WITHDRAWN)
        .order_by(*order, Comment.id)
    )
    return query.execution_options(yield_per=BATCH)


@dataclass
class _Texts:
    """The labels of a row's codes, translated once per export rather than once per cell."""

    kinds: dict
    stances: dict
    categories: dict
    statuses: dict
    campaign: str
    sections: dict[int | None, str]

    @classmethod
    def of(cls, sections: dict[int, Section]) -> _Texts:
        def translated(labels_: dict) -> dict:
            return {key: str(label) for key, label in labels_.items()}

        headings = {None: ""}
        headings.update((i, f"{s.number} {s.heading}".strip()) for i, s in sections.items())
        return cls(
            kinds=translated(labels.KIND_LABELS),
            stances=translated(labels.STANCE_LABELS) | {None: ""},
            categories=translated(labels.CATEGORY_LABELS),
            statuses=translated(labels.STATUS_LABELS),
            # Without variables gettext returns the template, filled in below per campaign.
            campaign=_("Campaign %(id)s (%(size)s comments)"),
            sections=headings,
        )


def rows(session: Session, user: User | None, round_id: int) -> Iterator[tuple[object, list]]:
    """Return an iterator of (chapter, cells) for every comment of the round but the withdrawn.

    The cells are as written; the CSV and the workbook each make formula-like text safe.

    Access is checked at once, not when the first row is read.
    """
    round_ = get_round(session, user, round_id)
    # Read now: a streamed response reads the rows after the request's session was closed
    # (detached objects keep what they loaded, but cannot load more).
    sections = round_sections(session, round_)
    analysis = latest_result(session, round_id)
    query = _query(round_id, analysis.id if analysis else None)
    return _rows(session, sections, _Texts.of(sections), query)


def _rows(session: Session, sections, texts: _Texts, query) -> Iterator[tuple[object, list]]:
    """Run ``query`` and yield (chapter, cells) per comment; the cursor is closed when the
    iterator ends or is closed."""
    chapter = chapter_of(sections)
    with session.execute(query) as result:
        for (
            id_,
            created_at,
            parent_id,
            section_id,
            paragraph,
            kind,
            stance,
            category,
            organisation,
            body,
            proposed,
            model,
            staff,
            campaign,
            size,
            status,
            event,
            event_session,
        ) in result:
            cells = [
                id_,
                clock.to_local(created_at).replace(microsecond=0),
                parent_id,
                texts.sections.get(section_id, ""),
                paragraph or "",
                texts.kinds[kind],
                texts.stances[stance],
                texts.categories[category],
                organisation or "",
                body,
                proposed or "",
                model or "",
                staff or "",
                texts.campaign % {"id": campaign, "size": size} if campaign else "",
                texts.statuses[status],
                ", ".join(part for part in (event, event_session) if part),
            ]
            yield chapter(section_id), cells


# The two CSV variants: the standard comma-separated file, and one for Excel set to Swedish
# (or another language whose decimal mark is a comma), which splits columns on semicolons.
CSV_DELIMITERS = {"standard": ",", "excel": ";"}


def csv_lines(
    session: Session, user: User | None, round_id: int, *, variant: str = "standard"
) -> Iterator[str]:
    """Yield the CSV export line by line, UTF-8 with a byte-order mark (so Excel reads å, ä, ö).

    ``variant`` "standard" separates columns with commas, "excel" with semicolons.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITERS[variant])

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    generated = rows(session, user, round_id)  # checks access before the response starts

    def lines() -> Iterator[str]:
        try:
            writer.writerow(headers())
            yield "\ufeff" + take()
            for _chapter, cells in generated:
                writer.writerow(["" if c is None else neutralise(c) for c in cells])
                yield take()
        finally:
            session.close()  # the request's teardown ran before the stream was read

    return lines()


def _sheet_title(section: Section | None, used: set[str], whole: str) -> str:
    """A sheet name Excel takes: the chapter's number and heading (``whole`` for comments on
    the draft as a whole), without ``[]:*?/\\``, at most 31 characters, unique in ``used``."""
    base = f"{section.number} {section.heading}" if section else whole
    for char in "[]:*?/\\":
        base = base.replace(char, " ")
    title, n = base[:31].strip() or "-", 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)].strip() + suffix, n + 1
    used.add(title.lower())
    return title


def xlsx_chunks(session: Session, user: User | None, round_id: int) -> Iterator[bytes]:
    """Return the workbook's bytes as an iterator that reads the comments as it goes.

    One sheet with all comments in the order they came, then one per chapter of the draft in
    the draft's order (the draft as a whole first), each only if it has comments. The sheets
    are written one after the other, so the comments are read twice: by id for the first
    sheet, then by chapter and id for the others, each in batches over a server-side cursor.

    Access is checked at once on ``session``. The comments are read on a session of the
    stream's own (one snapshot of the round: repeatable read on PostgreSQL, SQLite's
    transaction is one already), because the request's session is closed when the route
    returns, before the body is read. The first bytes are made here, after the first comment
    was read, so a failure before that is an error page, not a cut download; after that a
    failure cuts the download (the archive has no end: the browser reports it failed). The
    stream's session is closed when the iterator ends or is closed (a client that went away).
    """
    round_ = get_round(session, user, round_id)
    sections = round_sections(session, round_)
    texts = _Texts.of(sections)
    analysis = latest_result(session, round_id)
    analysis_id = analysis.id if analysis else None
    heading, whole, used = headers(), _("The draft as a whole"), set()
    everything = _sheet_title_all(used)
    places = _chapter_places(sections)
    reader = _snapshot_session(session)

    def cells(rows_: Iterator[tuple[object, list]]) -> Iterator[list]:
        return (row for _chapter, row in rows_)

    opened: list[Iterator] = []  # closed (their cursors with them) before the session

    def read(places_: dict[int, int] | None = None) -> Iterator[tuple[object, list]]:
        rows_ = _rows(reader, sections, texts, _query(round_id, analysis_id, places_))
        opened.append(rows_)
        return rows_

    def sheets() -> Iterator[xlsx_stream.Sheet]:
        yield xlsx_stream.Sheet(everything, heading, cells(read()))
        for section, group in groupby(read(places), key=lambda row: row[0]):
            yield xlsx_stream.Sheet(_sheet_title(section, used, whole), heading, cells(group))

    def stream() -> Iterator[bytes]:
        try:
            yield from xlsx_stream.stream(sheets(), quoted=looks_like_formula)
        finally:
            # Also when the client went away and the server closed the stream.
            for rows_ in opened:
                rows_.close()
            reader.close()

    return _started(stream())


def _chapter_places(sections: dict[int, Section]) -> dict[int, int]:
    """The place in the draft of each section's chapter, by section id."""
    chapter = chapter_of(sections)
    chapters = sorted(
        (s for s in sections.values() if s.parent_id is None), key=lambda s: (s.position, s.id)
    )
    place = {c.id: n for n, c in enumerate(chapters)}
    return {section_id: place[chapter(section_id).id] for section_id in sections}


def _snapshot_session(session: Session) -> Session:
    """A new session on ``session``'s database whose reads all see one snapshot."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":  # SQLite's transactions are one snapshot already
        bind = bind.execution_options(isolation_level="REPEATABLE READ")
    return Session(bind=bind)


def _started(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Run ``chunks`` to its first item now (its failures are raised here), and return an
    iterator of all its items that closes it when closed."""
    first = next(chunks)

    def rest() -> Iterator[bytes]:
        try:
            yield first
            yield from chunks
        finally:
            chunks.close()

    return rest()


def xlsx_cells(sheet, values: list) -> list:
    """Return a row for an openpyxl write-only sheet (the attendee list, the actions' export):
    characters XML cannot hold are left out, and text a spreadsheet would run as a formula
    becomes a text cell with the quote prefix (shown as written, never evaluated, also after
    an edit)."""
    out = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if looks_like_formula(value):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cell.quotePrefix = True
                value = cell
        out.append(value)
    return out


def _sheet_title_all(used: set[str]) -> str:
    title = _("All comments")[:31]
    used.add(title.lower())
    return title


def themes_json(session: Session, user: User | None, round_id: int) -> str:
    """Return the round's current themes with their figures, summaries and responses as JSON."""
    from .services import overview

    result = overview(session, user, round_id)
    themes = []
    for row in result.themes:
        entry = row.entry
        themes.append(
            {
                "id": row.theme.id,
                "name": row.theme.name,
                "description": row.theme.description,
                "keywords": json.loads(row.theme.keywords or "[]"),
                "origin": row.theme.origin.value,
                "comments": row.comments,
                "summary": entry.summary if entry else "",
                "response": entry.response.value if entry and entry.response else None,
                "response_label": str(RESPONSE_LABELS[entry.response])
                if entry and entry.response
                else None,
                "motivation": entry.motivation if entry else "",
                "status": (entry.status if entry else "not_started"),
                "status_label": str(STATUS_LABELS[entry.status if entry else "not_started"]),
            }
        )
    paragraphs = [
        {
            "paragraph": row.paragraph.number,
            "comments": row.comments,
            "summary": row.entry.summary,
            "response": row.entry.response.value if row.entry.response else None,
            "motivation": row.entry.motivation,
            "status": row.entry.status.value,
        }
        for row in result.paragraphs
        if row.entry is not None
    ]
    round_ = result.round
    document = {
        "consultation": round_.consultation.title,
        "round": round_.number,
        "themes": themes,
        "paragraphs": paragraphs,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)
