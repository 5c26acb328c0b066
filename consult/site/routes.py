"""The privacy notice and the accessibility statement (everyone), their editing and the
retention periods (administrators).

The administrators' pages send anonymous visitors to the login page and refuse everyone else;
each service checks the acting user again.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from ..db import get_session
from ..errors import Invalid
from ..security import staff_only
from ..web import call, form_page, show_refusal
from . import bp, content, cookies, labels, pages, retention
from .forms import FORMS, RetentionForm, days, message

ADMIN_ENDPOINTS = frozenset({"site.edit_privacy", "site.edit_accessibility", "site.retention"})
EDIT_ENDPOINTS = {
    content.PRIVACY: "site.edit_privacy",
    content.ACCESSIBILITY: "site.edit_accessibility",
}
PUBLIC_ENDPOINTS = {content.PRIVACY: "site.privacy", content.ACCESSIBILITY: "site.accessibility"}


staff_only(bp, only_endpoints=ADMIN_ENDPOINTS, admins=True)


@bp.app_template_global()
def site_date(value) -> str:
    """A date as people read it, in Stockholm time ("5 december 2026")."""
    # Translators: a CLDR date pattern; Swedish writes "15 mars 2027".
    return format_date(value, _("d MMMM y"))


@bp.get("/personuppgifter", endpoint="privacy")
def privacy():
    """The privacy notice: who processes what, why, for how long, and the visitor's rights."""
    session = get_session()
    return render_template(
        "site/privacy.html",
        page=pages.page(session, content.PRIVACY),
        periods=retention.settings(session),
        period_labels=labels.PERIOD_LABELS,
        cookies=cookies.documented(),
    )


@bp.get("/tillganglighet", endpoint="accessibility")
def accessibility():
    """The accessibility statement the law asks of a public body's website."""
    page = pages.page(get_session(), content.ACCESSIBILITY)
    return render_template(
        "site/accessibility.html",
        page=page,
        status_label=labels.STATUS_LABELS.get(page.fields["status"], ""),
        status_sentence=labels.STATUS_SENTENCES.get(page.fields["status"], ""),
    )


def _edit(key: str):
    page = pages.page(get_session(), key)
    form = FORMS[key](data=None if request.method == "POST" else page.fields)
    if form.validate_on_submit():
        try:
            call(pages.save, key, {name: form[name].data for name in content.FIELDS[key]})
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        else:
            flash(_("Saved. The page shows the new text."), "success")
            return redirect(url_for(PUBLIC_ENDPOINTS[key]))
    return form_page(
        "site/edit.html",
        form,
        page=page,
        key=key,
        title=_("Edit the privacy notice")
        if key == content.PRIVACY
        else _("Edit the accessibility statement"),
        public_url=url_for(PUBLIC_ENDPOINTS[key]),
    )


@bp.route("/admin/personuppgifter", methods=["GET", "POST"], endpoint="edit_privacy")
def edit_privacy():
    """Edit the privacy notice (administrators)."""
    return _edit(content.PRIVACY)


@bp.route("/admin/tillganglighet", methods=["GET", "POST"], endpoint="edit_accessibility")
def edit_accessibility():
    """Edit the accessibility statement (administrators)."""
    return _edit(content.ACCESSIBILITY)


@bp.route("/admin/gallring", methods=["GET", "POST"], endpoint="retention")
def retention_settings():
    """Set how many days personal data that is no longer needed is kept (administrators)."""
    periods = retention.settings(get_session())
    form = RetentionForm(
        data=None
        if request.method == "POST"
        else {name: str(getattr(periods, name)) for name in retention.PERIODS}
    )
    if form.validate_on_submit():
        try:
            call(retention.save, {name: days(form[name]) for name in retention.PERIODS})
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, message)
        else:
            flash(_("Saved. The retention periods apply from the next run."), "success")
            return redirect(url_for("site.retention"))
    return form_page(
        "site/retention.html",
        form,
        periods=periods,
        interval_minutes=max(current_app.config["RETENTION_INTERVAL"] // 60, 1)
        if current_app.config["RETENTION_INTERVAL"]
        else 0,
    )
