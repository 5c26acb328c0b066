"""Reading consultations: round states, the draft with its counts, and comment threads."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from .. import caching
from ..errors import NotFound
from ..models import (
    Agreement,
    AnalysedComment,
    Comment,
    CommentStatus,
    Consultation,
    Document,
    Event,
    Paragraph,
    Round,
    Section,
    User,
)
from ..people.rules import write_refusal
from ..permissions import signed_in


def with_event_origin() -> tuple:
    """Loader options for listed comments: the dialogue event (and its consultation, for
    its address) and the session a point was recorded from, in one query each rather
    than one per comment (see events/notes_macros.html ``origin``)."""
    return (
        selectinload(Comment.event).selectinload(Event.consultation),
        selectinload(Comment.event_session),
    )


def listed_comments(session: Session, ids: list[int], *options) -> list[Comment]:
    """Return the comments ``ids`` in that order (a page of search hits, say), each with its
    paragraph, section and event origin loaded, and whatever ``options`` add."""
    query = (
        select(Comment)
        .where(Comment.id.in_(ids))
        .options(
            selectinload(Comment.paragraph).selectinload(Paragraph.section),
            selectinload(Comment.section),
            *with_event_origin(),
            *options,
        )
    )
    loaded = {comment.id: comment for comment in session.scalars(query)}
    return [loaded[i] for i in ids]


class RoundState(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    PUBLISHED = "published"


def round_state(round_: Round, now: datetime) -> RoundState:
    """Return the state of ``round_`` at ``now``, computed from its dates and explicit actions."""
    if round_.results_published_at is not None and round_.results_published_at <= now:
        return RoundState.PUBLISHED
    if round_.opens_at is None or round_.closes_at is None:
        return RoundState.DRAFT
    if round_.closed_at is not None and round_.closed_at <= now:
        return RoundState.CLOSED
    if now < round_.opens_at:
        return RoundState.SCHEDULED
    if now < round_.closes_at:
        return RoundState.OPEN
    return RoundState.CLOSED


def is_open(round_: Round, now: datetime) -> bool:
    """True while ``round_`` accepts comments."""
    return round_state(round_, now) == RoundState.OPEN


def public_round(consultation: Consultation, now: datetime) -> Round | None:
    """Return the round to show for ``consultation``: the open one, else the latest started,
    else the next scheduled; None while every round is still a draft."""
    dated = [r for r in consultation.rounds if r.opens_at is not None and r.closes_at is not None]
    started = [r for r in dated if r.opens_at <= now]
    open_now = [r for r in started if is_open(r, now)]
    if open_now:
        return open_now[-1]
    if started:
        return started[-1]
    return dated[0] if dated else None


def list_consultations(session: Session, now: datetime) -> list[tuple[Consultation, Round]]:
    """Return the consultations that have a public round, with that round, newest first."""
    consultations = session.scalars(
        select(Consultation)
        .options(selectinload(Consultation.rounds))
        .order_by(Consultation.created_at.desc())
    )
    listed = []
    for consultation in consultations:
        round_ = public_round(consultation, now)
        if round_ is not None:
            listed.append((consultation, round_))
    return listed


def get_round(
    session: Session, slug: str, now: datetime, number: int | None = None
) -> Round | None:
    """Return round ``number`` of the consultation ``slug`` (default: its public round)."""
    if number is None:
        # With its rounds, in one statement: the public round is chosen among them.
        consultation = (
            session.scalars(
                select(Consultation)
                .where(Consultation.slug == slug)
                .options(joinedload(Consultation.rounds))
            )
            .unique()
            .one_or_none()
        )
        return public_round(consultation, now) if consultation is not None else None
    # One query, the consultation with it: every post and thread page begins with this.
    round_ = session.scalar(
        select(Round)
        .join(Round.consultation)
        .where(Consultation.slug == slug, Round.number == number)
        .options(contains_eager(Round.consultation))
    )
    if round_ is None or round_.opens_at is None or round_.closes_at is None:
        return None
    return round_


@dataclass
class SectionView:
    section: Section
    paragraphs: list[Paragraph]
    children: list[SectionView]


@dataclass
class DocumentView:
    document: Document
    preamble: list[Paragraph]
    sections: list[SectionView]
    # Published top-level comments per target: "doc", a section anchor or a paragraph anchor.
    counts: dict[str, int]


def document_view(session: Session, round_: Round) -> DocumentView | None:
    """Return the draft of ``round_`` as a section tree with comment counts per target."""
    document = round_.document
    if document is None:
        return None
    sections = list(
        session.scalars(
            select(Section).where(Section.document_id == document.id).order_by(Section.position)
        )
    )
    paragraphs = list(
        session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == document.id)
            .order_by(Paragraph.position)
        )
    )
    views = {s.id: SectionView(s, [], []) for s in sections}
    roots = []
    for section in sections:
        view = views[section.id]
        if section.parent_id is None:
            roots.append(view)
        else:
            views[section.parent_id].children.append(view)
    preamble = []
    for paragraph in paragraphs:
        if paragraph.section_id is None:
            preamble.append(paragraph)
        else:
            views[paragraph.section_id].paragraphs.append(paragraph)
    return DocumentView(
        document, preamble, roots, comment_counts(session, round_, sections, paragraphs)
    )


def comment_counts(
    session: Session, round_: Round, sections: list[Section], paragraphs: list[Paragraph]
) -> dict[str, int]:
    """Count published top-level comments of ``round_`` per target key (cached per version
    of the round's data, see consult.caching)."""

    def count_rows() -> list[list]:
        return [
            list(row)
            for row in session.execute(
                select(Comment.paragraph_id, Comment.section_id, func.count())
                .where(
                    Comment.round_id == round_.id,
                    Comment.status == CommentStatus.PUBLISHED,
                    Comment.parent_id.is_(None),
                )
                .group_by(Comment.paragraph_id, Comment.section_id)
            )
        ]

    rows = caching.figures("target-counts", round_, count_rows)
    by_paragraph = {p.id: p.anchor for p in paragraphs}
    by_section = {s.id: s.anchor for s in sections}
    counts: dict[str, int] = {"doc": 0}
    for paragraph_id, section_id, count in rows:
        if paragraph_id is not None:
            key = by_paragraph.get(paragraph_id)
        elif section_id is not None:
            key = by_section.get(section_id)
        else:
            key = "doc"
        if key is None:  # not in the draft as it reads now
            continue
        counts[key] = counts.get(key, 0) + count
    return counts


@dataclass
class Target:
    """What a comment is about: a paragraph, a section, or (both None) the whole draft."""

    key: str
    paragraph: Paragraph | None = None
    section: Section | None = None


def resolve_target(session: Session, round_: Round, key: str) -> Target | None:
    """Return the target ``key`` ("doc", "p-…" or "s-…") within the draft of ``round_``."""
    document = round_.document
    if document is None:
        return None
    if key == "doc":
        return Target(key)
    if key.startswith("p-"):
        paragraph = session.scalar(
            select(Paragraph).where(Paragraph.document_id == document.id, Paragraph.anchor == key)
        )
        return Target(key, paragraph=paragraph) if paragraph else None
    if key.startswith("s-"):
        section = session.scalar(
            select(Section).where(Section.document_id == document.id, Section.anchor == key)
        )
        return Target(key, section=section) if section else None
    return None


SORTS = ("new", "agreed")


def _on_target(query, target: Target):
    if target.paragraph is not None:
        return query.where(Comment.paragraph_id == target.paragraph.id)
    if target.section is not None:
        return query.where(Comment.section_id == target.section.id)
    return query.where(Comment.paragraph_id.is_(None), Comment.section_id.is_(None))


def thread(
    session: Session,
    round_: Round,
    target: Target,
    viewer: User | None,
    sort: str = "new",
    limit: int | None = None,
) -> list[Comment]:
    """Return the top-level comments on ``target`` that ``viewer`` may see, replies loaded.

    A withdrawn comment that others have replied to stays as a placeholder, so that the
    replies keep their place.
    """
    reply = aliased(Comment)
    answered = exists().where(
        reply.parent_id == Comment.id, reply.status == CommentStatus.PUBLISHED
    )
    withdrawn_but_answered = (Comment.status == CommentStatus.WITHDRAWN) & answered
    query = _on_target(
        select(Comment)
        .where(
            Comment.round_id == round_.id,
            Comment.parent_id.is_(None),
            or_(visible_to(viewer), withdrawn_but_answered),
        )
        .options(selectinload(Comment.replies), *with_event_origin()),
        target,
    )
    if sort == "agreed":
        query = query.order_by(Comment.agreement_count.desc(), Comment.created_at.desc())
    else:
        query = query.order_by(Comment.created_at.desc(), Comment.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def target_count(session: Session, round_: Round, target: Target, viewer: User | None) -> int:
    """Count the top-level comments on ``target`` that ``viewer`` may see."""
    query = _on_target(
        select(func.count())
        .select_from(Comment)
        .where(Comment.round_id == round_.id, Comment.parent_id.is_(None), visible_to(viewer)),
        target,
    )
    return session.scalar(query)


# Besides published comments, an author sees their own comments that wait for review or that
# a moderator rejected or hid (with the reason), but not those they withdrew.
SEEN_BY_AUTHOR = (CommentStatus.PENDING, CommentStatus.REJECTED, CommentStatus.HIDDEN)


def visible_to(viewer: User | None):
    """SQL condition: published, or the viewer's own comment waiting for or after review."""
    published = Comment.status == CommentStatus.PUBLISHED
    if viewer is None:
        return published
    own_moderated = (Comment.author_id == viewer.id) & Comment.status.in_(SEEN_BY_AUTHOR)
    return or_(published, own_moderated)


def can_see(comment: Comment, viewer: User | None) -> bool:
    """Python twin of ``visible_to`` for one loaded comment."""
    if comment.status == CommentStatus.PUBLISHED:
        return True
    own = viewer is not None and comment.author_id == viewer.id
    return own and comment.status in SEEN_BY_AUTHOR


def visible_comment(session: Session, actor: User | None, comment_id: int) -> Comment:
    """Return comment ``comment_id`` if ``actor`` may see it; NotFound otherwise (also for
    one that exists but is hidden from them)."""
    comment = session.get(Comment, comment_id)
    if comment is None or not can_see(comment, actor if signed_in(actor) else None):
        raise NotFound()
    return comment


def visible_replies(comment: Comment, viewer: User | None) -> list[Comment]:
    """Return the replies to ``comment`` that ``viewer`` may see."""
    return [r for r in comment.replies if can_see(r, viewer)]


def agreed_ids(session: Session, viewer: User | None, comment_ids: list[int]) -> set[int]:
    """Return which of ``comment_ids`` ``viewer`` has agreed with."""
    if viewer is None or not comment_ids:
        return set()
    return set(
        session.scalars(
            select(Agreement.comment_id).where(
                Agreement.user_id == viewer.id, Agreement.comment_id.in_(comment_ids)
            )
        )
    )


# A consultation's draft is written in Swedish; so is a comment whose language is unknown.
CONTENT_LANGUAGE = "sv"


def comment_languages(session: Session, comment_ids: list[int]) -> dict[int, str]:
    """Return the language the latest analysis read in each of ``comment_ids`` that it read
    ("sv", "en", another ISO code); comments it did not read, or could not tell, are left out.
    """
    if not comment_ids:
        return {}
    rows = session.execute(
        select(AnalysedComment.comment_id, AnalysedComment.language)
        .where(AnalysedComment.comment_id.in_(comment_ids))
        .order_by(AnalysedComment.analysis_id)
    )
    # Ordered by analysis: a later analysis's reading replaces an earlier one.
    languages = {comment_id: language for comment_id, language in rows}
    return {key: value for key, value in languages.items() if value and value != "und"}


def my_comments(session: Session, user: User) -> list[Comment]:
    """Return everything ``user`` has written, newest first, with its context loaded."""
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.author_id == user.id)
            .options(
                selectinload(Comment.round).selectinload(Round.consultation),
                selectinload(Comment.paragraph),
                selectinload(Comment.section),
            )
            .order_by(Comment.created_at.desc(), Comment.id.desc())
        )
    )


