"""Staff pages for bulk work on a strategy's follow-up: import and export of its actions and
milestones (.xlsx or CSV) and of indicator values (CSV or .xlsx). The services check access
and every row; a refused file is shown as a list of its problems, row by row, and nothing of
it is saved."""

from __future__ import annotations

from flask import (
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..db import get_session
from ..security import staff_only
from ..web import call
from . import bp, indicator_import, transfer
from .transfer import FileRefused, Problem, describe

CSV = "text/csv"  # Flask adds "; charset=utf-8" to text types
UPLOAD_ENDPOINTS = frozenset({"followup.import_actions", "followup.import_indicators"})
IMPORT_ENDPOINTS = UPLOAD_ENDPOINTS | frozenset(
    {
        "followup.import_page",
        "followup.import_export_actions_xlsx",
        "followup.import_export_actions_csv",
        "followup.import_export_milestones_csv",
        "followup.import_export_indicators_csv",
    }
)
# Room for the other fields of an upload form besides the files themselves.
FORM_OVERHEAD_BYTES = 1024 * 1024

staff_only(bp, only_endpoints=IMPORT_ENDPOINTS)


@bp.url_value_preprocessor
def _import_upload_limit(endpoint, _values):
    # Runs before CSRFProtect reads the form: staff's import files may be larger than the
    # site-wide request limit. The service refuses a file over the import limit with a
    # message; a far larger request is refused unread (see _import_too_large).
    if endpoint in UPLOAD_ENDPOINTS and current_user.is_authenticated and current_user.is_staff:
        request.max_content_length = 2 * transfer.max_bytes() + FORM_OVERHEAD_BYTES


@bp.errorhandler(413)
def _import_too_large(_error):
    get_session().rollback()
    if request.endpoint not in UPLOAD_ENDPOINTS or not current_user.is_authenticated:
        return render_template("error.html", code=413), 413
    if not current_user.is_staff:
        return render_template("error.html", code=413), 413
    flash(describe(Problem("too_large")) + " " + _("Nothing was saved."), "error")
    slug = (request.view_args or {}).get("slug", "")
    return redirect(url_for("followup.import_page", slug=slug))


def _page(slug: str, *, problems=None, which=None, status=200):
    strategy, action_count = call(transfer.import_page, slug)
    html = render_template(
        "followup/imports/page.html",
        strategy=strategy,
        action_count=action_count,
        action_columns=transfer.ACTION_COLUMNS,
        milestone_columns=transfer.MILESTONE_COLUMNS,
        value_columns=indicator_import.COLUMNS,
        value_aliases=indicator_import.ALIAS_SETS,
        status_words=transfer.STATUS_WORDS,
        max_mb=transfer.max_bytes() // (1024 * 1024),
        problems=[describe(p) for p in problems or []],
        which=which,
    )
    return make_response(html, status)


def _upload(name: str):
    stored = request.files.get(name)
    if stored is None:
        return None
    return transfer.read_upload(stored.filename, stored.stream)


@bp.get("/uppfoljning/<slug>/hantera/import", endpoint="import_page")
def import_page(slug: str):
    """Staff: the two import forms, the columns they take, and the exports."""
    return _page(slug)


@bp.post("/uppfoljning/<slug>/hantera/import/insatser", endpoint="import_actions")
def import_actions(slug: str):
    """Staff: create or update actions (and their milestones) from a workbook or CSV files."""
    try:
        result = call(transfer.import_actions, slug, _upload("insatser"), _upload("milstolpar"))
    except FileRefused as refusal:
        get_session().rollback()
        return _page(slug, problems=refusal.problems, which="actions", status=422)
    message = _(
        "The file was imported: %(created)s new and %(updated)s updated actions.",
        created=result.created,
        updated=result.updated,
    )
    if result.milestones is not None:
        message += " " + ngettext("%(num)s milestone.", "%(num)s milestones.", result.milestones)
    flash(message, "success")
    return redirect(url_for("followup.import_page", slug=slug))


@bp.post("/uppfoljning/<slug>/hantera/import/indikatorer", endpoint="import_indicators")
def import_indicators(slug: str):
    """Staff: import indicator values (indicator, area, year, value) from CSV or a workbook."""
    try:
        result = call(indicator_import.import_values, slug, _upload("indikatorer"))
    except FileRefused as refusal:
        get_session().rollback()
        return _page(slug, problems=refusal.problems, which="indicators", status=422)
    flash(
        _(
            "The indicator values were imported: %(new)s new, %(changed)s changed, "
            "%(unchanged)s unchanged.",
            new=result.new,
            changed=result.changed,
            unchanged=result.unchanged,
        ),
        "success",
    )
    return redirect(url_for("followup.import_page", slug=slug))


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/uppfoljning/<slug>/hantera/export/insatser.xlsx", endpoint="import_export_actions_xlsx")
def export_actions_xlsx(slug: str):
    """Staff: the actions and milestones as a workbook (sheets Insatser and Milstolpar)."""
    strategy, body = call(transfer.export_xlsx, slug)
    return _download(body, transfer.XLSX_TYPE, f"{strategy.slug}-insatser.xlsx")


@bp.get("/uppfoljning/<slug>/hantera/export/insatser.csv", endpoint="import_export_actions_csv")
def export_actions_csv(slug: str):
    """Staff: the actions as CSV."""
    strategy, body = call(transfer.export_csv, slug, "insatser")
    return _download(body, CSV, f"{strategy.slug}-insatser.csv")


@bp.get(
    "/uppfoljning/<slug>/hantera/export/milstolpar.csv", endpoint="import_export_milestones_csv"
)
def export_milestones_csv(slug: str):
    """Staff: the milestones as CSV."""
    strategy, body = call(transfer.export_csv, slug, "milstolpar")
    return _download(body, CSV, f"{strategy.slug}-milstolpar.csv")


@bp.get(
    "/uppfoljning/<slug>/hantera/export/indikatorer.csv", endpoint="import_export_indicators_csv"
)
def export_indicators_csv(slug: str):
    """Staff: the values of the strategy's indicators as CSV, in the import's columns."""
    strategy, body = call(indicator_import.export_values, slug)
    return _download(body, CSV, f"{strategy.slug}-indikatorer.csv")
