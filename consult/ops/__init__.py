"""Running Consult on servers: liveness and readiness checks, metrics for Prometheus, and
structured logs with a request id that follows a request into its jobs and e-mails.
"""

import time

from flask import Blueprint, Flask, Response, g, request

bp = Blueprint("ops", __name__)

from . import context, logs, metrics, readiness, routes  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """Set up logs, the request id, request metrics and the readiness check for ``app``."""
    logs.configure(app)
    readiness.init_app(app)
    context.stamp_rows()
    # First of all before-request functions, so a request refused by one of them (a rate
    # limit, CSRF) still has its id, its access line and its figures.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    # The first after-request function registered runs last: it sees the final response.
    app.after_request(_end)


def _begin() -> None:
    g.request_started = time.perf_counter()
    g.request_id = context.request_id_for(request)


def _end(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a response made before the request began (none known): no figures
        return response
    duration = time.perf_counter() - started
    response.headers[context.HEADER] = g.request_id
    logs.access(response, duration)
    metrics.observe(request.endpoint, request.method, response.status_code, duration)
    return response
