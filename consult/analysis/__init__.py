"""Analysis: the theme engine's jobs, the theme board and its drill-down (staff only)."""

from flask import Blueprint

bp = Blueprint("analysis", __name__, url_prefix="/analys")

from . import routes  # noqa: E402,F401
