"""A round's draft as an uploaded file: reading a .md or .docx upload, importing it, counting it.

Plain functions used by the round services; the permission checks are theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..consultations import versions
from ..consultations.importer import DraftError, import_markdown
from ..errors import Invalid
from ..models import Document, Paragraph, Round, Section
from . import docx

MAX_DRAFT_BYTES = 10 * 1024 * 1024
DRAFT_SUFFIXES = (".md", ".markdown", ".docx")
# What the importer's refusals mean, as message keys.
_DRAFT_ERRORS = {
    "The draft has no paragraphs.": "empty",
    "The draft is too long.": "too_long",
    "The draft is not readable text.": "unreadable",
}


@dataclass
class DraftFile:
    """An uploaded draft: its file name and a binary stream of its content."""

    filename: str
    stream: BinaryIO


def read_draft(draft: DraftFile | None) -> str:
    """Return the Markdown of an uploaded .md or .docx draft, or raise Invalid."""
    if draft is None or not draft.filename:
        raise Invalid({"draft": "required"})
    name = draft.filename.lower()
    suffix = next((s for s in DRAFT_SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        raise Invalid({"draft": "file_type"})
    # Read at most one byte past the limit: a larger file is never read whole.
    data = draft.stream.read(MAX_DRAFT_BYTES + 1)
    if len(data) > MAX_DRAFT_BYTES:
        raise Invalid({"draft": "too_large"})
    if not data.strip():
        raise Invalid({"draft": "empty"})
    if suffix == ".docx":
        try:
            return docx.to_markdown(data)
        except docx.DocxError as error:
            raise Invalid({"draft": error.key}) from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid({"draft": "encoding"}) from error


def import_draft(session: Session, round_: Round, markdown: str) -> Document:
    """Import the draft and link its paragraphs to the previous round's draft, if any."""
    try:
        document = import_markdown(session, round_, markdown, title=round_.consultation.title)
    except DraftError as error:
        raise Invalid({"draft": _DRAFT_ERRORS.get(str(error), "unreadable")}) from error
    versions.link_to_previous(session, round_)
    return document


def draft_counts(session: Session, document: Document | None) -> dict:
    """Count the sections and paragraphs of ``document`` (0 and 0 without one)."""
    document_id = document.id if document is not None else None
    return {
        "sections": session.scalar(
            select(func.count()).select_from(Section).where(Section.document_id == document_id)
        ),
        "paragraphs": session.scalar(
            select(func.count()).select_from(Paragraph).where(Paragraph.document_id == document_id)
        ),
    }


def continued_later(session: Session, document: Document) -> bool:
    """True when a later round's draft is linked to paragraphs of ``document``."""
    own = select(Paragraph.id).where(Paragraph.document_id == document.id)
    return (
        session.scalar(
            select(func.count()).select_from(Paragraph).where(Paragraph.previous_id.in_(own))
        )
        > 0
    )
