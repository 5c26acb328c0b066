"""Open data of the follow-up: a published strategy's goals, actions and indicators as JSON
and CSV, and the public page that documents the files' fields (``opendata.FILES``)."""

from __future__ import annotations

from flask import Response, render_template

from ..db import get_session
from ..web import call
from . import bp, opendata

DATA = "/uppfoljning/<slug>/data/<name>"


@bp.get(DATA + ".json")
def data_json(slug: str, name: str):
    """One open-data file of a strategy as JSON (404 for unknown files and strategies the
    visitor may not read)."""
    data = call(opendata.build, slug, name)
    response = Response(opendata.to_json(data), mimetype="application/json")
    filename = opendata.filename(slug, name, "json")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return _open(response, data)


@bp.get(DATA + ".csv")
def data_csv(slug: str, name: str):
    """One open-data file of a strategy as CSV (UTF-8 with a byte-order mark)."""
    data = call(opendata.build, slug, name)
    response = Response(opendata.to_csv(name, data), mimetype="text/csv")
    filename = opendata.filename(slug, name, "csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _open(response, data)


def _open(response: Response, data: dict) -> Response:
    """Let other sites' scripts read a published strategy's data; keep an unpublished one's
    (read by staff) out of shared caches."""
    if data["strategy"]["published_at"] is None:
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
