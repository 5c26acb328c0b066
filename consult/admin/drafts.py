"""Fixing a round's draft before it opens: a paragraph's text, its place, deleting it, and
section headings.

Only administrators, and only while the round is a draft or scheduled: once participants can
comment, the text they comment on stays as it is. Each change is audited on the round (so it
shows in the round's history) in the transaction of the change. An edited paragraph goes
through the importer's path, so it is sanitised exactly like an imported one. Moving or
deleting renumbers the draft, as the importer would have numbered it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from .. import audit
from ..consultations import versions
from ..consultations.importer import DraftError, render_block
from ..errors import Invalid, NotFound, WrongState
from ..models import Comment, Paragraph, Round, Section, User
from ..permissions import require_admin
from .rounds import is_editable, locked_round

MAX_HEADING_CHARS = 300
_TEXT_ERRORS = {
    "The text is empty.": "empty_text",
    "The text is too long.": "too_long",
    "A paragraph cannot hold a heading.": "heading_in_text",
    "The text holds more than one paragraph.": "one_block",
}


def _editable(session, actor: User, round_id: int, now: datetime) -> Round:
    """Lock the round and check that its draft may still be changed."""
    require_admin(actor)
    round_ = locked_round(session, round_id)
    if not is_editable(round_, now):
        raise WrongState("draft_locked")
    if round_.document is None:
        raise NotFound()
    return round_


def draft_is_editable(round_: Round, now: datetime) -> bool:
    """True while the draft of ``round_`` may be fixed (before the round opens)."""
    return round_.document is not None and is_editable(round_, now)


def _paragraph(session, round_: Round, paragraph_id: int) -> Paragraph:
    paragraph = session.get(Paragraph, paragraph_id)
    if paragraph is None or paragraph.document_id != round_.document.id:
        raise NotFound()
    return paragraph


def _section(session, round_: Round, section_id: int) -> Section:
    section = session.get(Section, section_id)
    if section is None or section.document_id != round_.document.id:
        raise NotFound()
    return section


def get_paragraph(session, actor: User, round_: Round, paragraph_id: int) -> Paragraph:
    """Return a paragraph of the round's draft, or raise NotFound."""
    require_admin(actor)
    if round_.document is None:
        raise NotFound()
    return _paragraph(session, round_, paragraph_id)


def get_section(session, actor: User, round_: Round, section_id: int) -> Section:
    """Return a section of the round's draft, or raise NotFound."""
    require_admin(actor)
    if round_.document is None:
        raise NotFound()
    return _section(session, round_, section_id)


def _where(paragraph: Paragraph) -> dict:
    section = paragraph.section
    return {
        "paragraph": paragraph.number,
        "section": f"{section.number} {section.heading}" if section else "–",
    }


def blocks(session, round_: Round) -> list[Section | Paragraph]:
    """Return the draft's headings and paragraphs in reading order."""
    document_id = round_.document.id
    sections = session.scalars(select(Section).where(Section.document_id == document_id))
    paragraphs = session.scalars(select(Paragraph).where(Paragraph.document_id == document_id))
    # A heading before the paragraphs that share its position (there are none, but be stable).
    return sorted(
        [*sections, *paragraphs],
        key=lambda b: (b.position, isinstance(b, Paragraph), b.id),
    )


@dataclass
class EditorBlock:
    """A heading or a paragraph of the draft, and whether the paragraph may be deleted."""

    block: Section | Paragraph
    deletable: bool = False


def _deletion_refusals(session, blocks_: list[Section | Paragraph]) -> dict[int, str]:
    """Why each paragraph may not be deleted, by paragraph id; the others may be.

    A paragraph with comments, or continued by a later round's draft, stays; so does the
    draft's last paragraph.
    """
    ids = [b.id for b in blocks_ if isinstance(b, Paragraph)]
    refusals = {}
    if len(ids) == 1:
        refusals[ids[0]] = "last_paragraph"
    for paragraph_id in session.scalars(
        select(Paragraph.previous_id).where(Paragraph.previous_id.in_(ids))
    ):
        refusals[paragraph_id] = "paragraph_continued"
    for paragraph_id in session.scalars(
        select(Comment.paragraph_id).where(Comment.paragraph_id.in_(ids)).distinct()
    ):
        refusals[paragraph_id] = "paragraph_has_comments"
    return refusals


