"""Dialogue events of a consultation: their details, the groups they are listed in, their
programme and parallel sessions, cancelling them, and the public lists.

Creating an event needs staff, or the chair or secretary of a group the event will belong to;
changing one needs ``access.require_event_manager``. Times are entered as Europe/Stockholm
wall-clock time and stored in UTC. Every change is committed with its audit entry.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit, clock
from .. import group_access as access
from ..consultations.services import public_round
from ..errors import Invalid, NotAllowed, NotFound, WrongState
from ..models import (
    Comment,
    Consultation,
    Event,
    EventKind,
    EventSession,
    ProgrammeItem,
    WorkingGroup,
    event_group,
)
from . import registration
from .stream import is_https

EVENT_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "kind",
    "venue_name",
    "venue_address",
    "stream_url",
    "contact_name",
    "contact_email",
    "registration_enabled",
    "capacity",
    "registration_closes_at",
)
ITEM_FIELDS = ("title", "description", "starts_at", "ends_at", "position")
SESSION_FIELDS = ("title", "room", "group_id", "programme_item_id", "position")
SLUG_ATTEMPTS = 5
HHMM = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")


def parse_clock(raw: str | None) -> time | None:
    """Read "09:30" (or "9.30") as a time of day, or None."""
    match = HHMM.match((raw or "").strip())
    if match is None:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def event_days(event: Event) -> list[date]:
    """The Stockholm dates the event runs on, first to last."""
    first, last = clock.to_local(event.starts_at).date(), clock.to_local(event.ends_at).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)][:31]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "mote"


def _line(value: str | None) -> str:
    return " ".join((value or "").split())


# --- who may manage --------------------------------------------------------------------


def consultation_or_404(session: Session, consultation_id: int) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound()
    return consultation


def managed_groups(session: Session, actor, consultation_id: int) -> list[WorkingGroup]:
    """The open groups of the consultation the actor may list an event in: all for staff,
    else those the actor chairs or is secretary of."""
    if access.is_staff(actor):
        return list(
            session.scalars(
                select(WorkingGroup)
                .where(
                    WorkingGroup.consultation_id == consultation_id,
                    WorkingGroup.closed_at.is_(None),
                )
                .order_by(WorkingGroup.position, WorkingGroup.id)
            )
        )
    return [
        m.group
        for m in access.current_memberships(session, actor, consultation_id)
        if m.role in access.MANAGING_ROLES
    ]


def consultation_groups(session: Session, consultation_id: int) -> list[WorkingGroup]:
    """Every group of the consultation (a session may be held by any of them)."""
    return list(
        session.scalars(
            select(WorkingGroup)
            .where(WorkingGroup.consultation_id == consultation_id)
            .order_by(WorkingGroup.position, WorkingGroup.id)
        )
    )


def require_event_creator(session: Session, actor, consultation_id: int) -> None:
    """Raise NotAllowed unless the actor is staff or chairs/is secretary of one of the
    consultation's groups."""
    if not (access.is_staff(actor) or managed_groups(session, actor, consultation_id)):
        raise NotAllowed()


@dataclass
class Overview:
    consultation: Consultation
    events: list[Event]
    manageable: set[int]
    groups: list[WorkingGroup]


def overview(session: Session, actor, consultation_id: int) -> Overview:
    """The consultation's events for the people who manage events in it."""
    consultation = consultation_or_404(session, consultation_id)
    require_event_creator(session, actor, consultation_id)
    events = list(
        session.scalars(
            select(Event)
            .where(Event.consultation_id == consultation_id)
            .options(selectinload(Event.groups))
            .order_by(Event.starts_at.desc(), Event.id.desc())
        )
    )
    return Overview(
        consultation,
        events,
        {e.id for e in events if access.may_manage_event(session, actor, e)},
        managed_groups(session, actor, consultation_id),
    )


