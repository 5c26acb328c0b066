"""The synthesis report of a round: its figures, the themes with their summaries, responses
and quotations, and the responses per paragraph; as data for the printable page, and as a
Word document (python-docx)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx import Document
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import comment_totals, labels
from ..analysis import board as boards
from ..analysis.charts import share_bars
from ..models import (
    Category,
    Comment,
    CommentStatus,
    Paragraph,
    RetiredReason,
    Round,
    Synthesis,
    Theme,
    User,
)
from .labels import RESPONSE_LABELS, STATUS_LABELS
from .services import Row, overview

QUOTATIONS = 3


@dataclass
class ThemeSection:
    row: Row
    card: boards.ThemeCard | None


@dataclass
class RetiredSection:
    """A theme staff deleted or split, with the synthesis written for it before: kept in the
    report so that no summary or response disappears unseen."""

    theme: Theme
    entry: Synthesis


@dataclass
class Report:
    round: Round
    comments: int
    organisations: int
    categories: list[tuple[Category, int]]
    chapters: list[tuple[str, int]]
    themes: list[ThemeSection]
    paragraphs: list[Row]
    retired: list[RetiredSection] = field(default_factory=list)

    def theme_shares(self) -> list[tuple[str, int, int]]:
        """Return (theme name, comments, percent of the round's comments) per theme.

        A table rather than the board's SVG chart: theme names are too long for its labels.
        """
        total = self.comments or 1
        return [
            (t.row.theme.name, t.row.comments, round(100 * t.row.comments / total))
            for t in self.themes
        ]

    def category_chart(self):
        """Return the stakeholder categories' shares of the comments as an SVG bar chart."""
        rows = [(str(labels.CATEGORY_LABELS[c]), n) for c, n in self.categories]
        return share_bars(rows, title=_("Comments per stakeholder category"))


def build(session: Session, user: User | None, round_id: int) -> Report:
    """Return the report of round ``round_id`` for a staff member."""
    result = overview(session, user, round_id)
    cards = {c.theme.id: c for c in boards.build(session, user, round_id).themes}
    published = (
        select(Comment)
        .where(
            Comment.round_id == round_id,
            Comment.status == CommentStatus.PUBLISHED,
            Comment.parent_id.is_(None),
        )
        .subquery()
    )
    comments = comment_totals.for_round(session, round_id).comments
    organisations = session.scalar(
        select(func.count(func.distinct(published.c.author_organisation_id)))
    )
    categories = session.execute(
        select(published.c.author_category, func.count())
        .group_by(published.c.author_category)
        .order_by(func.count().desc())
    ).all()
    sections = boards.round_sections(session, result.round)
    chapter = boards.chapter_of(sections)
    by_chapter: dict = {}
    section_of = func.coalesce(Paragraph.section_id, published.c.section_id)
    for section_id, count in session.execute(
        select(section_of, func.count())
        .select_from(published)
        .outerjoin(Paragraph, Paragraph.id == published.c.paragraph_id)
        .group_by(section_of)
    ):
        top = chapter(section_id)
        by_chapter[top] = by_chapter.get(top, 0) + count
    chapters = [
        (f"{c.number} {c.heading}" if c else _("The draft as a whole"), n)
        for c, n in sorted(by_chapter.items(), key=lambda item: item[0].position if item[0] else -1)
    ]
    return Report(
        round=result.round,
        comments=comments,
        organisations=organisations,
        categories=[(Category(c), n) for c, n in categories],
        chapters=chapters,
        themes=[ThemeSection(row, cards.get(row.theme.id)) for row in result.themes],
        paragraphs=[row for row in result.paragraphs if row.entry is not None],
        retired=retired_sections(session, round_id),
    )


def retired_sections(session: Session, round_id: int) -> list[RetiredSection]:
    """Return the round's deleted and split themes whose synthesis has any text, by name.

    (A merged theme's synthesis went to the theme it was merged into.)
    """
    rows = session.execute(
        select(Theme, Synthesis)
        .join(Synthesis, Synthesis.theme_id == Theme.id)
        .where(
            Theme.round_id == round_id,
            Theme.retired_reason.in_([RetiredReason.DELETED, RetiredReason.SPLIT]),
        )
        .order_by(Theme.name, Theme.id)
    )
    return [
        RetiredSection(theme, entry)
        for theme, entry in rows
        if entry.summary or entry.motivation or entry.response
    ]


def retired_note(theme: Theme) -> str:
    """Say why a theme of the report's retired section is no longer on the board."""
    if theme.retired_reason == RetiredReason.SPLIT:
        return _("Split into other themes; its synthesis is kept here.")
    return _("Deleted from the board; its synthesis is kept here.")


def _response_line(entry) -> str:
    if entry is None or entry.response is None:
        return _("No response yet")
    return str(RESPONSE_LABELS[entry.response])


def docx_bytes(report: Report) -> bytes:
    """Return the report as a Word document."""
    round_ = report.round
    document = Document()
    document.add_heading(_("Synthesis of the comments"), level=0)
    document.add_paragraph(f"{round_.consultation.title} – {round_.title}")

    document.add_heading(_("The round in figures"), level=1)
    figures = document.add_table(rows=0, cols=2)
    for label, value in [
        (_("Comments"), report.comments),
        (_("Organisations"), report.organisations),
        (_("Themes"), len(report.themes)),
    ]:
        cells = figures.add_row().cells
        cells[0].text, cells[1].text = label, str(value)
    _table(
        document,
        _("Comments per stakeholder category"),
        [(str(labels.CATEGORY_LABELS[c]), n) for c, n in report.categories],
        report.comments,
    )
    _table(document, _("Comments per section"), report.chapters, report.comments)
    _table(
        document,
        _("Comments per theme"),
        [(t.row.theme.name, t.row.comments) for t in report.themes],
        report.comments,
    )

    document.add_heading(_("Themes"), level=1)
    for section in report.themes:
        row, entry = section.row, section.row.entry
        document.add_heading(row.theme.name, level=2)
        document.add_paragraph(
            ngettext("%(num)s comment", "%(num)s comments", row.comments)
            + " · "
            + str(STATUS_LABELS[entry.status if entry else "not_started"])
        )
        document.add_paragraph(entry.summary if entry and entry.summary else _("No summary yet."))
        response = document.add_paragraph()
        response.add_run(_("Response") + ": ").bold = True
        response.add_run(_response_line(entry))
        if entry and entry.motivation:
            document.add_paragraph(entry.motivation)
        for example in (section.card.examples if section.card else [])[:QUOTATIONS]:
            comment = example.comment
            quote = document.add_paragraph(style="Quote")
            quote.add_run(f"”{comment.body}”")
            quote.add_run(f" – {labels.CATEGORY_LABELS[comment.author_category]}").italic = True

    if report.paragraphs:
        document.add_heading(_("Responses per paragraph"), level=1)
        for row in report.paragraphs:
            entry = row.entry
            document.add_heading(_("Paragraph %(number)s", number=row.paragraph.number), level=2)
            document.add_paragraph(row.paragraph.text, style="Quote")
            if entry.summary:
                document.add_paragraph(entry.summary)
            response = document.add_paragraph()
            response.add_run(_("Response") + ": ").bold = True
            response.add_run(_response_line(entry))
            if entry.motivation:
                document.add_paragraph(entry.motivation)

    if report.retired:
        document.add_heading(_("Themes no longer on the board"), level=1)
        for section in report.retired:
            entry = section.entry
            document.add_heading(section.theme.name, level=2)
            document.add_paragraph(retired_note(section.theme))
            if entry.summary:
                document.add_paragraph(entry.summary)
            response = document.add_paragraph()
            response.add_run(_("Response") + ": ").bold = True
            response.add_run(_response_line(entry))
            if entry.motivation:
                document.add_paragraph(entry.motivation)

    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document, heading: str, rows: list[tuple[str, int]], total: int) -> None:
    document.add_heading(heading, level=2)
    table = document.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    header = table.rows[0].cells
    header[0].text, header[1].text, header[2].text = "", _("Comments"), _("Share")
    for label, count in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, str(count)
        cells[2].text = f"{round(100 * count / total) if total else 0} %"
