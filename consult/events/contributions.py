"""Points raised at a dialogue event, recorded as comments on the draft.

The person recording (who may manage the event; for a session a working group holds, staff
or that group's chair or secretary) chooses the paragraph or section of the
open round's draft, the text, the kind, and the category of whoever raised the point. The
comment is written through the one comment-writing service (``consultations.comments``),
so it is sanitised and limited like any other, and carries the event and session it came
from: it is shown, counted and analysed with that origin. It keeps the round's moderation
unless staff record it. Only while the round is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from .. import group_access as access
from ..analysis import board
from ..consultations import comments
from ..consultations.services import Target, is_open, public_round
from ..errors import Invalid, WrongState
from ..models import Category, Comment, CommentKind, Paragraph, Round, Section
from ..web import parse_int
from . import notes, services

# What an event's points can be: a comment or a proposed wording (questions are asked here).
KINDS = (CommentKind.COMMENT, CommentKind.PROPOSAL)


def open_round(event, now: datetime) -> Round | None:
    """The round of the event's consultation open for comments now, if any."""
    round_ = public_round(event.consultation, now)
    return round_ if round_ is not None and is_open(round_, now) else None


@dataclass
class TargetGroup:
    """One <optgroup> of the target list: a chapter (or the draft as a whole) and its options."""

    label: str
    options: list[tuple[str, str]]
    own: bool = False  # one of the session's group's chapters


@dataclass
class Draft:
    """The round's draft, loaded once for the target lists of every session."""

    document_id: int
    sections: list[Section]
    paragraphs_of: dict[int | None, list[Paragraph]]  # by section id (None: before any)


def load_draft(session: Session, round_: Round) -> Draft | None:
    """The sections and paragraphs of the round's draft, in order (None without a draft)."""
    document = round_.document
    if document is None:
        return None
    sections = list(
        session.scalars(
            select(Section).where(Section.document_id == document.id).order_by(Section.position)
        )
    )
    paragraphs_of: dict[int | None, list[Paragraph]] = {}
    for paragraph in session.scalars(
        select(Paragraph).where(Paragraph.document_id == document.id).order_by(Paragraph.position)
    ):
        paragraphs_of.setdefault(paragraph.section_id, []).append(paragraph)
    return Draft(document.id, sections, paragraphs_of)


def target_options(
    session: Session, round_: Round, group_id: int | None, draft: Draft | None = None
) -> list[TargetGroup]:
    """The sections and paragraphs of the round's draft, grouped by chapter, the chapters of
    the session's group (if it has one) first. Values are "s-<id>" and "p-<id>". Give the
    ``draft`` (``load_draft``) when listing the targets of several sessions."""
    if draft is None:
        draft = load_draft(session, round_)
    if draft is None:
        return []
    chapter = board.chapter_of({s.id: s for s in draft.sections})
    own = set()
    if group_id is not None:
        own = access.section_ids(
            session, draft.document_id, access.chapter_anchors(session, group_id)
        )
    groups: dict[int | None, TargetGroup] = {
        None: TargetGroup("", [("doc", "")]),  # labelled by the template
    }
    for section in draft.sections:
        top = chapter(section.id)
        group = groups.setdefault(
            top.id, TargetGroup(f"{top.number} {top.heading}".strip(), [], top.id in own)
        )
        group.options.append((f"s-{section.id}", f"{section.number} {section.heading}".strip()))
        for paragraph in draft.paragraphs_of.get(section.id, []):
            group.options.append((f"p-{paragraph.id}", _paragraph_label(paragraph)))
    for paragraph in draft.paragraphs_of.get(None, []):
        groups[None].options.append((f"p-{paragraph.id}", _paragraph_label(paragraph)))
    ordered = list(groups.values())
    return [g for g in ordered if g.own] + [g for g in ordered if not g.own]


def _paragraph_label(paragraph: Paragraph) -> str:
    text = " ".join(paragraph.text.split())
    if len(text) > 60:
        text = text[:60].rsplit(" ", 1)[0] + "…"
    return f"¶ {paragraph.number}: {text}"


