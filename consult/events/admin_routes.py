"""Managing events (every URL under /moten/): the list of a consultation's events with the
form to create one, and the page where an event's details, groups, programme and parallel
sessions are changed and the event is cancelled.

Anonymous visitors are sent to the login page; the services decide who may do what
(staff, administrators, and the chair or secretary of a group the event belongs to).
"""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..db import get_session
from ..errors import Invalid, WrongState
from ..web import call, form_page, parse_int, show_refusal
from . import bp, services
from .display import day_label, hhmm
from .forms import KIND_LABELS, EventForm, ItemForm, SessionForm, message, state_message


def _group_choices(form: EventForm, groups, event=None) -> None:
    shown = {g.id: g for g in groups}
    for group in event.groups if event is not None else []:
        shown.setdefault(group.id, group)
    form.groups.choices = [(g.id, g.name) for g in shown.values()]


@bp.route("/moten/samrad/<int:consultation_id>", methods=["GET", "POST"])
@login_required
def manage(consultation_id: int):
    """The consultation's events for those who manage them, and a form to create one."""
    view = call(services.overview, consultation_id)
    form = EventForm()
    _group_choices(form, view.groups)
    if request.method == "POST" and form.validate():
        try:
            event = call(
                services.create_event,
                consultation_id,
                form.fields_dict(),
                form.groups.data or [],
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        else:
            flash(_("The event is created. Now add its programme."), "success")
            return redirect(url_for("events.edit", event_id=event.id))
    return form_page("events/manage.html", form, view=view, kind_labels=KIND_LABELS)


def _item_form(event, item=None, formdata=None) -> ItemForm:
    days = services.event_days(event)
    data = None
    if item is not None:
        start = clock.to_local(item.starts_at)
        data = {
            "day": start.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "end": clock.to_local(item.ends_at).strftime("%H:%M") if item.ends_at else "",
            "title": item.title,
            "description": item.description,
        }
    form = ItemForm(formdata=formdata, data=data, prefix="item")
    form.day.choices = [(d.isoformat(), day_label(d)) for d in days]
    return form


def _session_form(event, parallel=None, formdata=None) -> SessionForm:
    data = None
    if parallel is not None:
        data = {
            "title": parallel.title,
            "room": parallel.room,
            "group": str(parallel.group_id or ""),
            "programme_item": str(parallel.programme_item_id or ""),
        }
    form = SessionForm(formdata=formdata, data=data, prefix="session")
    groups = services.consultation_groups(get_session(), event.consultation_id)
    form.group.choices = [("", _("No group"))] + [(str(g.id), g.name) for g in groups]
    form.programme_item.choices = [("", _("None"))] + [
        (str(i.id), f"{hhmm(i.starts_at)} {i.title}") for i in event.programme
    ]
    return form


def _edit_page(event, *, form=None, item_form=None, session_form=None):
    form = form or EventForm.for_event(event, prefix="event", formdata=None)
    managed = services.managed_groups(get_session(), current_user, event.consultation_id)
    _group_choices(form, managed, event)
    locked = {g.id for g in event.groups} - {g.id for g in managed}
    item_form = item_form or _item_form(event)
    session_form = session_form or _session_form(event)
    errors = form.errors or item_form.errors or session_form.errors
    page = form_page(
        "events/edit.html",
        form,
        event=event,
        item_form=item_form,
        session_form=session_form,
        movable=services.movable(event),
        kind_labels=KIND_LABELS,
        locked_groups=locked,
    )
    if errors:
        page.status_code = 422
    return page


def _back(event_id: int, anchor: str = ""):
    return redirect(url_for("events.edit", event_id=event_id) + anchor)


def _refused(event_id: int, error: WrongState):
    get_session().rollback()
    flash(state_message(error.key), "error")
    return _back(event_id)


@bp.route("/moten/<int:event_id>/redigera", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    """Change an event's details and groups; the page also holds its programme and sessions."""
    event = call(services.get_event, event_id)
    if request.method == "GET":
        return _edit_page(event)
    form = EventForm(prefix="event")
    _group_choices(
        form, services.managed_groups(get_session(), current_user, event.consultation_id), event
    )
    if form.validate():
        try:
            call(
                services.update_event,
                event_id,
                form.fields_dict(),
                form.groups.data or [],
                now=clock.now(),
            )
        except WrongState as error:
            return _refused(event_id, error)
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        else:
            flash(_("Your changes are saved."), "success")
            return _back(event_id)
    return _edit_page(call(services.get_event, event_id), form=form)


@bp.post("/moten/<int:event_id>/installa")
@login_required
def cancel(event_id: int):
    """Cancel the event (it stays listed, marked as cancelled), once the box is ticked."""
    if not request.form.get("bekrafta"):
        call(services.get_event, event_id)
        flash(_("Tick the box to confirm that the event is cancelled."), "error")
        return _back(event_id)
    try:
        call(services.cancel_event, event_id, now=clock.now())
    except WrongState as error:
        return _refused(event_id, error)
    flash(_("The event is cancelled."), "success")
    return _back(event_id)


def _item_values(form: ItemForm) -> dict:
    try:
        day = date.fromisoformat(form.day.data or "")
    except ValueError:
        day = None
    return {
        "day": day,
        "start": form.start.data,
        "end": form.end.data,
        "title": form.title.data,
        "description": form.description.data,
    }


@bp.post("/moten/<int:event_id>/program")
@login_required
def add_item(event_id: int):
    """Add a point to the programme."""
    event = call(services.get_event, event_id)
    form = _item_form(event, formdata=request.form)
    try:
        call(services.add_item, event_id, **_item_values(form), now=clock.now())
    except WrongState as error:
        return _refused(event_id, error)
    except Invalid as error:
        get_session().rollback()
        show_refusal(form, error, message)
        return _edit_page(call(services.get_event, event_id), item_form=form)
    flash(_("The programme point is added."), "success")
    return _back(event_id, "#programme")


@bp.route("/moten/<int:event_id>/program/<int:item_id>", methods=["GET", "POST"])
@login_required
def edit_item(event_id: int, item_id: int):
    """Change a programme point."""
    event = call(services.get_event, event_id)
    item = services.item_of(event, item_id)
    if request.method == "GET":
        form = _item_form(event, item)
    else:
        form = _item_form(event, formdata=request.form)
        try:
            call(services.update_item, event_id, item_id, **_item_values(form), now=clock.now())
        except WrongState as error:
            return _refused(event_id, error)
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
            event = call(services.get_event, event_id)
            item = services.item_of(event, item_id)
        else:
            flash(_("The programme point is saved."), "success")
            return _back(event_id, "#programme")
    return form_page("events/item_form.html", form, event=event, item=item)


@bp.post("/moten/<int:event_id>/program/<int:item_id>/ta-bort")
@login_required
def remove_item(event_id: int, item_id: int):
    """Remove a programme point."""
    try:
        call(services.remove_item, event_id, item_id, now=clock.now())
    except WrongState as error:
        return _refused(event_id, error)
    flash(_("The programme point is removed."), "success")
    return _back(event_id, "#programme")


@bp.post("/moten/<int:event_id>/program/<int:item_id>/flytta")
@login_required
def move_item(event_id: int, item_id: int):
    """Move a programme point up or down among those starting at the same time."""
    try:
        call(
            services.move_item, event_id, item_id, request.form.get("riktning", ""), now=clock.now()
        )
    except WrongState as error:
        return _refused(event_id, error)
    return _back(event_id, "#programme")


def _session_values(form: SessionForm) -> dict:
    return {
        "title": form.title.data,
        "room": form.room.data,
        "group_id": parse_int(form.group.data),
        "programme_item_id": parse_int(form.programme_item.data),
    }


@bp.post("/moten/<int:event_id>/pass")
@login_required
def add_session(event_id: int):
    """Add a parallel session."""
    event = call(services.get_event, event_id)
    form = _session_form(event, formdata=request.form)
    try:
        call(services.add_session, event_id, **_session_values(form), now=clock.now())
    except WrongState as error:
        return _refused(event_id, error)
    except Invalid as error:
        get_session().rollback()
        show_refusal(form, error, message)
        return _edit_page(call(services.get_event, event_id), session_form=form)
    flash(_("The session is added."), "success")
    return _back(event_id, "#sessions")


@bp.route("/moten/<int:event_id>/pass/<int:session_id>", methods=["GET", "POST"])
@login_required
def edit_session(event_id: int, session_id: int):
    """Change a parallel session."""
    event = call(services.get_event, event_id)
    parallel = services.session_of(event, session_id)
    if request.method == "GET":
        form = _session_form(event, parallel)
    else:
        form = _session_form(event, formdata=request.form)
        try:
            call(
                services.update_session,
                event_id,
                session_id,
                **_session_values(form),
                now=clock.now(),
            )
        except WrongState as error:
            return _refused(event_id, error)
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
            event = call(services.get_event, event_id)
            parallel = services.session_of(event, session_id)
        else:
            flash(_("The session is saved."), "success")
            return _back(event_id, "#sessions")
    return form_page("events/session_form.html", form, event=event, parallel=parallel)


@bp.post("/moten/<int:event_id>/pass/<int:session_id>/ta-bort")
@login_required
def remove_session(event_id: int, session_id: int):
    """Remove a parallel session."""
    try:
        call(services.remove_session, event_id, session_id, now=clock.now())
    except WrongState as error:
        return _refused(event_id, error)
    flash(_("The session is removed."), "success")
    return _back(event_id, "#sessions")
