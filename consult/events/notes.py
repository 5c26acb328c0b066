"""The record of a dialogue event: the day's summary and each parallel session's notes.

Written once the event has started (during or after it). The day's summary, and the notes
of a session that no working group holds, by those who may manage the event
(``services.get_event``: staff, administrators, and the chair or secretary of a group the
event belongs to). The notes of a session a working group holds, by staff and that group's
chair or secretary only (``may_write_session``): the chair of one group does not write the
record of another group's workshop at a shared event. The text is the comments' light
Markdown, rendered and sanitised by ``consult.sanitise`` when shown. Every change is
audit-logged with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from .. import audit, sanitise
from .. import group_access as access
from ..errors import Invalid, NotFound, WrongState
from ..models import Comment, CommentStatus, Event, EventSession, Registration, Round
from ..models import RegistrationStatus as Status
from . import services

NOTES_MAX_CHARS = 20_000


def may_write_session(session: Session, actor, item: EventSession) -> bool:
    """Whether ``actor`` (who may manage the event) may write the notes of session ``item``
    and record points from it: for a session a working group holds, staff and that
    group's chair or secretary only; for any other, every manager of the event."""
    if item.group_id is None:
        return True
    return access.may_manage_group(session, actor, item.group_id)


def require_session_writer(session: Session, actor, item: EventSession) -> None:
    """Raise NotAllowed unless ``actor`` may write session ``item``'s record."""
    if item.group_id is not None:
        access.require_group_manager(session, actor, item.group_id)


def has_started(event: Event, now: datetime) -> bool:
    """Whether the event has begun: its notes can be written from then on."""
    return now >= event.starts_at


def _writable(event: Event, now: datetime) -> None:
    if event.cancelled_at is not None:
        raise WrongState("cancelled")
    if not has_started(event, now):
        raise WrongState("not_started")


def clean_notes(text: str | None) -> str:
    """Return the notes as they are kept (normalised Markdown); Invalid if they cannot be."""
    try:
        cleaned = sanitise.normalise_text(text or "")
    except sanitise.UnsafeText as error:
        raise Invalid({"text": "binary"}) from error
    if len(cleaned) > NOTES_MAX_CHARS:
        raise Invalid({"text": "too_long"})
    try:
        sanitise.comment_html(cleaned)
    except sanitise.UnsafeText as error:
        raise Invalid({"text": "nesting"}) from error
    return cleaned


def notes_html(text: str | None) -> Markup:
    """Render kept notes to sanitised HTML ("" for none)."""
    return Markup(sanitise.comment_html(text)) if text else Markup("")


def save_summary(session: Session, actor, event_id: int, *, text: str, now: datetime) -> Event:
    """Save the day's summary of event ``event_id``."""
    event = services.get_event(session, actor, event_id)
    _writable(event, now)
    cleaned = clean_notes(text)
    before = audit.snapshot(event, ["summary"])
    event.summary = cleaned
    event.summary_updated_at = now
    event.summary_updated_by_id = actor.id
    audit.record(session, actor, "event.summary", event, before, {"summary": cleaned}, now=now)
    session.commit()
    return event


def event_session(session: Session, event: Event, session_id: int) -> EventSession:
    """Return session ``session_id`` of ``event``; NotFound if it is another event's."""
    found = session.get(EventSession, session_id)
    if found is None or found.event_id != event.id:
        raise NotFound()
    return found


def save_session_notes(
    session: Session, actor, event_id: int, session_id: int, *, text: str, now: datetime
) -> EventSession:
    """Save the notes of one parallel session of event ``event_id``."""
    event = services.get_event(session, actor, event_id)
    found = event_session(session, event, session_id)
    require_session_writer(session, actor, found)
    _writable(event, now)
    cleaned = clean_notes(text)
    before = audit.snapshot(found, ["notes"])
    found.notes = cleaned
    found.notes_updated_at = now
    found.notes_updated_by_id = actor.id
    audit.record(session, actor, "event_session.notes", found, before, {"notes": cleaned}, now=now)
    session.commit()
    return found


def attendance(session: Session, event_id: int) -> int:
    """Who came: the registrations marked attended, or (none marked yet) those with a place."""
    attended = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.attended.is_(True))
    )
    if attended:
        return attended
    return session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status == Status.CONFIRMED)
    )


def event_points(session: Session, event_id: int, *, published_only: bool = True) -> list[Comment]:
    """The comments recorded from event ``event_id`` (published only, unless asked), in order."""
    query = (
        select(Comment)
        .where(Comment.event_id == event_id)
        .options(
            selectinload(Comment.round).selectinload(Round.consultation),
            selectinload(Comment.paragraph),
            selectinload(Comment.section),
        )
    )
    if published_only:
        query = query.where(Comment.status == CommentStatus.PUBLISHED)
    else:
        query = query.where(Comment.status != CommentStatus.WITHDRAWN)
    return list(session.scalars(query.order_by(Comment.created_at, Comment.id)))


@dataclass
class SessionRecord:
    """One parallel session as its record shows: its notes and the points made in it."""

    session: EventSession
    notes_html: Markup
    points: list[Comment] = field(default_factory=list)


@dataclass
class PublicRecord:
    """What the public event page shows of the event's record."""

    started: bool
    summary_html: Markup
    sessions: list[SessionRecord]
    points: list[Comment]  # every published point, the sessions' and the day's as a whole
    attendance: int
    may_manage: bool

    @property
    def unsessioned(self) -> list[Comment]:
        """The points recorded for the day as a whole (no session)."""
        return [c for c in self.points if c.event_session_id is None]

    @property
    def empty(self) -> bool:
        """True when there is nothing to show yet."""
        return not (self.summary_html or self.points or any(s.notes_html for s in self.sessions))


def _sessions(event: Event, points: list[Comment]) -> list[SessionRecord]:
    by_session: dict[int | None, list[Comment]] = {}
    for comment in points:
        by_session.setdefault(comment.event_session_id, []).append(comment)
    return [SessionRecord(s, notes_html(s.notes), by_session.get(s.id, [])) for s in event.sessions]


def public_record(session: Session, viewer, event: Event, *, now: datetime) -> PublicRecord:
    """Return the record of ``event`` for its public page (seen by anyone)."""
    points = event_points(session, event.id)
    return PublicRecord(
        started=has_started(event, now),
        summary_html=notes_html(event.summary),
        sessions=_sessions(event, points),
        points=points,
        attendance=attendance(session, event.id),
        may_manage=access.may_manage_event(session, viewer, event),
    )
