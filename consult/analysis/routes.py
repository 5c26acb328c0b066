"""Analysis pages for staff: start a job and watch it, the theme board, a theme's comments and
the actions on one comment's tags.

Only staff and administrators get here: the blueprint sends anonymous visitors to the login
page and refuses everyone else, and every service checks the acting user again. Starting a
job is a form post that redirects; sent by htmx it answers with the progress fragment, which
polls every two seconds until the job has finished.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..errors import Conflict, Invalid, WrongState
from ..extensions import htmx
from ..web import call, int_field, show_refusal
from . import board, bp, corrections, drill, queue, services, themes
from .forms import ThemeForm, error_message
from .labels import REFUSAL_TEXTS, STEP_TEXTS
from .pages import (
    board_section,
    comment_row,
    posted_version,
    progress,
    rollback,
    texts,
    theme_id_of,
    theme_page,
    theme_work,
)


@bp.get("/")
def index():
    """List the consultations and their rounds, each with a link to its theme board."""
    return render_template("analysis/index.html", consultations=call(services.rounds))


@bp.get("/omgang/<int:round_id>/")
def round_page(round_id: int):
    """Show a round's analysis: the job controls and progress, then the theme board."""
    round_ = call(services.get_round, round_id)
    job = call(services.job_status, round_id, now=clock.now(), **_limits())
    headline = call(board.headline, round_id)
    return render_template(
        "analysis/round.html",
        round=round_,
        consultation=round_.consultation,
        board=headline,
        board_html=board_section(round_, headline),
        job=job,
        **texts(),
    )


@bp.post("/omgang/<int:round_id>/starta")
def start(round_id: int):
    """Queue an analysis of the round and hand it to the worker."""
    refusal = None
    try:
        job = call(services.start, round_id, now=clock.now(), **_limits())
    except WrongState as error:
        rollback()
        refusal, job = REFUSAL_TEXTS[error.key], error.context.get("job")
    else:
        queue.dispatch(current_app._get_current_object(), job.id)
    if htmx:
        return progress(round_id, job, refusal, status=409 if refusal else 200, started=True)
    if refusal:
        flash(str(refusal), "error")
    else:
        flash(str(STEP_TEXTS["queued"]), "success")
    return redirect(url_for("analysis.round_page", round_id=round_id) + "#analysis-h")


@bp.get("/omgang/<int:round_id>/status")
def status(round_id: int):
    """Answer htmx polling with the progress fragment; others go to the round's page."""
    job = call(services.job_status, round_id, now=clock.now(), **_limits())
    if not htmx:
        return redirect(url_for("analysis.round_page", round_id=round_id))
    return progress(round_id, job, polled=True)


def _limits() -> dict:
    return services.limits(current_app.config)


@bp.route("/omgang/<int:round_id>/avbryt", methods=["GET", "POST"])
def cancel(round_id: int):
    """Stop the round's queued or running job: a confirmation page (or, for htmx, the
    question in place of the progress bar), then the stop itself on a post."""
    if request.method == "GET" or request.form.get("confirmed") != "yes":
        job = call(services.job_status, round_id, now=clock.now(), **_limits())
        template = "analysis/_cancel.html" if htmx else "analysis/cancel.html"
        round_ = call(services.get_round, round_id)
        return render_template(
            template, round=round_, consultation=round_.consultation, job=job, **texts()
        )
    refusal = None
    try:
        job = call(services.cancel, round_id, now=clock.now())
    except WrongState as error:
        rollback()
        refusal, job = REFUSAL_TEXTS[error.key], error.context.get("job")
    else:
        queue.stop(current_app._get_current_object(), job.id)
    if htmx:
        return progress(round_id, job, refusal, status=409 if refusal else 200, started=True)
    if refusal:
        flash(str(refusal), "error")
    else:
        flash(_("The analysis is stopped. You can start it again."), "success")
    return redirect(url_for("analysis.round_page", round_id=round_id) + "#analysis-h")



