"""Running Consult on servers: liveness and readiness checks, metrics for Prometheus, and
structured logs with a request id that follows a request into its jobs and e-mails.
"""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from . import routes  # noqa: E402,F401