def get_event(session: Session, actor, event_id: int) -> Event:
    """The event, for someone who may manage it (NotFound if there is none, NotAllowed for
    anyone else): the one "event for a manager" lookup of the events package."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound()
    access.require_event_manager(session, actor, event)
    return event


def _editable(session: Session, actor, event_id: int) -> Event:
    event = get_event(session, actor, event_id)
    if event.cancelled_at is not None:
        raise WrongState("cancelled")
    return event


# --- the event itself ------------------------------------------------------------------


def clean_event(fields: dict) -> dict:
    """Check and tidy an event's fields; raise Invalid naming each refused field."""
    errors: dict[str, str] = {}
    out = {
        "title": _line(fields.get("title")),
        "description": (fields.get("description") or "").strip(),
        "starts_at": fields.get("starts_at"),
        "ends_at": fields.get("ends_at"),
        "kind": fields.get("kind"),
        "venue_name": _line(fields.get("venue_name")),
        "venue_address": (fields.get("venue_address") or "").strip(),
        "stream_url": (fields.get("stream_url") or "").strip(),
        "contact_name": _line(fields.get("contact_name")),
        "contact_email": (fields.get("contact_email") or "").strip(),
        "registration_enabled": bool(fields.get("registration_enabled")),
        "capacity": fields.get("capacity"),
        "registration_closes_at": fields.get("registration_closes_at"),
    }
    if not out["title"]:
        errors["title"] = "required"
    elif len(out["title"]) > 300:
        errors["title"] = "too_long"
    if len(out["description"]) > 20000:
        errors["description"] = "too_long"
    if out["starts_at"] is None:
        errors["starts_at"] = "required"
    if out["ends_at"] is None:
        errors["ends_at"] = "required"
    elif out["starts_at"] is not None and out["ends_at"] <= out["starts_at"]:
        errors["ends_at"] = "ends_before_start"
    try:
        out["kind"] = EventKind(out["kind"])
    except ValueError:
        errors["kind"] = "choice"
    for name, limit in (("venue_name", 200), ("venue_address", 300), ("contact_name", 200)):
        if len(out[name]) > limit:
            errors[name] = "too_long"
    if out["stream_url"]:
        if len(out["stream_url"]) > 500:
            errors["stream_url"] = "too_long"
        elif not is_https(out["stream_url"]):
            errors["stream_url"] = "https"
    if out["contact_email"]:
        try:
            out["contact_email"] = validate_email(
                out["contact_email"], check_deliverability=False
            ).normalized
        except EmailNotValidError:
            errors["contact_email"] = "email"
        else:
            if len(out["contact_email"]) > 254:
                errors["contact_email"] = "email"
    capacity = out["capacity"]
    if capacity is not None and (not isinstance(capacity, int) or capacity <= 0):
        errors["capacity"] = "capacity"
    elif capacity is not None and capacity > 100000:
        errors["capacity"] = "capacity"
    closes = out["registration_closes_at"]
    if closes is not None and out["ends_at"] is not None and closes > out["ends_at"]:
        errors["registration_closes_at"] = "closes_after_end"
    if errors:
        raise Invalid(errors)
    return out


def _groups(session: Session, consultation_id: int, group_ids) -> list[WorkingGroup]:
    ids = list(dict.fromkeys(group_ids or []))
    if not ids:
        return []
    groups = list(session.scalars(select(WorkingGroup).where(WorkingGroup.id.in_(ids))))
    if len(groups) != len(ids) or any(g.consultation_id != consultation_id for g in groups):
        raise Invalid({"groups": "unknown_group"})
    return sorted(groups, key=lambda g: (g.position, g.id))


def _check_groups(
    session: Session, actor, old: list[WorkingGroup], new: list[WorkingGroup]
) -> list[WorkingGroup]:
    """The groups to list the event in. Staff choose freely; others may add and remove only
    groups they manage (the others it is listed in stay), and keep one of their own."""
    if access.is_staff(actor):
        return new
    mine = {g.id for g in old + new if access.may_manage_group(session, actor, g.id)}
    if any(g.id not in mine for g in new if g not in old):
        raise NotAllowed()
    if not any(g.id in mine for g in new):
        raise Invalid({"groups": "own_group"})
    kept = [g for g in old if g.id not in mine]
    chosen = [g for g in new if g.id in mine]
    return sorted(kept + chosen, key=lambda g: (g.position, g.id))


