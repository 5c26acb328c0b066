"""What the thread controls of one draft page share, worked out once per page.

The draft page has a control per paragraph, per section and one for the whole draft (the
demo's draft: 67 paragraphs and their sections): each links to its thread, shows its comment
count (refreshed from its own address) and names its target in labels. Building those
addresses, translating those labels and formatting the counts once per page, rather than in
an include per control, keeps a rendering cheap: signed-in readers get a fresh one on every
visit (``caching.visitor_page`` keeps one for the others).

The labels are what ``_()`` and ``ngettext()`` give in a template (the translation as markup,
the values escaped into it), so the page reads the same.
"""

from __future__ import annotations

import re

from flask import url_for
from flask_babel import get_translations
from markupsafe import Markup

from ..models import Round

# A key that an address holds as it is (werkzeug quotes nothing of it).
PLAIN_KEY = re.compile(r"[A-Za-z0-9._~-]+")
PLACEHOLDER = "KEY"


class DraftControls:
    """The thread controls of one rendering of ``round_``'s draft page."""

    def __init__(self, round_: Round, counts: dict[str, int], can_write: bool, lang: Markup):
        self.round = round_
        self.counts = counts
        # The draft's lang attribute (empty when the page is in the draft's language).
        self.lang = lang
        # Whether the controls offer to write ("· Add a comment"): the round is open and
        # the reader may write in it.
        self.can_write = can_write
        # Looked up once: flask-babel finds the request's translations anew on every call.
        self._translations = t = get_translations()
        self._thread = self._split("consultations.thread")
        self._count = self._split("consultations.count")
        self._count_texts: dict[int, Markup] = {}
        # (t.ugettext: the name pybabel extracts the messages by.)
        self.paragraph = Markup(t.ugettext("Paragraph")) % {}
        self.add_comment = Markup(t.ugettext("Add a comment")) % {}
        self.comment_on_section = Markup(t.ugettext("Comment on the section")) % {}
        self._paragraph_n = Markup(t.ugettext("Paragraph %(n)s"))
        self._table_n = Markup(t.ugettext("Table in paragraph %(n)s"))
        self._section_n = Markup(t.ugettext("Section %(n)s %(h)s"))

    def _split(self, endpoint: str) -> tuple[str, str]:
        """The address of ``endpoint`` for this round, before and after the target's key."""
        url = url_for(
            endpoint,
            slug=self.round.consultation.slug,
            number=self.round.number,
            target=PLACEHOLDER,
        )
        before, after = url.rsplit(PLACEHOLDER, 1)
        return before, after

    def _url(self, parts: tuple[str, str], endpoint: str, key: str) -> str:
        if PLAIN_KEY.fullmatch(key):
            return parts[0] + key + parts[1]
        slug, number = self.round.consultation.slug, self.round.number
        return url_for(endpoint, slug=slug, number=number, target=key)

    def thread_url(self, key: str) -> str:
        """The address of the thread on target ``key``."""
        return self._url(self._thread, "consultations.thread", key)

    def count_url(self, key: str) -> str:
        """The address of the comment-count badge of target ``key``."""
        return self._url(self._count, "consultations.count", key)

    def count_text(self, key: str) -> Markup:
        """The label of target ``key``'s count of published comments ("3 comments")."""
        n = self.counts.get(key, 0)
        found = self._count_texts.get(n)
        if found is None:
            plural = self._translations.ungettext("%(num)s comment", "%(num)s comments", n)
            found = self._count_texts[n] = Markup(plural) % {"num": n}
        return found

    def paragraph_about(self, number: str) -> Markup:
        """What a paragraph's control is about ("Paragraph 3")."""
        return self._paragraph_n % {"n": number}

    def table_label(self, number: str) -> Markup:
        """The name of a paragraph's scrolling table ("Table in paragraph 3")."""
        return self._table_n % {"n": number}

    def section_about(self, number: str, heading: str) -> Markup:
        """What a section's control is about ("Section 2 Heading")."""
        return self._section_n % {"n": number, "h": heading}
