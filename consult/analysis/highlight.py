"""The words that tie a comment to its theme, marked where the comment says them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from markupsafe import Markup

from ..models import Theme

_TAG = re.compile(r"(<[^>]*>)")
# A word as the engine reads one (``nlp.naming``): letters and digits, inner hyphens.
_WORD = re.compile(r"[^\W_](?:[^\W_]|[-'](?=[^\W_]))*")


@dataclass
class Marked:
    """A comment's text with its theme's words marked, and which words those were."""

    html: Markup
    words: list[str]


def mark_terms(html: str, theme: Theme | None) -> Marked:
    """Return sanitised ``html`` with the words of ``theme``'s terms wrapped in ``<mark>``
    (in text only: never inside a tag or a character reference)."""
    wanted = set(json.loads(theme.terms or "[]")) if theme is not None else set()
    if not wanted:
        return Marked(Markup(html), [])
    # Each word as the comment writes it: in lower case if it ever does ("bredband" for
    # "Bredband … bredband"), else with its capital ("E45").
    found: dict[str, str] = {}

    def mark(match: re.Match) -> str:
        word = match.group()
        start = match.start()
        if word.lower() not in wanted or (start and match.string[start - 1] in "&#"):
            return word
        if word.lower() not in found or word.islower():
            found[word.lower()] = word
        return f"<mark>{word}</mark>"

    parts = _TAG.split(html)
    parts[::2] = [_WORD.sub(mark, text) for text in parts[::2]]
    return Marked(Markup("".join(parts)), list(found.values()))
