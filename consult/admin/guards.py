"""What every administration request goes through: administrators only, and a larger upload
limit for the two pages that take a draft file."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from ..db import get_session
from ..security import staff_only, vary_on_htmx
from . import bp
from .forms import error_message
from .uploads import MAX_DRAFT_BYTES

UPLOAD_ENDPOINTS = frozenset({"admin.new_round", "admin.replace_draft"})
# Room for the other fields of an upload form besides the file itself.
FORM_OVERHEAD_BYTES = 1024 * 1024


@bp.url_value_preprocessor
def _upload_limit(endpoint, _values):
    # Runs before CSRFProtect reads the form: an administrator's draft upload may be larger
    # than the site-wide request limit. The service refuses a file over MAX_DRAFT_BYTES with
    # a message next to the field; a far larger request is refused unread (see _too_large).
    if endpoint in UPLOAD_ENDPOINTS and current_user.is_authenticated and current_user.is_admin:
        request.max_content_length = MAX_DRAFT_BYTES + FORM_OVERHEAD_BYTES


staff_only(bp, admins=True)


@bp.errorhandler(413)
def _too_large(_error):
    get_session().rollback()
    if request.endpoint not in UPLOAD_ENDPOINTS or not current_user.is_authenticated:
        return render_template("error.html", code=413), 413
    if not current_user.is_admin:
        return render_template("error.html", code=413), 413
    flash(error_message("draft", "too_large") + " " + _("Nothing was saved."), "error")
    return redirect(request.path)


vary_on_htmx(bp)
