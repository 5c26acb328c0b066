"""The one place that turns user-written text into safe HTML.

Comments are written as light Markdown (paragraphs, line breaks, lists, emphasis, links);
drafts are imported Markdown with headings, lists and tables. Both are rendered by
markdown-it with raw HTML switched off, then cleaned against an allowlist, so a script tag
or event handler can never reach a page whatever the renderer does.
"""

from __future__ import annotations

import re
import unicodedata

import bleach
from bleach.linkifier import Linker
from markdown_it import MarkdownIt

COMMENT_TAGS = frozenset({"p", "br", "ul", "ol", "li", "em", "strong", "a"})
DOCUMENT_TAGS = COMMENT_TAGS | {
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "blockquote",
    "code",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
}
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
# Markdown nesting beyond this is not prose; refuse it rather than render it.
MAX_NESTING = 12

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_comment_md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})
_document_md = MarkdownIt("commonmark", {"html": False}).enable("table")


class UnsafeText(ValueError):
    """Raised for text that cannot be accepted at all (binary data, absurd nesting)."""


def normalise_text(text: str) -> str:
    """Return ``text`` in Unicode NFC with unified line endings, trimmed.

    Raises ``UnsafeText`` for control characters, which only binary data carries.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if _CONTROL_CHARS.search(text):
        raise UnsafeText("binary")
    return text.strip()


def _set_rel(attrs: dict, new: bool = False) -> dict:
    attrs[(None, "rel")] = LINK_REL
    return attrs


def _clean(html: str, tags: frozenset[str]) -> str:
    cleaned = bleach.clean(
        html,
        tags=tags,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return Linker(callbacks=[_set_rel], skip_tags={"code"}).linkify(cleaned)


def _check_nesting(tokens) -> None:
    for token in tokens:
        if token.level > MAX_NESTING:
            raise UnsafeText("nesting")


def comment_html(text: str) -> str:
    """Render a comment's Markdown ``text`` to sanitised HTML."""
    tokens = _comment_md.parse(text)
    _check_nesting(tokens)
    return _clean(_comment_md.renderer.render(tokens, _comment_md.options, {}), COMMENT_TAGS)


def document_html(tokens) -> str:
    """Render a slice of draft Markdown tokens to sanitised HTML."""
    _check_nesting(tokens)
    return _clean(_document_md.renderer.render(tokens, _document_md.options, {}), DOCUMENT_TAGS)


def parse_document(markdown: str):
    """Parse draft Markdown into markdown-it block tokens."""
    tokens = _document_md.parse(markdown)
    _check_nesting(tokens)
    return tokens


def plain_text(html: str) -> str:
    """Return the text of sanitised ``html`` without tags, whitespace collapsed."""
    text = bleach.clean(html, tags=set(), strip=True)
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return " ".join(text.split())
