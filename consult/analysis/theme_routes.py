"""Analysis pages for staff's operations on whole themes and on many comments at once.

Merge, delete (with a confirmation page), split and create a theme by hand; accept or reject
the tagger's proposals; act on many selected comments; read a comment's history of themes.
Same rules as ``routes``: staff only (the blueprint and every service check), a form post
that redirects without JavaScript, and a refused operation shows why and changes nothing.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import clock
from ..errors import Conflict, Invalid
from ..extensions import htmx
from ..web import call, form_page, int_field, int_list, parse_int, show_refusal
from . import bp, bulk, drill, history, proposals, queue, services, split, themes
from .forms import OPERATION_ERRORS, ThemeForm, error_message
from .pages import posted_version, rollback, theme_page


def _operation_failed(round_id: int, theme_id: int | None, error, field: str | None = None):
    """Answer a refused theme operation: the theme's page with the reason, nothing changed."""
    rollback()
    if isinstance(error, Conflict):
        return theme_page(round_id, theme_id, conflict=error.current, operation_conflict=True)
    key = next(iter(error.errors.items()))
    return theme_page(
        round_id, theme_id, operation_error=str(OPERATION_ERRORS[key]), operation=field
    )


@bp.post("/omgang/<int:round_id>/tema/<int:theme_id>/sla-ihop")
def merge_themes(round_id: int, theme_id: int):
    """Merge the chosen themes into this one."""
    try:
        merged = call(
            themes.merge_themes,
            round_id,
            theme_id,
            others=int_list(request.form.getlist("others")),
            version=posted_version(),
            now=clock.now(),
        )
    except (Invalid, Conflict) as error:
        return _operation_failed(round_id, theme_id, error, "merge")
    if merged.count:
        notice = ngettext(
            "%(num)s theme was merged into “%(name)s”.",
            "%(num)s themes were merged into “%(name)s”.",
            merged.count,
            name=merged.theme.name,
        )
    else:
        # The same merge again (a double click, the back button): it is done already.
        notice = _("These themes are merged into “%(name)s” already.", name=merged.theme.name)
    flash(notice, "success")
    return redirect(url_for("analysis.theme", round_id=round_id, theme_key=theme_id))


def _already_gone(round_id: int, theme_id: int):
    """Return a redirect to the page saying what became of a theme staff retired, or None.

    A repeated post (a double click, the back button) then shows the theme's fate, not 404.
    """
    if call(themes.retired_theme, round_id, theme_id) is None:
        return None
    return redirect(url_for("analysis.theme", round_id=round_id, theme_key=theme_id))


@bp.route("/omgang/<int:round_id>/tema/<int:theme_id>/ta-bort", methods=["GET", "POST"])
def delete_theme(round_id: int, theme_id: int):
    """Ask to confirm deleting a theme (GET); delete it (POST) and go back to the board."""
    gone = _already_gone(round_id, theme_id)
    if gone is not None:
        return gone
    if request.method == "GET":
        about = call(themes.deletion, round_id, theme_id)
        return render_template(
            "analysis/delete.html",
            round=about.round,
            consultation=about.round.consultation,
            theme=about.theme,
            count=about.comments,
        )
    try:
        theme = call(
            themes.delete_theme, round_id, theme_id, version=posted_version(), now=clock.now()
        )
    except Conflict as error:
        return _operation_failed(round_id, theme_id, error)
    flash(
        _("The theme “%(name)s” is deleted; its comments are without a theme.", name=theme.name),
        "success",
    )
    return redirect(url_for("analysis.round_page", round_id=round_id))


@bp.post("/omgang/<int:round_id>/synpunkter")
def bulk_tags(round_id: int):
    """Move, add or confirm the tags of the selected comments, all or nothing."""
    back = request.form.get("back", drill.UNASSIGNED)
    back_id = None if back == drill.UNASSIGNED else parse_int(back)
    if back != drill.UNASSIGNED and back_id is None:
        abort(400)
    try:
        done = call(
            bulk.apply,
            round_id,
            action=request.form.get("action", ""),
            comment_ids=int_list(request.form.getlist("comments")),
            from_theme_id=int_field("from_theme"),
            to_theme_id=int_field("to_theme"),
            now=clock.now(),
        )
    except Invalid as error:
        rollback()
        key = next(iter(error.errors.items()))
        return theme_page(
            round_id, back_id, operation_error=str(OPERATION_ERRORS[key]), operation="bulk"
        )
    if done.changed:
        notice = ngettext("%(num)s comment changed.", "%(num)s comments changed.", done.changed)
    else:
        notice = _("Nothing to change: this was done already.")
    flash(notice, "success")
    return redirect(url_for("analysis.theme", round_id=round_id, theme_key=back) + "#list-h")


