"""Word-level differences between a paragraph and a proposed wording."""

from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> Markup:
    """Return HTML of ``new`` against ``old``: removed words in <del>, added words in <ins>."""
    a = _TOKENS.findall(old)
    b = _TOKENS.findall(new)
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[a1:a2])))
            continue
        if op in ("delete", "replace"):
            parts.append(Markup("<del>{}</del>").format("".join(a[a1:a2])))
        if op in ("insert", "replace"):
            parts.append(Markup("<ins>{}</ins>").format("".join(b[b1:b2])))
    return Markup("").join(parts)
