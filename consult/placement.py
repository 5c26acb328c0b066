"""Where in the draft a comment is: the one definition, for the board, the drill-down, the
synthesis and the working groups' access rules.

A comment on a paragraph is on the paragraph's section; a comment on a section (without a
paragraph, or on a paragraph outside any section) is on its own ``section_id``. The SQL form
needs ``Paragraph`` outer-joined on ``Comment.paragraph_id``; ``in_sections`` needs no join.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from .models import Comment, Paragraph

# The section a comment is on (outer-join Paragraph on Comment.paragraph_id first).
comment_section = func.coalesce(Paragraph.section_id, Comment.section_id)


def section_of(comment: Comment) -> int | None:
    """The section ``comment`` is on, as ``comment_section`` computes it in SQL."""
    paragraph = comment.paragraph
    if paragraph is not None and paragraph.section_id is not None:
        return paragraph.section_id
    return comment.section_id


def in_sections(sections: set[int]):
    """Return a condition: the (outer) comment lies in one of these sections, placed as
    ``comment_section`` places it, without joining its paragraph."""
    ids = list(sections)
    on_paragraphs = select(Paragraph.id).where(Paragraph.section_id.in_(ids))
    unplaced = select(Paragraph.id).where(Paragraph.section_id.is_(None))
    return or_(
        Comment.paragraph_id.in_(on_paragraphs),
        and_(
            or_(Comment.paragraph_id.is_(None), Comment.paragraph_id.in_(unplaced)),
            Comment.section_id.in_(ids),
        ),
    )