@bp.get("/omgang/<int:round_id>/tema/<theme_key>")
def theme(round_id: int, theme_key: str):
    """List a theme's comments (or the unassigned ones), filtered and paginated.

    A theme staff merged, split or deleted says what became of it instead.
    """
    theme_id = theme_id_of(theme_key)
    if theme_id is not None:
        gone = call(themes.fate, round_id, theme_id)
        if gone is None and htmx.target == "theme-work":
            # The progress of a split or proposal search, polled by the theme's page.
            return theme_work(round_id, theme_id)
        if gone is not None:
            round_ = gone.round
            return render_template(
                "analysis/retired.html",
                round=round_,
                consultation=round_.consultation,
                theme=gone.theme,
                successor=gone.successor,
                parts=gone.parts,
                synthesis=gone.synthesis,
            )
    return theme_page(round_id, theme_id)


@bp.post("/omgang/<int:round_id>/tema/<int:theme_id>/redigera")
def edit_theme(round_id: int, theme_id: int):
    """Rename and describe a theme, refusing if someone else saved it since the form loaded."""
    form = ThemeForm()
    try:
        call(
            corrections.edit_theme,
            round_id,
            theme_id,
            name=form.name.data or "",
            description=form.description.data or "",
            version=posted_version(),
            now=clock.now(),
        )
    except Invalid as error:
        rollback()
        show_refusal(form, error, error_message)
        return theme_page(round_id, theme_id, form)
    except Conflict as error:
        # Keep what this person wrote in the form, now based on the saved version, and
        # show what the other person saved: nothing is lost and nothing overwritten.
        form.version.data = str(error.current.version)
        return theme_page(round_id, theme_id, form, conflict=error.current)
    flash(_("The theme is saved."), "success")
    return redirect(url_for("analysis.theme", round_id=round_id, theme_key=theme_id))


def _answer(round_id: int, comment_id: int, theme_id: int | None, notice: str):
    """Answer a tag action: the comment's row for htmx, else back to the list it came from."""
    if htmx:
        return comment_row(round_id, comment_id, theme_id, notice)
    flash(notice, "success")
    key = drill.UNASSIGNED if theme_id is None else theme_id
    return redirect(
        url_for("analysis.theme", round_id=round_id, theme_key=key) + f"#ac-{comment_id}"
    )


def _required_field(name: str) -> int:
    """A theme number from the posted form; 400 when it is missing or not a number."""
    value = int_field(name)
    if value is None:
        abort(400)
    return value


@bp.post("/omgang/<int:round_id>/synpunkt/<int:comment_id>/flytta")
def move_tag(round_id: int, comment_id: int):
    """Move a comment from one theme to another."""
    from_theme, to_theme = _required_field("from_theme"), _required_field("to_theme")
    tag = call(
        corrections.move_tag,
        round_id,
        comment_id,
        from_theme_id=from_theme,
        to_theme_id=to_theme,
        now=clock.now(),
    )
    notice = _("Moved to the theme “%(name)s”.", name=tag.theme.name)
    return _answer(round_id, comment_id, from_theme, notice)


@bp.post("/omgang/<int:round_id>/synpunkt/<int:comment_id>/bekrafta")
def confirm_tag(round_id: int, comment_id: int):
    """Confirm the engine's tag of a comment."""
    theme_id = _required_field("theme")
    call(corrections.confirm_tag, round_id, comment_id, theme_id, now=clock.now())
    return _answer(round_id, comment_id, theme_id, _("The theme is confirmed."))


@bp.post("/omgang/<int:round_id>/synpunkt/<int:comment_id>/tagga")
def add_tag(round_id: int, comment_id: int):
    """Give a comment without a theme a theme by hand (the theme chosen in the page's one
    list of themes, ``to_theme``, or ``theme``)."""
    theme_id = int_field("theme") or _required_field("to_theme")
    tag = call(corrections.add_tag, round_id, comment_id, theme_id, now=clock.now())
    notice = _("Added to the theme “%(name)s”.", name=tag.theme.name)
    return _answer(round_id, comment_id, None, notice)
