"""Synthesis: staff's summaries and responses per theme and paragraph, the report and the
exports of a round's comments (staff only)."""

from flask import Blueprint

bp = Blueprint("synthesis", __name__, url_prefix="/sammanstallning")

from . import routes  # noqa: E402,F401


@bp.record_once
def _public_page_globals(state) -> None:
    from .public import init_app

    init_app(state.app)