def resolve(session: Session, round_: Round, value: str) -> Target:
    """Return the target ``value`` names within the round's draft; Invalid for anything else
    (a paragraph of another draft, another consultation's, or none)."""
    document = round_.document
    kind, _, raw = (value or "").partition("-")
    if value == "doc" and document is not None:
        return Target("doc")
    number = parse_int(raw, minimum=1)
    if document is not None and number is not None:
        if kind == "p":
            paragraph = session.get(Paragraph, number)
            if paragraph is not None and paragraph.document_id == document.id:
                return Target(paragraph.anchor, paragraph=paragraph)
        if kind == "s":
            section = session.get(Section, number)
            if section is not None and section.document_id == document.id:
                return Target(section.anchor, section=section)
    raise Invalid({"target": "invalid"})


def add_point(
    session: Session,
    actor,
    event_id: int,
    session_id: int | None,
    *,
    target: str,
    kind: str,
    body: str,
    proposed_text: str | None = None,
    category: str | None = None,
    submission_key: str,
    now: datetime,
    max_chars: int,
) -> Comment:
    """Record a point raised at the event (in session ``session_id``, None for the day as a
    whole) as a comment on the open round's draft, written by ``actor``: a point from a
    session a working group holds only by staff or that group's chair or secretary
    (``notes.may_write_session``). It is published as the round's moderation says, except
    that staff's points are published at once (``comments.create_comment``)."""
    event = services.get_event(session, actor, event_id)
    sent = session.scalar(
        select(Comment).where(
            Comment.author_id == actor.id,
            Comment.submission_key == submission_key,
            Comment.event_id == event.id,
        )
    )
    if sent is not None:
        return sent  # the form was sent twice: the point is recorded once
    if event.cancelled_at is not None:
        raise WrongState("cancelled")
    if not notes.has_started(event, now):
        raise WrongState("not_started")
    found = notes.event_session(session, event, session_id) if session_id is not None else None
    if found is not None:
        notes.require_session_writer(session, actor, found)
    round_ = open_round(event, now)
    if round_ is None:
        raise comments.RoundClosed()
    if kind not in {k.value for k in KINDS}:
        raise Invalid({"kind": "invalid"})
    try:
        raised_by = Category(category) if category else actor.category
    except ValueError as error:
        raise Invalid({"category": "invalid"}) from error
    where = resolve(session, round_, target)
    comment = comments.create_comment(
        session,
        author=actor,
        round_id=round_.id,
        target=where,
        kind=kind,
        body=body,
        stance=None,
        proposed_text=proposed_text,
        submission_key=submission_key,
        now=now,
        max_chars=max_chars,
        event_origin=comments.EventOrigin(
            event.id, found.id if found is not None else None, raised_by
        ),
    )
    audit.record(
        session,
        actor,
        "event.point",
        event,
        None,
        {"comment": comment.id, "session": comment.event_session_id},
        now=now,
    )
    session.commit()
    return comment


@dataclass
class NotesPage:
    """The notes page of an event for those who manage it."""

    event: object
    started: bool
    round: Round | None  # the open round points go to, None when none is open
    record: notes.PublicRecord
    points: dict[int | None, list[Comment]]  # every point not withdrawn, by session
    targets: dict[int | None, list[TargetGroup]]  # the target list of each session
    writable: set[int]  # the sessions whose notes and points the actor may write
    points_wait: bool = False  # the actor's points wait for review (a pre-moderated round)


def notes_page(session: Session, actor, event_id: int, *, now: datetime) -> NotesPage:
    """Return everything the notes page of event ``event_id`` shows; managers only."""
    event = services.get_event(session, actor, event_id)
    round_ = open_round(event, now)
    points: dict[int | None, list[Comment]] = {}
    for comment in notes.event_points(session, event.id, published_only=False):
        points.setdefault(comment.event_session_id, []).append(comment)
    allowed: dict[int | None, bool] = {}
    for item in event.sessions:
        if item.group_id not in allowed:
            allowed[item.group_id] = notes.may_write_session(session, actor, item)
    writable = {item.id for item in event.sessions if allowed[item.group_id]}
    targets: dict[int | None, list[TargetGroup]] = {}
    draft = load_draft(session, round_) if round_ is not None else None
    if draft is not None:
        targets[None] = target_options(session, round_, None, draft)
        for item in event.sessions:
            if item.id in writable:
                targets[item.id] = target_options(session, round_, item.group_id, draft)
    return NotesPage(
        event=event,
        started=notes.has_started(event, now),
        round=round_,
        record=notes.public_record(session, actor, event, now=now),
        points=points,
        targets=targets,
        writable=writable,
        points_wait=comments.points_wait(round_, actor) if round_ is not None else False,
    )
