"""The notes page of a dialogue event: the day's summary, each session's notes, and the
points raised, recorded as comments on the draft. For those who may manage the event (the
services check); a refused form comes back with the text kept and the reason beside it.
"""

from __future__ import annotations

import secrets

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import clock
from ..consultations.comments import RoundClosed
from ..consultations.forms import error_message
from ..consultations.urls import comment_url
from ..db import get_session
from ..errors import Invalid, WrongState
from ..labels import CATEGORY_LABELS, KIND_LABELS
from ..models import Category, CommentStatus
from ..paths import event_path
from ..web import call, parse_int, sent_form, viewer
from . import bp, contributions, notes


def _message(field: str, key: str) -> str:
    if field == "target":
        return _("Choose a paragraph or section of the draft.")
    if field == "text" and key == "too_long":
        return _("The text is too long: at most %(n)s characters.", n=notes.NOTES_MAX_CHARS)
    return error_message(key, current_app.config["COMMENT_MAX_CHARS"])


def _state_message(error: WrongState) -> str:
    if isinstance(error, RoundClosed):
        return _(
            "No round of the consultation is open for comments now, so points cannot be "
            "added as comments. Write them in the session's notes instead."
        )
    if error.key == "cancelled":
        return _("The event was cancelled.")
    return _("Notes can be written once the event has started.")


def _page(event_id: int, *, form: str = "", errors=None, sent=None, notice=None, status=200):
    page = call(contributions.notes_page, event_id, now=clock.now())
    return make_response(
        render_template(
            "events/notes.html",
            page=page,
            event=page.event,
            consultation=page.event.consultation,
            event_path=event_path(page.event),
            kinds=[(k.value, KIND_LABELS[k]) for k in contributions.KINDS],
            categories=[(c.value, CATEGORY_LABELS[c]) for c in Category],
            form_key=form,
            errors=errors or {},
            sent=sent or {},
            notice=notice,
            max_chars=current_app.config["COMMENT_MAX_CHARS"],
            new_key=lambda: secrets.token_hex(16),
        ),
        status,
    )


def _refused(event_id: int, form: str, error, sent):
    get_session().rollback()
    if isinstance(error, Invalid):
        errors = {name: _message(name, key) for name, key in error.errors.items()}
        return _page(event_id, form=form, errors=errors, sent=sent, status=422)
    return _page(event_id, form=form, sent=sent, notice=_state_message(error), status=409)


@bp.app_context_processor
def _record_helpers():
    """``event_record(event)`` for the public event page's notes (events/_notes.html), and
    ``event_path(event)`` for the origin of a comment recorded from an event."""
    return {
        "event_record": _event_record,
        "event_path": event_path,
        "point_url": comment_url,
    }


def _event_record(event):
    return notes.public_record(get_session(), viewer(), event, now=clock.now())


def _back(event_id: int, anchor: str):
    return redirect(url_for("events.notes_page", event_id=event_id) + f"#{anchor}", 303)


@bp.get("/moten/<int:event_id>/anteckningar")
@login_required
def notes_page(event_id: int):
    """Show the event's summary and notes forms, and the points recorded so far."""
    return _page(event_id)


@bp.post("/moten/<int:event_id>/anteckningar/sammanfattning")
@login_required
def save_summary(event_id: int):
    """Save the day's summary."""
    form, _unreadable = sent_form()
    text = form.get("text", "")
    try:
        call(notes.save_summary, event_id, text=text, now=clock.now())
    except (Invalid, WrongState) as error:
        return _refused(event_id, "summary", error, {"text": text})
    flash(_("The summary is saved."), "success")
    return _back(event_id, "summary")


@bp.post("/moten/<int:event_id>/anteckningar/pass/<int:session_id>")
@login_required
def save_session_notes(event_id: int, session_id: int):
    """Save one session's notes."""
    form, _unreadable = sent_form()
    text = form.get("text", "")
    try:
        call(notes.save_session_notes, event_id, session_id, text=text, now=clock.now())
    except (Invalid, WrongState) as error:
        return _refused(event_id, f"notes-{session_id}", error, {"text": text})
    flash(_("The notes are saved."), "success")
    return _back(event_id, f"session-{session_id}")


@bp.post("/moten/<int:event_id>/anteckningar/punkt")
@login_required
def add_point(event_id: int):
    """Record a point raised at the event as a comment on the draft."""
    form, _unreadable = sent_form()
    raw_session = form.get("session", "")
    session_id = parse_int(raw_session) if raw_session else None
    if raw_session and session_id is None:
        abort(404)
    sent = {
        name: form.get(name, "")
        for name in ("target", "kind", "body", "proposed_text", "category", "submission_key")
    }
    key = f"point-{session_id or 'day'}"
    try:
        comment = call(
            contributions.add_point,
            event_id,
            session_id,
            target=sent["target"],
            kind=sent["kind"],
            body=sent["body"],
            proposed_text=sent["proposed_text"] or None,
            category=sent["category"] or None,
            submission_key=sent["submission_key"],
            now=clock.now(),
            max_chars=current_app.config["COMMENT_MAX_CHARS"],
        )
    except (Invalid, WrongState) as error:
        return _refused(event_id, key, error, sent)
    if comment.status == CommentStatus.PENDING:
        flash(
            _(
                "The point is added as a comment on the draft (no. %(id)s). It is published "
                "once it has been reviewed.",
                id=comment.id,
            ),
            "success",
        )
    else:
        flash(
            _("The point is added as a comment on the draft (no. %(id)s).", id=comment.id),
            "success",
        )
    return _back(event_id, key)
