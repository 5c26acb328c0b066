"""Calendar files (RFC 5545) of dialogue events: one event, or a consultation's feed.

Anyone may subscribe to a consultation's feed: every event that is not cancelled, and the
cancelled ones marked ``STATUS:CANCELLED`` so that a subscribed calendar drops them. Each
entry has a stable UID, its times in UTC, the place (or the stream link), the programme in
its description and a URL back to the event's page.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import to_local
from ..models import Consultation, Event
from ..notifications import absolute_url
from ..paths import event_path

PRODID = "-//Consult//Samråd//SV"
MEDIA_TYPE = "text/calendar"


def uid(event: Event) -> str:
    """The event's calendar UID: the same in every file, as long as the event exists."""
    return f"event-{event.id}-{event.created_at.strftime('%Y%m%dT%H%M%SZ')}@consult"


def _clock(value: datetime) -> str:
    return to_local(value).strftime("%H:%M")


def description(event: Event) -> str:
    """The event's description with its programme (Swedish times) and stream link."""
    parts = []
    if event.description.strip():
        parts.append(event.description.strip())
    if event.programme:
        lines = [_("Programme") + ":"]
        for item in event.programme:
            when = _clock(item.starts_at)
            if item.ends_at:
                when += "–" + _clock(item.ends_at)
            lines.append(f"{when} {item.title}")
        parts.append("\n".join(lines))
    if event.stream_url:
        parts.append(_("Livestream") + ": " + event.stream_url)
    if event.contact_name or event.contact_email:
        contact = " ".join(p for p in (event.contact_name, event.contact_email) if p)
        parts.append(_("Contact") + ": " + contact)
    return "\n\n".join(parts)


def location(event: Event) -> str:
    """Where the event is: the venue and its address, or the stream link for online ones."""
    place = ", ".join(p for p in (event.venue_name, event.venue_address) if p.strip())
    return place or event.stream_url


def _entry(event: Event, now: datetime) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", uid(event))
    entry.add("dtstamp", now)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", event.title)
    text = description(event)
    if text:
        entry.add("description", text)
    place = location(event)
    if place:
        entry.add("location", place)
    entry.add("url", absolute_url(event_path(event)))
    if event.created_at:
        entry.add("created", event.created_at)
    if event.cancelled_at is not None:
        entry.add("status", "CANCELLED")
    else:
        entry.add("status", "CONFIRMED")
    return entry


def _calendar(name: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def event_ics(event: Event, *, now: datetime) -> bytes:
    """The calendar file of one event."""
    calendar = _calendar()
    calendar.add_component(_entry(event, now))
    return calendar.to_ical()


def feed_ics(session: Session, consultation: Consultation, *, now: datetime) -> bytes:
    """The consultation's calendar feed: all its events, cancelled ones marked so."""
    calendar = _calendar(consultation.title)
    events = session.scalars(
        select(Event)
        .where(Event.consultation_id == consultation.id)
        .order_by(Event.starts_at, Event.id)
    )
    for event in events:
        calendar.add_component(_entry(event, now))
    return calendar.to_ical()
