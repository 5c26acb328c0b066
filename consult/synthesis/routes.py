"""Synthesis pages for staff: the round's overview, and the form for one theme or paragraph.

Only staff and administrators get here (the blueprint refuses others and every service
checks again). Saving is a form post that redirects back to the overview; sent by htmx it
answers with the form fragment, saved or with its errors, in place.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import clock
from ..db import get_session
from ..errors import Conflict, Invalid
from ..extensions import htmx
from ..web import call, show_refusal
from . import bp, services
from .forms import EntryForm
from .labels import texts


@bp.get("/omgang/<int:round_id>/")
def overview(round_id: int):
    """List the round's themes and commented paragraphs with the status of their entries."""
    result = call(services.overview, round_id)
    return render_template(
        "synthesis/overview.html",
        overview=result,
        round=result.round,
        consultation=result.round.consultation,
        **texts(),
    )


@bp.get("/omgang/<int:round_id>/tema/<int:theme_id>")
def theme(round_id: int, theme_id: int):
    """Show the synthesis form of a theme."""
    return _page(call(services.target, round_id, theme_id=theme_id))


@bp.get("/omgang/<int:round_id>/stycke/<int:paragraph_id>")
def paragraph(round_id: int, paragraph_id: int):
    """Show the synthesis form of a paragraph."""
    return _page(call(services.target, round_id, paragraph_id=paragraph_id))


@bp.post("/omgang/<int:round_id>/tema/<int:theme_id>")
def save_theme(round_id: int, theme_id: int):
    """Save a theme's synthesis."""
    return _save(call(services.target, round_id, theme_id=theme_id))


@bp.post("/omgang/<int:round_id>/stycke/<int:paragraph_id>")
def save_paragraph(round_id: int, paragraph_id: int):
    """Save a paragraph's synthesis."""
    return _save(call(services.target, round_id, paragraph_id=paragraph_id))


def _save(where: services.Target):
    form = EntryForm()
    try:
        call(services.save, where, **form.posted(), now=clock.now())
    except Invalid as error:
        get_session().rollback()
        show_refusal(form, error, form.error_message)
        return _page(where, form, status=422)
    except Conflict as error:
        # Keep this person's text in the form, now based on the saved version, and show
        # what the other person saved: nothing is lost and nothing overwritten.
        form.version.data = str(error.current.version)
        return _page(where, form, conflict=error.current, status=409)
    if htmx:
        return _page(where, saved=True)
    flash(_("The synthesis is saved."), "success")
    anchor = f"#s-theme-{where.theme.id}" if where.theme else f"#s-p-{where.paragraph.id}"
    return redirect(url_for("synthesis.overview", round_id=where.round.id) + anchor)


def _page(where: services.Target, form=None, *, conflict=None, saved=False, status=200):
    entry = services.entry(get_session(), where)
    form = form or EntryForm.of(entry)
    template = "synthesis/_entry.html" if htmx else "synthesis/entry.html"
    return make_response(
        render_template(
            template,
            where=where,
            round=where.round,
            consultation=where.round.consultation,
            entry=entry,
            form=form,
            conflict=conflict,
            saved=saved,
            **texts(),
        ),
        status,
    )
