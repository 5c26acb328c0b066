"""Administration: consultations, rounds and their drafts, and the audit log (admins only)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import draft_routes, routes  # noqa: E402,F401
