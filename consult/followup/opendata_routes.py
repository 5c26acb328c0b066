"""Open data of the follow-up: a published strategy's goals, actions and indicators as JSON
and CSV, and the public page that documents the files' fields (``opendata.FILES``)."""

from __future__ import annotations

from flask import Response, render_template

from ..db import get_session
from ..web import call
from . import bp, opendata, queries

DATA = "/uppfoljning/<slug>/data/<name>"


@bp.get(DATA + ".json")
def data_json(slug: str, name: str):
    """One open-data file of a strategy as JSON (404 for unknown files and strategies the
    visitor may not read)."""
    strategy, data = call(opendata.load, slug, name)
    response = Response(opendata.to_json(data), mimetype="application/json")
    filename = opendata.filename(slug, name, "json")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return _open(response, strategy)


@bp.get(DATA + ".csv")
def data_csv(slug: str, name: str):
    """One open-data file of a strategy as CSV (UTF-8 with a byte-order mark)."""
    strategy, data = call(opendata.load, slug, name)
    response = Response(opendata.to_csv(name, data), mimetype="text/csv")
    filename = opendata.filename(slug, name, "csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _open(response, strategy)


def _open(response: Response, strategy) -> Response:
    """Let other sites' scripts read a public strategy's data; keep one that is not public
    yet (unpublished or scheduled for later, read by staff) out of shared caches."""
    if not queries.is_public(strategy):
        response.headers["Cache-Control"] = "private, no-store"
    else:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/uppfoljning/oppna-data")
def data_schema():
    """The documentation of the open-data files, generated from the same field lists."""
    return render_template(
        "followup/opendata.html",
        files=list(opendata.FILES.values()),
        strategy_fields=opendata.STRATEGY_FIELDS,
        formats=opendata.FORMATS,
        version=opendata.VERSION,
        separator=opendata.LIST_SEPARATOR,
        strategies=opendata.published_strategies(get_session()),
    )
