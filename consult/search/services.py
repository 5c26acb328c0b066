"""The public search: published comments of rounds the public can read, best matches first.

It lists what the consultation pages show everyone: published comments and replies (a reply
is public text like a comment), never pending, hidden, rejected or withdrawn ones, of rounds
that have opened (a round still a draft or scheduled has no public comments).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..consultations.services import listed_comments
from ..errors import NotFound
from ..models import Comment, CommentStatus, Consultation, Round
from . import query as search


class Problem(enum.StrEnum):
    """Why a query was not run."""

    EMPTY = "empty"  # nothing typed
    TOO_LONG = "too_long"  # more than query.MAX_CHARS characters
    NO_WORDS = "no_words"  # only punctuation or symbols


@dataclass
class Hit:
    comment: Comment
    snippet: Markup


@dataclass
class Found:
    q: str
    consultation: Consultation | None
    problem: Problem | None = None
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 1


def published_comments(
    session: Session,
    q: str | None,
    now: datetime,
    *,
    slug: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> Found:
    """Return page ``page`` of the public comments matching ``q`` (of consultation ``slug``
    only, if given; NotFound for an unknown one), best matches first, hits marked."""
    consultation = None
    if slug:
        consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
        if consultation is None:
            raise NotFound()
    q = " ".join((q or "").split())
    found = Found(q, consultation)
    if not q:
        found.problem = Problem.EMPTY
        return found
    if len(q) > search.MAX_CHARS:
        found.problem = Problem.TOO_LONG
        return found
    terms = search.Terms.parse(q)
    if terms is None:
        found.problem = Problem.NO_WORDS
        return found
    query = (
        select(Comment)
        .join(Round, Round.id == Comment.round_id)
        .where(
            Comment.status == CommentStatus.PUBLISHED,
            Round.opens_at <= now,
            Round.closes_at.is_not(None),
        )
    )
    if consultation is not None:
        query = query.where(Round.consultation_id == consultation.id)
    query, order = search.ranked(session, query, terms)
    ids, found.total, found.page = search.page_ids(session, query, order, max(page, 1), per_page)
    found.pages = max(1, -(-found.total // per_page))
    listed = listed_comments(
        session, ids, selectinload(Comment.round).selectinload(Round.consultation)
    )
    snippets = search.snippets(session, terms, ids)
    found.hits = [Hit(comment, snippets.get(comment.id, Markup(""))) for comment in listed]
    return found
