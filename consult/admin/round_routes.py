"""Administration pages for one round: its page, creating it with its draft, its settings,
replacing its draft, and the preview of the draft as participants see it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..consultations import services as reading
from ..consultations import versions
from ..db import get_session
from ..errors import Invalid, WrongState
from ..web import call, form_page, show_refusal
from . import audit_log, bp, consultations, pages, rounds
from .forms import DraftForm, NewRoundForm, RoundForm, error_message, state_message, to_local


@bp.route("/samrad/<int:consultation_id>/ny-omgang", methods=["GET", "POST"])
def new_round(consultation_id: int):
    """Add a round to a consultation, with its draft from a .docx or .md file."""
    consultation = call(consultations.get_consultation, consultation_id)
    form = NewRoundForm()
    previous = consultation.rounds[-1] if consultation.rounds else None
    if request.method == "GET":
        form.title.data = _("Consultation round %(n)s", n=len(consultation.rounds) + 1)
        if previous is not None:
            # The previous round's rules are the likeliest choice; its dates have passed.
            form.moderation.data = previous.moderation.value
            form.commenters.data = previous.commenters.value
            form.confirmed_email_only.data = previous.confirmed_email_only
            form.report_threshold.data = previous.report_threshold
    if form.validate_on_submit():
        try:
            round_ = call(
                rounds.create_round,
                consultation.id,
                title=form.title.data,
                opens_at=form.opens_at.utc,
                closes_at=form.closes_at.utc,
                moderation=form.moderation.data,
                commenters=form.commenters.data,
                confirmed_email_only=form.confirmed_email_only.data,
                report_threshold=form.report_threshold.data,
                draft=pages.draft_file(form.draft),
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, error_message)
        else:
            flash(
                _("The round is created. Check the preview before it opens."),
                "success",
            )
            return redirect(url_for("admin.round_page", round_id=round_.id))
    return form_page(
        "admin/round_form.html",
        form,
        consultation=consultation,
        round=None,
        locked=False,
        previous=previous,
    )


@bp.get("/omgang/<int:round_id>/")
def round_page(round_id: int):
    """Show a round: its settings, its draft, the actions its state allows, and its history."""
    return pages.round_page(call(rounds.get_round, round_id))


@bp.route("/omgang/<int:round_id>/redigera", methods=["GET", "POST"])
def edit_round(round_id: int):
    """Change a round's settings; dates and rules only until it opens."""
    round_ = call(rounds.get_round, round_id)
    locked = pages.state_of(round_) not in rounds.EDITABLE_STATES
    if request.method == "POST":
        form = RoundForm()
    else:
        form = RoundForm(
            data={
                "title": round_.title,
                "opens_at": to_local(round_.opens_at),
                "closes_at": to_local(round_.closes_at),
                "moderation": round_.moderation.value,
                "commenters": round_.commenters.value,
                "confirmed_email_only": round_.confirmed_email_only,
                "report_threshold": round_.report_threshold,
            }
        )
    if form.validate_on_submit():
        try:
            call(
                rounds.edit_round,
                round_.id,
                title=form.title.data,
                opens_at=round_.opens_at if locked else form.opens_at.utc,
                closes_at=round_.closes_at if locked else form.closes_at.utc,
                moderation=round_.moderation.value if locked else form.moderation.data,
                commenters=round_.commenters.value if locked else form.commenters.data,
                confirmed_email_only=(
                    round_.confirmed_email_only if locked else form.confirmed_email_only.data
                ),
                report_threshold=form.report_threshold.data,
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, error_message)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("admin.round_page", round_id=round_.id))
    return form_page(
        "admin/round_form.html",
        form,
        consultation=round_.consultation,
        round=round_,
        locked=locked,
        admin_labels=audit_log.labels_for_pages(),
    )


@bp.route("/omgang/<int:round_id>/utkast", methods=["GET", "POST"])
def replace_draft(round_id: int):
    """Replace the draft of a round that has not opened yet."""
    round_ = call(rounds.get_round, round_id)
    form = DraftForm()
    if form.validate_on_submit():
        try:
            call(
                rounds.replace_draft, round_.id, draft=pages.draft_file(form.draft), now=clock.now()
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, error_message)
        except WrongState as error:
            get_session().rollback()
            flash(state_message(error.key), "error")
            return redirect(url_for("admin.round_page", round_id=round_.id))
        else:
            flash(_("The draft is replaced. Check the preview."), "success")
            return redirect(url_for("admin.round_page", round_id=round_.id))
    elif request.method == "GET" and pages.state_of(round_) not in rounds.EDITABLE_STATES:
        flash(state_message("started"), "error")
        return redirect(url_for("admin.round_page", round_id=round_.id))
    return form_page("admin/draft_form.html", form, round=round_, consultation=round_.consultation)


@bp.get("/omgang/<int:round_id>/forhandsvisning")
def preview(round_id: int):
    """Show the round's draft exactly as participants see it (the participants' page)."""
    round_ = call(rounds.get_round, round_id)
    view = reading.document_view(get_session(), round_)
    if view is None:
        abort(404)
    flash(
        _(
            "Preview of round %(n)s as participants see it. Return to the administration "
            "through the menu.",
            n=round_.number,
        ),
        "info",
    )
    return render_template(
        "consultations/round.html",
        round=round_,
        consultation=round_.consultation,
        read_draft=lambda: view,
        state=pages.state_of(round_),
        previous_round=versions.previous_round(get_session(), round_),
    )
