"""Administration pages for consultations: the overview of every consultation and its rounds,
creating a consultation and changing it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..db import get_session
from ..errors import Invalid
from ..web import call, form_page, show_refusal
from . import bp, consultations
from .forms import ConsultationForm, error_message


@bp.get("/")
def index():
    """List the consultations with their rounds, states and the actions each round allows."""
    return render_template("admin/index.html", consultations=call(consultations.overview))


def _consultation_fields(form: ConsultationForm) -> dict:
    return {
        "title": form.title.data,
        "slug": form.slug.data,
        "summary": form.summary.data,
        "contact_name": form.contact_name.data,
        "contact_email": form.contact_email.data,
    }


@bp.route("/samrad/ny", methods=["GET", "POST"])
def new_consultation():
    """Create a consultation."""
    form = ConsultationForm()
    if form.validate_on_submit():
        try:
            consultation = call(
                consultations.create_consultation, **_consultation_fields(form), now=clock.now()
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, error_message)
        else:
            flash(
                _("The consultation is created. Now add its first round with the draft."),
                "success",
            )
            return redirect(url_for("admin.new_round", consultation_id=consultation.id))
    return form_page("admin/consultation_form.html", form, consultation=None)


@bp.route("/samrad/<int:consultation_id>/redigera", methods=["GET", "POST"])
def edit_consultation(consultation_id: int):
    """Change a consultation's title, web address, summary and contact person."""
    consultation = call(consultations.get_consultation, consultation_id)
    form = ConsultationForm(obj=None if request.method == "POST" else consultation)
    if form.validate_on_submit():
        try:
            call(
                consultations.edit_consultation,
                consultation.id,
                **_consultation_fields(form),
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, error_message)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("admin.index"))
    return form_page("admin/consultation_form.html", form, consultation=consultation)
