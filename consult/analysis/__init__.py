"""Analysis: the theme engine's jobs, the theme board and its drill-down (staff only)."""

from flask import Blueprint

from ..security import staff_only, vary_on_htmx
from .highlight import mark_terms
from .pages import rebuild_after_change

bp = Blueprint("analysis", __name__, url_prefix="/analys")
staff_only(bp)
vary_on_htmx(bp)
bp.add_app_template_filter(mark_terms)
# Any request that changes a round's themes has what staff looked at built again.
bp.after_app_request(rebuild_after_change)

# The route modules add their views to ``bp``; they import the shared page helpers
# (``pages``), never each other.
from . import routes, theme_routes  # noqa: E402,F401
