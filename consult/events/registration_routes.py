"""Registration routes: register and cancel on an event's page, the calendar files, and the
attendee list with its workbook for staff and the event's managers.

The event page itself (``/samrad/<slug>/moten/<event_slug>``) includes the registration box
(templates/events/_registration.html); registering and cancelling answer with a redirect
back to it and a message, so everything works without JavaScript. The public routes find the
event as the event page does (``services.public_event``: 404 while the consultation is not
public); the attendee routes need a login, and the services decide who may see what.
"""

from __future__ import annotations

from io import BytesIO

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import clock
from ..db import get_session
from ..errors import Invalid, WrongState
from ..labels import CATEGORY_LABELS
from ..models import RegistrationStatus
from ..web import call, viewer
from . import attendees, bp, calendar, registration, services
from .messages import refusal_message

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ICS = "text/calendar; charset=utf-8"


def _event(slug: str, event_slug: str):
    return services.public_event(get_session(), slug, event_slug, clock.now())


def _back(slug: str, event_slug: str):
    return redirect(
        url_for("events.event_page", slug=slug, event_slug=event_slug, _anchor="anmalan"), code=303
    )


@bp.app_template_global()
def registration_box(event):
    """The registration state of ``event`` for the visitor (templates/events/_registration.html)."""
    return registration.status(get_session(), viewer(), event, now=clock.now())


@bp.post("/samrad/<slug>/moten/<event_slug>/anmalan")
def register(slug: str, event_slug: str):
    """Register the signed-in person for the event: a place, or the waiting list."""
    event = _event(slug, event_slug)
    try:
        done = call(
            registration.register,
            event.id,
            dietary_needs=request.form.get("dietary_needs"),
            accessibility_needs=request.form.get("accessibility_needs"),
            now=clock.now(),
        )
    except (WrongState, Invalid) as error:
        get_session().rollback()
        flash(refusal_message(error), "error")
        return _back(slug, event_slug)
    if done.status == RegistrationStatus.CONFIRMED:
        flash(_("You are registered. A confirmation has been sent to your e-mail."), "success")
    else:
        position = registration.waiting_position(get_session(), done)
        flash(
            _(
                "The event is full: you are number %(num)s on the waiting list. "
                "We tell you if you get a place.",
                num=position,
            ),
            "success",
        )
    return _back(slug, event_slug)


@bp.post("/samrad/<slug>/moten/<event_slug>/avanmalan")
def cancel_registration(slug: str, event_slug: str):
    """Cancel the signed-in person's registration; the next on the waiting list moves up."""
    event = _event(slug, event_slug)
    try:
        call(registration.cancel, event.id, now=clock.now())
    except WrongState as error:
        get_session().rollback()
        flash(refusal_message(error), "error")
        return _back(slug, event_slug)
    flash(_("Your registration is cancelled."), "success")
    return _back(slug, event_slug)


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = ICS
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.get("/samrad/<slug>/moten/<event_slug>.ics")
def event_ics(slug: str, event_slug: str):
    """The event as a calendar file."""
    event = _event(slug, event_slug)
    return _ics(calendar.event_ics(event, now=clock.now()), f"{event.slug}.ics")


@bp.get("/samrad/<slug>/moten.ics")
def feed_ics(slug: str):
    """The consultation's calendar feed, for anyone to subscribe to."""
    session = get_session()
    consultation = services.public_consultation(session, slug, clock.now())
    return _ics(calendar.feed_ics(session, consultation, now=clock.now()), f"{slug}-moten.ics")


def _to_list(event_id: int, anchor: str | None = None):
    return redirect(url_for("events.attendee_list", event_id=event_id, _anchor=anchor), code=303)


@bp.get("/moten/<int:event_id>/anmalda")
@login_required
def attendee_list(event_id: int):
    """The attendee list (staff and the event's managers; the needs for staff only)."""
    found = call(attendees.attendees, event_id, now=clock.now())
    return render_template(
        "events/attendees.html",
        found=found,
        event=found.event,
        consultation=found.event.consultation,
        categories=CATEGORY_LABELS,
        status_label=attendees.status_label,
        attended_label=attendees.attended_label,
    )


@bp.get("/moten/<int:event_id>/anmalda.xlsx")
@login_required
def attendee_xlsx(event_id: int):
    """The attendee list as a workbook (the needs columns for staff only)."""
    event, body = call(attendees.xlsx, event_id, now=clock.now())
    return send_file(
        BytesIO(body),
        mimetype=XLSX,
        as_attachment=True,
        download_name=f"{event.slug}-anmalda.xlsx",
    )


ATTENDED = {"ja": True, "nej": False, "okand": None}


@bp.post("/moten/<int:event_id>/anmalda/<int:registration_id>/narvaro")
@login_required
def mark_attended(event_id: int, registration_id: int):
    """Record whether a person came."""
    value = request.form.get("attended", "")
    if value not in ATTENDED:
        abort(400)
    try:
        call(attendees.mark_attended, event_id, registration_id, ATTENDED[value], now=clock.now())
    except WrongState as error:
        get_session().rollback()
        flash(refusal_message(error), "error")
    else:
        flash(_("Attendance saved."), "success")
    return _to_list(event_id, f"r{registration_id}")


@bp.post("/moten/<int:event_id>/anmalda/<int:registration_id>/avanmal")
@login_required
def cancel_for(event_id: int, registration_id: int):
    """Staff or a manager cancels someone's registration; the next waiting moves up."""
    try:
        promoted = call(registration.cancel_for, event_id, registration_id, now=clock.now())
    except WrongState as error:
        get_session().rollback()
        flash(refusal_message(error), "error")
    else:
        flash(_("The registration is cancelled."), "success")
        if promoted:
            flash(_("Given a place from the waiting list: %(num)s.", num=len(promoted)), "success")
    return _to_list(event_id)