def published_comments(
    session: Session, round_: Round, page: int, per_page: int
) -> tuple[int, list[Comment]]:
    """Return the number of published comments of ``round_`` and one page of them, oldest first."""
    published = (Comment.round_id == round_.id, Comment.status == CommentStatus.PUBLISHED)
    total = session.scalar(select(func.count()).select_from(Comment).where(*published))
    rows = session.scalars(
        select(Comment)
        .where(*published)
        .options(
            selectinload(Comment.paragraph), selectinload(Comment.section), *with_event_origin()
        )
        .order_by(Comment.created_at, Comment.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return total, list(rows)


def allowed_actions(comment: Comment, viewer: User | None, state: RoundState) -> frozenset[str]:
    """Return what ``viewer`` may do with ``comment`` now: agree, reply, edit, withdraw."""
    if viewer is None or state != RoundState.OPEN:
        return frozenset()
    actions = set()
    own = comment.author_id == viewer.id
    # Blocked, or unverified in a round for verified organisations: withdrawing only.
    may_write = write_refusal(viewer, comment.round) is None
    if comment.status == CommentStatus.PUBLISHED and may_write:
        if not own:
            actions.add("agree")
        if comment.parent_id is None:
            actions.add("reply")
    if own and comment.status in (CommentStatus.PENDING, CommentStatus.PUBLISHED):
        actions.add("withdraw")
        if may_write:
            actions.add("edit")
    return frozenset(actions)