@bp.get("/omgang/<int:round_id>/synpunkt/<int:comment_id>/historik")
def comment_history(round_id: int, comment_id: int):
    """Show the history of a comment's themes: the list alone for htmx, else a page."""
    comment, entries = call(history.of_comment, round_id, comment_id)
    if htmx:
        return render_template("analysis/_history.html", entries=entries, round_id=round_id)
    round_ = comment.round
    return render_template(
        "analysis/history.html",
        round=round_,
        consultation=round_.consultation,
        comment=comment,
        entries=entries,
        round_id=round_id,
    )


@bp.route("/omgang/<int:round_id>/nytt-tema", methods=["GET", "POST"])
def new_theme(round_id: int):
    """Make a theme by hand (GET: the form); the tagger then proposes its comments."""
    round_ = call(services.get_round, round_id)
    app = current_app._get_current_object()
    form = ThemeForm() if request.method == "POST" else ThemeForm(formdata=None)
    if request.method == "POST":
        try:
            theme, count = call(
                proposals.create_theme,
                round_id,
                name=form.name.data or "",
                description=form.description.data or "",
                now=clock.now(),
                dispatch=lambda theme_id: queue.dispatch_proposals(app, theme_id),
            )
        except Invalid as error:
            rollback()
            show_refusal(form, error, error_message)
        else:
            flash(_created_notice(count), "success")
            return redirect(
                url_for("analysis.theme", round_id=round_id, theme_key=theme.id) + "#proposals-h"
            )
    return form_page(
        "analysis/new_theme.html", form, round=round_, consultation=round_.consultation
    )


def _created_notice(count: int | None) -> str:
    if count is None:
        return _(
            "The theme is created. The tagger is looking for its comments: reload the page"
            " in a moment to see its proposals."
        )
    return ngettext(
        "The theme is created. %(num)s comment is proposed for it.",
        "The theme is created. %(num)s comments are proposed for it.",
        count,
    )


def _decide(round_id: int, proposal_id: int, accept: bool):
    proposal = call(proposals.decide, round_id, proposal_id, accept=accept, now=clock.now())
    notice = _("Added to the theme.") if accept else _("The proposal is rejected.")
    if not htmx:
        flash(notice, "success")
        return redirect(
            url_for("analysis.theme", round_id=round_id, theme_key=proposal.theme_id)
            + "#proposals-h"
        )
    return render_template(
        "analysis/_proposal.html", proposal=proposal, round_id=round_id, notice=notice
    )


@bp.post("/omgang/<int:round_id>/forslag/<int:proposal_id>/godta")
def accept_proposal(round_id: int, proposal_id: int):
    """Accept the tagger's proposal: the comment gets the theme."""
    return _decide(round_id, proposal_id, True)


@bp.post("/omgang/<int:round_id>/forslag/<int:proposal_id>/avvisa")
def reject_proposal(round_id: int, proposal_id: int):
    """Reject the tagger's proposal."""
    return _decide(round_id, proposal_id, False)


@bp.post("/omgang/<int:round_id>/tema/<int:theme_id>/dela")
def split_theme(round_id: int, theme_id: int):
    """Split the theme into the number of parts chosen (in the background if it is large)."""
    gone = _already_gone(round_id, theme_id)
    if gone is not None:
        return gone
    parts = int_field("parts")
    app = current_app._get_current_object()
    try:
        created = call(
            split.split_theme,
            round_id,
            theme_id,
            parts=-1 if parts is None else parts,
            version=posted_version(),
            now=clock.now(),
            dispatch=lambda *args: queue.dispatch_split(app, *args),
        )
    except (Invalid, Conflict) as error:
        return _operation_failed(round_id, theme_id, error, "split")
    if created is None:
        flash(
            _("The theme is being split. Reload the page in a moment to see the new themes."),
            "success",
        )
    else:
        flash(
            ngettext(
                "The theme is split into %(num)s theme.",
                "The theme is split into %(num)s themes.",
                len(created),
            ),
            "success",
        )
    return redirect(url_for("analysis.theme", round_id=round_id, theme_key=theme_id))
