"""The public search of published comments."""

from __future__ import annotations

from flask import current_app, render_template, request

from .. import clock
from ..db import get_session
from ..extensions import limiter
from ..web import page_arg
from . import bp, services
from .query import MAX_CHARS


def _limit() -> str:
    return current_app.config["SEARCH_RATE_LIMIT"]


@bp.errorhandler(429)
def _too_many(_error):
    """Past the limit: the search page again, saying why nothing was searched."""
    return render_template(
        "search/comments.html", found=None, limited=True, max_chars=MAX_CHARS
    ), 429


@bp.get("/sok")
@limiter.limit(_limit)
def comments():
    """Search the published comments (of one consultation with ``konsultation``)."""
    found = services.published_comments(
        get_session(),
        request.args.get("q"),
        clock.now(),
        slug=request.args.get("konsultation") or None,
        page=page_arg(),
        per_page=current_app.config["SEARCH_PER_PAGE"],
    )
    return render_template(
        "search/comments.html",
        found=found,
        consultation=found.consultation,
        max_chars=MAX_CHARS,
    )
