"""Synthesis: staff's summaries and responses per theme and paragraph, the report and the
exports of a round's comments (staff only)."""

from flask import Blueprint

from ..security import staff_only, vary_on_htmx

bp = Blueprint("synthesis", __name__, url_prefix="/sammanstallning")
staff_only(bp)
vary_on_htmx(bp)

# The route modules add their views to ``bp``; they share helpers through ``labels``, never
# import each other.
from . import download_routes, routes  # noqa: E402,F401


@bp.record_once
def _public_page_globals(state) -> None:
    from .public import init_app

    init_app(state.app)
