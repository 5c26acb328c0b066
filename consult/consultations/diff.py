"""Word-level differences between two texts: a proposed wording, or two versions of a paragraph."""

from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

_TOKENS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str, *, removed_cue: str = "", added_cue: str = "") -> Markup:
    """Return HTML of ``new`` against ``old``: removed words in <del>, added words in <ins>.

    ``removed_cue`` and ``added_cue``, when given, open each <del> and <ins> as visually
    hidden text, so that a screen reader says what changed and not only the words.
    """
    a = _TOKENS.findall(old)
    b = _TOKENS.findall(new)
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[a1:a2])))
            continue
        if op in ("delete", "replace"):
            parts.append(Markup("<del>{}{}</del>").format(_cue(removed_cue), "".join(a[a1:a2])))
        if op in ("insert", "replace"):
            parts.append(Markup("<ins>{}{}</ins>").format(_cue(added_cue), "".join(b[b1:b2])))
    return Markup("").join(parts)


def _cue(text: str) -> Markup:
    if not text:
        return Markup("")
    return Markup('<span class="visually-hidden">{} </span>').format(text)
