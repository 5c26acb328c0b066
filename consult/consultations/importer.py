"""Import a draft from Markdown: headings become sections, blocks become paragraphs."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from .. import sanitise
from ..models import Document, Paragraph, Round, Section

MAX_SOURCE_CHARS = 1_000_000
# The longest text one paragraph of the draft may be given when it is fixed by hand.
MAX_BLOCK_CHARS = 50_000


class DraftError(ValueError):
    """The draft cannot be imported; the message says why."""


@dataclass
class _SectionDraft:
    level: int
    number: str
    parent: _SectionDraft | None
    children: int = 0
    record: Section | None = field(default=None, repr=False)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:30] or "avsnitt"


def _blocks(tokens):
    """Yield ``("heading", level, text)`` and ``("block", tokens)`` for top-level blocks."""
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type == "heading_open":
            yield "heading", int(token.tag[1]), tokens[i + 1].content.strip()
            i += 3
            continue
        if token.nesting == 1:
            depth, j = 0, i
            while True:
                depth += tokens[j].nesting
                if depth == 0 and tokens[j].level == token.level:
                    break
                j += 1
            yield "block", tokens[i : j + 1]
            i = j + 1
            continue
        if token.type != "hr":
            yield "block", [token]
        i += 1


def import_markdown(
    session: Session,
    round_: Round,
    markdown: str,
    *,
    title: str,
    new_key: Callable[[], str] = lambda: secrets.token_hex(6),
) -> Document:
    """Add ``markdown`` as the draft of ``round_`` (flushed, not committed) and return it."""
    if len(markdown) > MAX_SOURCE_CHARS:
        raise DraftError("The draft is too long.")
    try:
        markdown = sanitise.normalise_text(markdown)
        tokens = sanitise.parse_document(markdown)
    except sanitise.UnsafeText as error:
        raise DraftError("The draft is not readable text.") from error

    document = Document(round=round_, title=title, source=markdown)
    session.add(document)
    stack: list[_SectionDraft] = []
    top_count = 0
    anchors: set[str] = set()
    paragraph_count = 0
    position = 0
    for kind, *rest in _blocks(tokens):
        position += 1
        if kind == "heading":
            level, heading = rest
            while stack and stack[-1].level >= level:
                stack.pop()
            parent = stack[-1] if stack else None
            if parent is None:
                top_count += 1
                number = str(top_count)
            else:
                parent.children += 1
                number = f"{parent.number}.{parent.children}"
            anchor = _unique(f"s-{_slug(heading)}", anchors)
            draft = _SectionDraft(level, number, parent)
            draft.record = Section(
                document=document,
                parent=parent.record if parent else None,
                position=position,
                level=len(stack) + 1,
                number=number,
                heading=sanitise.plain_text(heading)[:300],
                anchor=anchor,
            )
            session.add(draft.record)
            stack.append(draft)
            continue
        (block_tokens,) = rest
        html = sanitise.document_html(block_tokens)
        text = sanitise.plain_text(html)
        if not text:
            continue
        paragraph_count += 1
        key = new_key()
        session.add(
            Paragraph(
                document=document,
                section=stack[-1].record if stack else None,
                position=position,
                number=str(paragraph_count),
                key=key,
                anchor=f"p-{key}",
                html=html,
                text=text,
            )
        )
    if paragraph_count == 0:
        raise DraftError("The draft has no paragraphs.")
    session.flush()
    return document


def render_block(markdown: str) -> tuple[str, str]:
    """Return the sanitised HTML and plain text of one block of draft Markdown.

    Used to fix a paragraph's text: the result is exactly what the importer would store.
    Raises DraftError unless ``markdown`` is one paragraph, list, table or quote with text.
    """
    if len(markdown) > MAX_BLOCK_CHARS:
        raise DraftError("The text is too long.")
    try:
        tokens = sanitise.parse_document(sanitise.normalise_text(markdown))
    except sanitise.UnsafeText as error:
        raise DraftError("The draft is not readable text.") from error
    rendered = []
    for kind, *rest in _blocks(tokens):
        if kind == "heading":
            raise DraftError("A paragraph cannot hold a heading.")
        html = sanitise.document_html(rest[0])
        text = sanitise.plain_text(html)
        if text:
            rendered.append((html, text))
    if not rendered:
        raise DraftError("The text is empty.")
    if len(rendered) > 1:
        raise DraftError("The text holds more than one paragraph.")
    return rendered[0]


def _unique(anchor: str, taken: set[str]) -> str:
    candidate, n = anchor, 1
    while candidate in taken:
        n += 1
        candidate = f"{anchor}-{n}"
    taken.add(candidate)
    return candidate