def editor_blocks(session, actor: User, round_: Round) -> list[EditorBlock]:
    """The draft's headings and paragraphs in reading order, each paragraph with whether it
    may be deleted (the same rule ``delete_paragraph`` applies)."""
    require_admin(actor)
    if round_.document is None:
        raise NotFound()
    blocks_ = blocks(session, round_)
    refused = _deletion_refusals(session, blocks_)
    return [EditorBlock(b, isinstance(b, Paragraph) and b.id not in refused) for b in blocks_]


def _renumber(blocks: list[Section | Paragraph]) -> None:
    number = 0
    for position, block in enumerate(blocks, 1):
        block.position = position
        if isinstance(block, Paragraph):
            number += 1
            block.number = str(number)


def edit_paragraph(
    session, actor: User, round_id: int, paragraph_id: int, *, markdown: str, now: datetime
) -> Paragraph:
    """Replace a paragraph's text with ``markdown`` (one paragraph, list, table or quote)."""
    round_ = _editable(session, actor, round_id, now)
    paragraph = _paragraph(session, round_, paragraph_id)
    try:
        html, text = render_block(markdown or "")
    except DraftError as error:
        raise Invalid({"text": _TEXT_ERRORS.get(str(error), "unreadable")}) from error
    before = {**_where(paragraph), "text": paragraph.text}
    paragraph.html, paragraph.text = html, text
    if paragraph.change is not None:
        previous = session.get(Paragraph, paragraph.previous_id) if paragraph.previous_id else None
        paragraph.change = versions.change_after_edit(
            paragraph, previous.text if previous else None
        )
    audit.record(
        session,
        actor,
        "draft.edit_paragraph",
        round_,
        before,
        {**_where(paragraph), "text": text},
        now=now,
    )
    session.commit()
    return paragraph


def move_paragraph(
    session, actor: User, round_id: int, paragraph_id: int, *, direction: str, now: datetime
) -> Paragraph:
    """Move a paragraph one step up or down; at a heading it moves into the next section."""
    if direction not in ("up", "down"):
        raise Invalid({"direction": "choice"})
    round_ = _editable(session, actor, round_id, now)
    paragraph = _paragraph(session, round_, paragraph_id)
    order = blocks(session, round_)
    before = _where(paragraph)
    index = order.index(paragraph)
    neighbour = index - 1 if direction == "up" else index + 1
    if not 0 <= neighbour < len(order):
        raise WrongState("first" if direction == "up" else "last")
    other = order[neighbour]
    order[index], order[neighbour] = other, paragraph
    if isinstance(other, Section):
        if direction == "down":
            # Past the heading: the first paragraph of that section.
            paragraph.section = other
        else:
            # Before the heading: the end of whatever comes before it.
            earlier = order[neighbour - 1] if neighbour > 0 else None
            if earlier is None:
                paragraph.section = None
            elif isinstance(earlier, Section):
                paragraph.section = earlier
            else:
                paragraph.section = earlier.section
    _renumber(order)
    audit.record(session, actor, "draft.move_paragraph", round_, before, _where(paragraph), now=now)
    session.commit()
    return paragraph


def delete_paragraph(
    session, actor: User, round_id: int, paragraph_id: int, *, now: datetime
) -> None:
    """Delete a paragraph nobody has commented on; its text stays in the audit log."""
    round_ = _editable(session, actor, round_id, now)
    paragraph = _paragraph(session, round_, paragraph_id)
    blocks_ = blocks(session, round_)
    refusal = _deletion_refusals(session, blocks_).get(paragraph.id)
    if refusal is not None:
        raise WrongState(refusal)
    before = {**_where(paragraph), "text": paragraph.text}
    audit.record(session, actor, "draft.delete_paragraph", round_, before, None, now=now)
    blocks_.remove(paragraph)
    session.delete(paragraph)
    _renumber(blocks_)
    session.commit()


def edit_heading(
    session, actor: User, round_id: int, section_id: int, *, heading: str, now: datetime
) -> Section:
    """Change a section's heading (plain text); its anchor stays, so links keep working."""
    round_ = _editable(session, actor, round_id, now)
    section = _section(session, round_, section_id)
    cleaned = " ".join((heading or "").split())
    if not cleaned:
        raise Invalid({"heading": "required"})
    if len(cleaned) > MAX_HEADING_CHARS:
        raise Invalid({"heading": "too_long"})
    if any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise Invalid({"heading": "unreadable"})
    before = {"section": section.number, "heading": section.heading}
    section.heading = cleaned
    audit.record(
        session,
        actor,
        "draft.edit_heading",
        round_,
        before,
        {"section": section.number, "heading": cleaned},
        now=now,
    )
    session.commit()
    return section
