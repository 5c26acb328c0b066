"""The one comment search both the staff drill-down and the public search page use.

What a person types is never handed to the database's query language: ``Terms.parse`` keeps
only words (letters and digits) and quoted phrases, and the query is built from them with
every word quoted, so ``OR``, ``NEAR(``, ``*``, ``-`` or a stray quote are plain words or
nothing. Every word must match (in either the comment or its proposed wording).

PostgreSQL reads words with the Swedish configuration (stemming: "vindkraften" finds
"vindkraft" and the other way round) and ranks with ``ts_rank``; SQLite's FTS5 has no Swedish
stemmer, so each word matches as a prefix ("vindkraft" finds "vindkraften", not the other way
round) and ranks with ``bm25``.

Hits are marked in the database with private sentinel characters, then the text is
HTML-escaped and only the sentinels become ``<mark>``: a comment's own markup stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import bindparam, column, func, literal_column, select, table
from sqlalchemy.orm import Session

from ..models import Comment
from . import schema

# At most this many characters of a query are read; longer queries are refused by the pages.
MAX_CHARS = 200
MAX_TERMS = 12
MAX_WORD_CHARS = 60
# Private-use characters marking hits in the database's highlighted text.
START, STOP = "\ue000", "\ue001"
SNIPPET_WORDS = 24
_PHRASE = re.compile(r'"([^"]*)"')
_WORD = re.compile(r"[^\W_]+")
# A hit: the text between a start and a stop sentinel (a stray one, typed by someone, is dropped).
_HIT = re.compile(f"{START}([^{START}{STOP}]*){STOP}")

_fts = table(schema.TABLE, column("rowid"))
_fts_name = literal_column(schema.TABLE)


@dataclass(frozen=True)
class Terms:
    """The searchable part of a query: phrases of one or more words, all required."""

    phrases: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str | None) -> Terms | None:
        """Return the words and quoted phrases of ``text`` (None when there are none).

        A word holding other characters ("e-tjänst", "3,5") becomes a phrase of its parts;
        an unbalanced quote is ignored.
        """
        text = (text or "")[: MAX_CHARS * 2]
        phrases: list[tuple[str, ...]] = []

        def add(words: list[str]) -> None:
            words = [w.lower()[:MAX_WORD_CHARS] for w in words]
            if words and tuple(words) not in phrases:
                phrases.append(tuple(words))

        for quoted in _PHRASE.findall(text):
            add(_WORD.findall(quoted))
        for loose in _PHRASE.sub(" ", text).split():
            add(_WORD.findall(loose))
        return cls(tuple(phrases[:MAX_TERMS])) if phrases else None

    def websearch(self) -> str:
        """PostgreSQL: the terms for ``websearch_to_tsquery``, each one quoted."""
        return " ".join('"' + " ".join(words) + '"' for words in self.phrases)

    def fts5(self) -> str:
        """SQLite: an FTS5 query matching every term, each as a quoted prefix."""
        return " ".join('"' + " ".join(words) + '"*' for words in self.phrases)


def _pg_query(terms: Terms):
    return func.websearch_to_tsquery(
        literal_column(f"'{schema.CONFIG}'::regconfig"), bindparam("search_q", terms.websearch())
    )


def ranked(session: Session, query, terms: Terms):
    """Return ``query`` (a select of comments) narrowed to those matching ``terms``, and the
    ORDER BY clauses putting the best matches first (then the oldest)."""
    if _dialect(session) == "postgresql":
        document = schema.document()
        tsquery = _pg_query(terms)
        query = query.where(document.op("@@")(tsquery))
        order = [func.ts_rank(document, tsquery).desc()]
    else:
        # FTS5 computes bm25 only in the query that matches; the rest joins its answer.
        hits = (
            select(_fts.c.rowid.label("id"), func.bm25(_fts_name).label("score"))
            .where(_fts_name.op("MATCH")(bindparam("search_q", terms.fts5())))
            .subquery("search_hits")
        )
        query = query.join(hits, hits.c.id == Comment.id)
        order = [hits.c.score]
    return query, [*order, Comment.created_at, Comment.id]


def page_ids(session: Session, query, order, page: int, per_page: int):
    """Return the comment ids on ``page`` of ``query`` in ``order`` (the last page if ``page``
    is beyond it), the total, and the page.

    One pass gives both the page and the total (a window count), so a search reads the
    matching comments once; a page past the end costs a count and a second look.
    """

    def fetch(number: int) -> list:
        return session.execute(
            query.with_only_columns(Comment.id, func.count().over())
            .order_by(*order)
            .limit(per_page)
            .offset((number - 1) * per_page)
        ).all()

    rows = fetch(page)
    if rows:
        return [row[0] for row in rows], rows[0][1], page
    total = session.scalar(query.with_only_columns(func.count(Comment.id)).order_by(None))
    last = max(1, -(-total // per_page))
    if total == 0 or last == page:
        return [], total, page if total else 1
    return [row[0] for row in fetch(last)], total, last


def snippets(session: Session, terms: Terms, ids: list[int]) -> dict[int, Markup]:
    """Return, for each of comments ``ids`` matching ``terms``, the passage around its hits
    with the hits in ``<mark>`` (HTML-safe)."""
    if not ids:
        return {}
    if _dialect(session) == "postgresql":
        text = (
            func.coalesce(Comment.body, literal_column("''"))
            .op("||")(literal_column("' '"))
            .op("||")(func.coalesce(Comment.proposed_text, literal_column("''")))
        )
        options = (
            f"StartSel={START}, StopSel={STOP}, MaxWords={SNIPPET_WORDS}, MinWords=8, "
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        headline = func.ts_headline(
            literal_column(f"'{schema.CONFIG}'::regconfig"),
            text,
            _pg_query(terms),
            bindparam("headline_options", options),
        )
        rows = session.execute(select(Comment.id, headline).where(Comment.id.in_(ids)))
    else:
        snippet = func.snippet(_fts_name, -1, START, STOP, "…", SNIPPET_WORDS)
        rows = session.execute(
            select(_fts.c.rowid, snippet).where(
                _fts_name.op("MATCH")(bindparam("search_q", terms.fts5())),
                _fts.c.rowid.in_(ids),
            )
        )
    return {comment_id: marked(text or "") for comment_id, text in rows}


def marked(text: str) -> Markup:
    """Return ``text`` HTML-escaped with the sentinel-marked hits in ``<mark>``."""
    escaped = str(escape(" ".join(text.split())))
    escaped = _HIT.sub(r"<mark>\1</mark>", escaped)
    return Markup(escaped.replace(START, "").replace(STOP, ""))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
