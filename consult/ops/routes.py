"""The operator's endpoints: ``/healthz`` (alive), readiness and metrics."""

from flask import jsonify
from sqlalchemy import text

from .. import db
from ..extensions import limiter
from . import bp


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Report whether the app can reach its database."""
    try:
        db.get_session().execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
