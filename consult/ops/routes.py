"""The operator's endpoints: ``/healthz`` (alive), ``/readyz`` (ready) and ``/metrics``."""

from flask import Response, abort, current_app, jsonify

from .. import db
from ..extensions import limiter
from . import bp, metrics, readiness


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Say the process answers; nothing else (no database query: load balancers ask often)."""
    return jsonify(status="alive")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Say whether this server can take traffic: database, Redis, migrations at head."""
    app = current_app._get_current_object()
    checks = readiness.check(app)
    if all(result == "ok" for result in checks.values()):
        return jsonify(status="ready", checks=checks)
    failed = sorted(name for name, result in checks.items() if result != "ok")
    return jsonify(status="not ready", checks=checks, failed=failed), 503


@bp.get("/metrics")
@limiter.exempt
def metrics_view():
    """Every figure for Prometheus; 404 unless the right bearer token comes with it."""
    app = current_app._get_current_object()
    if not metrics.authorised(app):
        abort(404)
    body = metrics.exposition(db.get_session(), app.config["MAIL_MAX_ATTEMPTS"])
    response = Response(body, content_type=metrics.CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response
