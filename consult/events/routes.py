"""The public pages of a consultation's events: the list (upcoming first, then past ones with
their summaries) and one event's page with its programme, place, stream and contact."""

from __future__ import annotations

from flask import render_template

from .. import clock
from ..db import get_session
from . import bp, display, services, stream
from .forms import KIND_LABELS
from .notes import notes_html


@bp.app_template_filter("event_when")
def event_when(event) -> str:
    """When an event runs, as people read it."""
    return display.when_range(event.starts_at, event.ends_at)


@bp.app_template_filter("event_clock")
def event_clock(value) -> str:
    """A clock time in Stockholm ("09.30")."""
    return display.hhmm(value)


@bp.app_template_filter("event_iso")
def event_iso(value) -> str:
    """A time for <time datetime>, with the Stockholm offset."""
    return display.iso_local(value)


@bp.app_template_filter("event_kind")
def event_kind(kind) -> str:
    """On site, online, or both."""
    return str(KIND_LABELS.get(kind, ""))


@bp.app_template_filter("event_notes")
def event_notes(text) -> str:
    """An event's summary or notes (light Markdown) as sanitised HTML, as on its page."""
    return notes_html(text)


@bp.get("/samrad/<slug>/moten")
def events_list(slug: str):
    """The consultation's events: upcoming soonest first, then past ones newest first."""
    consultation = services.public_consultation(get_session(), slug, clock.now())
    upcoming, past = services.public_events(get_session(), consultation, clock.now())
    return render_template(
        "events/list.html", consultation=consultation, upcoming=upcoming, past=past
    )


@bp.get("/samrad/<slug>/moten/<event_slug>")
def event_page(slug: str, event_slug: str):
    """One event: when and where, the stream, the programme with its sessions, the contact."""
    event = services.public_event(get_session(), slug, event_slug, clock.now())
    consultation = event.consultation
    unplaced = [s for s in event.sessions if s.programme_item_id is None]
    return render_template(
        "events/event.html",
        consultation=consultation,
        event=event,
        embed=stream.embed_url(event.stream_url),
        # Only an https link is shown, whatever wrote the row.
        stream_link=event.stream_url if stream.is_https(event.stream_url or "") else "",
        unplaced_sessions=unplaced,
        now=clock.now(),
    )