def _unique_slug(
    session: Session, consultation_id: int, title: str, tried: frozenset[str] = frozenset()
) -> str:
    """The title's slug, with the first free suffix ("-2", "-3" ...) if it is taken (or was
    ``tried`` and lost a race)."""
    base = _slug(title)
    taken = tried | set(
        session.scalars(
            select(Event.slug).where(
                Event.consultation_id == consultation_id, Event.slug.like(f"{base}%")
            )
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _snapshot(event: Event) -> dict:
    values = audit.snapshot(event, EVENT_FIELDS)
    values["groups"] = [g.id for g in event.groups]
    return values


def create_event(
    session: Session, actor, consultation_id: int, fields: dict, group_ids, *, now=None
) -> Event:
    """Create an event in the consultation, listed in the chosen groups."""
    consultation_or_404(session, consultation_id)
    require_event_creator(session, actor, consultation_id)
    groups = _groups(session, consultation_id, group_ids)
    groups = _check_groups(session, actor, [], groups)
    cleaned = clean_event(fields)
    tried: frozenset[str] = frozenset()
    for _attempt in range(SLUG_ATTEMPTS):
        event = Event(
            consultation_id=consultation_id,
            slug=_unique_slug(session, consultation_id, cleaned["title"], tried),
            created_by_id=actor.id,
            created_at=now or clock.now(),
            **cleaned,
        )
        try:
            # Someone creating an event of the same title at once may take the slug between
            # the look-up and the insert: then the next suffix is tried.
            with session.begin_nested():
                session.add(event)
                session.flush()
        except IntegrityError:
            tried |= {event.slug}
            continue
        break
    else:
        raise WrongState("slug_taken")
    event.groups = groups
    session.flush()
    audit.record(session, actor, "event.create", event, None, _snapshot(event), now=now)
    session.commit()
    return event


def update_event(
    session: Session, actor, event_id: int, fields: dict, group_ids, *, now=None
) -> Event:
    """Change an event's details and the groups it is listed in."""
    event = _editable(session, actor, event_id)
    groups = _groups(session, event.consultation_id, group_ids)
    groups = _check_groups(session, actor, list(event.groups), groups)
    cleaned = clean_event(fields)
    outside = [
        item
        for item in event.programme
        if item.starts_at < cleaned["starts_at"]
        or (item.ends_at or item.starts_at) > cleaned["ends_at"]
    ]
    if outside:
        raise Invalid({"starts_at": "programme_outside"})
    before = _snapshot(event)
    for name, value in cleaned.items():
        setattr(event, name, value)
    event.groups = groups
    old, new = audit.changed(before, _snapshot(event))
    if new:
        audit.record(session, actor, "event.update", event, old, new, now=now)
    if "capacity" in new or "registration_enabled" in new:
        # More places (or none to count): the first on the waiting list move up, and are told.
        registration.fill_places(session, event.id, now=now or clock.now())
    session.commit()
    return event


def cancel_event(session: Session, actor, event_id: int, *, now=None) -> Event:
    """Cancel an event: it stays listed, marked as cancelled, and can no longer be changed."""
    event = _editable(session, actor, event_id)
    event.cancelled_at = now or clock.now()
    audit.record(
        session, actor, "event.cancel", event, {"cancelled_at": None},
        {"cancelled_at": event.cancelled_at}, now=now,
    )  # fmt: skip
    registration.tell_event_cancelled(session, event, now=event.cancelled_at)
    session.commit()
    return event


# --- programme -------------------------------------------------------------------------


def _item_times(event: Event, day: date | None, start: str, end: str | None):
    errors = {}
    days = event_days(event)
    if day is None:
        day = days[0]
    if day not in days:
        errors["day"] = "day"
    starts = parse_clock(start)
    if starts is None:
        errors["start"] = "clock"
    ends = None
    if (end or "").strip():
        ends = parse_clock(end)
        if ends is None:
            errors["end"] = "clock"
    if errors:
        raise Invalid(errors)
    starts_at = clock.to_utc(datetime.combine(day, starts))
    ends_at = clock.to_utc(datetime.combine(day, ends)) if ends is not None else None
    if ends_at is not None and ends_at <= starts_at:
        raise Invalid({"end": "ends_before_start"})
    if starts_at < event.starts_at or starts_at >= event.ends_at:
        raise Invalid({"start": "outside_event"})
    if ends_at is not None and ends_at > event.ends_at:
        raise Invalid({"end": "outside_event"})
    return starts_at, ends_at


def _item_text(title: str, description: str) -> tuple[str, str]:
    title, description = _line(title), (description or "").strip()
    if not title:
        raise Invalid({"title": "required"})
    if len(title) > 300:
        raise Invalid({"title": "too_long"})
    if len(description) > 5000:
        raise Invalid({"description": "too_long"})
    return title, description


def item_of(event: Event, item_id: int) -> ProgrammeItem:
    item = next((i for i in event.programme if i.id == item_id), None)
    if item is None:
        raise NotFound()
    return item


def add_item(
    session: Session, actor, event_id: int, *, title, start, end=None, day=None,
    description="", now=None,
) -> ProgrammeItem:  # fmt: skip
    """Add a point to the programme at a clock time on one of the event's days."""
    event = _editable(session, actor, event_id)
    title, description = _item_text(title, description)
    starts_at, ends_at = _item_times(event, day, start, end)
    position = max((i.position for i in event.programme), default=0) + 1
    item = ProgrammeItem(
        event_id=event.id, title=title, description=description,
        starts_at=starts_at, ends_at=ends_at, position=position,
    )  # fmt: skip
    session.add(item)
    session.flush()
    audit.record(
        session, actor, "event.programme_add", item, None,
        audit.snapshot(item, ITEM_FIELDS), now=now,
    )  # fmt: skip
    session.commit()
    session.expire(event, ["programme"])
    return item


def update_item(
    session: Session, actor, event_id: int, item_id: int, *, title, start, end=None,
    day=None, description="", now=None,
) -> ProgrammeItem:  # fmt: skip
    """Change a programme point's time and text."""
    event = _editable(session, actor, event_id)
    item = item_of(event, item_id)
    title, description = _item_text(title, description)
    starts_at, ends_at = _item_times(event, day, start, end)
    before = audit.snapshot(item, ITEM_FIELDS)
    item.title, item.description = title, description
    item.starts_at, item.ends_at = starts_at, ends_at
    old, new = audit.changed(before, audit.snapshot(item, ITEM_FIELDS))
    if new:
        audit.record(session, actor, "event.programme_update", item, old, new, now=now)
    session.commit()
    session.expire(event, ["programme"])
    return item


def remove_item(session: Session, actor, event_id: int, item_id: int, *, now=None) -> None:
    """Remove a programme point; its parallel sessions stay, no longer under it."""
    event = _editable(session, actor, event_id)
    item = item_of(event, item_id)
    for parallel in list(item.sessions):
        parallel.programme_item_id = None
    audit.record(
        session, actor, "event.programme_remove", item,
        audit.snapshot(item, ITEM_FIELDS), None, now=now,
    )  # fmt: skip
    session.flush()
    session.delete(item)
    session.commit()
    session.expire(event)


def move_item(
    session: Session, actor, event_id: int, item_id: int, direction: str, *, now=None
) -> None:
    """Move a point before or after its neighbour starting at the same time (the programme
    is in time order; points at the same time keep the order chosen here)."""
    event = _editable(session, actor, event_id)
    item = item_of(event, item_id)
    items = list(event.programme)
    index = items.index(item)
    other_index = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other_index < len(items):
        raise WrongState("time_order")
    other = items[other_index]
    if other.starts_at != item.starts_at:
        raise WrongState("time_order")
    if item.position == other.position:
        other.position += 1 if direction == "up" else -1
    item.position, other.position = other.position, item.position
    audit.record(
        session, actor, "event.programme_move", item, None,
        {"position": item.position}, now=now,
    )  # fmt: skip
    session.commit()
    session.expire(event)


def movable(event: Event) -> dict[int, tuple[bool, bool]]:
    """For each programme point: whether it can move up, and down (same start time)."""
    items = list(event.programme)
    result = {}
    for i, item in enumerate(items):
        up = i > 0 and items[i - 1].starts_at == item.starts_at
        down = i + 1 < len(items) and items[i + 1].starts_at == item.starts_at
        result[item.id] = (up, down)
    return result


# --- parallel sessions -----------------------------------------------------------------


def _session_fields(session: Session, event: Event, title, room, group_id, item_id) -> dict:
    title, room = _line(title), _line(room)
    errors = {}
    if not title:
        errors["title"] = "required"
    elif len(title) > 300:
        errors["title"] = "too_long"
    if len(room) > 200:
        errors["room"] = "too_long"
    if group_id is not None:
        group = session.get(WorkingGroup, group_id)
        if group is None or group.consultation_id != event.consultation_id:
            errors["group"] = "unknown_group"
    if item_id is not None and all(i.id != item_id for i in event.programme):
        errors["programme_item"] = "unknown_item"
    if errors:
        raise Invalid(errors)
    return {"title": title, "room": room, "group_id": group_id, "programme_item_id": item_id}


def session_of(event: Event, session_id: int) -> EventSession:
    found = next((s for s in event.sessions if s.id == session_id), None)
    if found is None:
        raise NotFound()
    return found


def add_session(
    session: Session, actor, event_id: int, *, title, room="", group_id=None,
    programme_item_id=None, now=None,
) -> EventSession:  # fmt: skip
    """Add a parallel session (one of the afternoon's workshops)."""
    event = _editable(session, actor, event_id)
    fields = _session_fields(session, event, title, room, group_id, programme_item_id)
    position = max((s.position for s in event.sessions), default=0) + 1
    parallel = EventSession(event_id=event.id, position=position, **fields)
    session.add(parallel)
    session.flush()
    audit.record(
        session, actor, "event.session_add", parallel, None,
        audit.snapshot(parallel, SESSION_FIELDS), now=now,
    )  # fmt: skip
    session.commit()
    session.expire(event, ["sessions"])
    return parallel


def update_session(
    session: Session, actor, event_id: int, session_id: int, *, title, room="",
    group_id=None, programme_item_id=None, now=None,
) -> EventSession:  # fmt: skip
    """Change a parallel session's title, room, group or programme point."""
    event = _editable(session, actor, event_id)
    parallel = session_of(event, session_id)
    fields = _session_fields(session, event, title, room, group_id, programme_item_id)
    before = audit.snapshot(parallel, SESSION_FIELDS)
    for name, value in fields.items():
        setattr(parallel, name, value)
    old, new = audit.changed(before, audit.snapshot(parallel, SESSION_FIELDS))
    if new:
        audit.record(session, actor, "event.session_update", parallel, old, new, now=now)
    session.commit()
    return parallel


def remove_session(session: Session, actor, event_id: int, session_id: int, *, now=None):
    """Remove a parallel session; refused once it has notes or comments from it."""
    event = _editable(session, actor, event_id)
    parallel = session_of(event, session_id)
    has_comments = session.scalar(
        select(func.count()).select_from(Comment).where(Comment.event_session_id == parallel.id)
    )
    if parallel.notes.strip() or has_comments:
        raise WrongState("session_has_notes")
    audit.record(
        session, actor, "event.session_remove", parallel,
        audit.snapshot(parallel, SESSION_FIELDS), None, now=now,
    )  # fmt: skip
    session.execute(delete(EventSession).where(EventSession.id == parallel.id))
    session.commit()
    session.expire(event)


# --- public ----------------------------------------------------------------------------


def public_consultation(session: Session, slug: str, now: datetime) -> Consultation:
    """The consultation ``slug`` if the public may see it (it has a public round), else
    NotFound. The one public lookup of the events pages, calendar files and registration."""
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None or public_round(consultation, now) is None:
        raise NotFound()
    return consultation


def public_events(
    session: Session, consultation: Consultation, now: datetime
) -> tuple[list[Event], list[Event]]:
    """The consultation's events: upcoming (and running) soonest first, then past newest
    first. Cancelled events stay in their place, marked as cancelled by the page."""
    events = list(
        session.scalars(
            select(Event)
            .where(Event.consultation_id == consultation.id)
            .options(selectinload(Event.groups))
            .order_by(Event.starts_at, Event.id)
        )
    )
    upcoming = [e for e in events if e.ends_at >= now]
    past = [e for e in events if e.ends_at < now]
    past.reverse()
    return upcoming, past


def public_event(session: Session, slug: str, event_slug: str, now: datetime) -> Event:
    """The event ``event_slug`` of the public consultation ``slug``, else NotFound."""
    consultation = public_consultation(session, slug, now)
    event = session.scalar(
        select(Event)
        .where(Event.consultation_id == consultation.id, Event.slug == event_slug)
        .options(
            selectinload(Event.groups),
            selectinload(Event.programme).selectinload(ProgrammeItem.sessions),
            selectinload(Event.sessions).selectinload(EventSession.group),
        )
    )
    if event is None:
        raise NotFound()
    return event


def group_ids_of(session: Session, event_id: int) -> list[int]:
    """The groups an event is listed in (one row each in event_group)."""
    return list(
        session.scalars(select(event_group.c.group_id).where(event_group.c.event_id == event_id))
    )
