"""Administration: consultations, rounds and their drafts, and the audit log (admins only)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import (  # noqa: E402,F401
    action_routes,
    consultation_routes,
    draft_routes,
    guards,
    log_routes,
    round_routes,
)
