"""Structured logs: one JSON object a line, and an access log line at the end of each request.

With ``LOG_FORMAT = "json"`` (``CONSULT_LOG_FORMAT=json``, for production) every log line of
the process goes to standard error as one JSON object::

    {"timestamp": "2027-03-01T12:00:00.123Z", "level": "INFO", "logger": "consult.access",
     "message": "GET /samrad/<slug> 200", "request_id": "4f0c…", "user_id": 12,
     "route": "/samrad/<slug>", "endpoint": "consultations.show", "method": "GET",
     "status": 200, "duration_ms": 8.4}

``request_id`` is the request's (see ``context``) or, in a worker, the id of the request that
asked for the work; ``user_id`` is the signed-in account's id or ``"anonymous"``. Only the
access lines (logger ``consult.access``) have ``route`` (the URL rule, never the raw path,
which may hold a token), ``endpoint``, ``method``, ``status`` and ``duration_ms``; a line
with an exception has its traceback under ``exception``. With the default ``"text"`` the
logging setup is left as it is (``make run``, tests).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask.logging import default_handler

from .context import current_request_id

ACCESS = logging.getLogger("consult.access")
# The fields an access line carries besides the common ones (passed as ``extra``).
ACCESS_FIELDS = ("route", "endpoint", "method", "status", "duration_ms")


def user_id() -> int | str:
    """Return the signed-in account's id without loading it, or ``"anonymous"``."""
    if not has_request_context():
        return "anonymous"
    user = g.get("_login_user")
    if user is not None:
        return user.id if getattr(user, "is_authenticated", False) else "anonymous"
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        # No session: anonymous, without touching the session (which would add Vary: Cookie).
        return "anonymous"
    claimed = session.get("_user_id")
    try:
        return int(claimed) if claimed is not None else "anonymous"
    except (TypeError, ValueError):
        return "anonymous"


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON (see the module's docstring for the fields)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
            "user_id": getattr(record, "user_id", None) or _safe_user_id(),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["exception"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _safe_user_id() -> int | str:
    try:
        return user_id()
    except Exception:  # noqa: BLE001 - a log line never fails for want of its user
        return "anonymous"


def configure(app: Flask) -> None:
    """Send every log line to standard error as JSON when ``LOG_FORMAT`` is ``"json"``."""
    if app.config["LOG_FORMAT"] != "json":
        return
    root = logging.getLogger()
    # Once per process, however many apps are made (tests, the worker's app per job).
    for handler in root.handlers:
        if getattr(handler, "consult_json", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.consult_json = True
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Flask's own handler would print each app error a second time, as text.
    app.logger.removeHandler(default_handler)


def access(response: Response, duration: float) -> None:
    """Write the access line of the request being answered."""
    rule = request.url_rule
    route = rule.rule if rule is not None else None
    ACCESS.info(
        "%s %s %s",
        request.method,
        route or "(no route)",
        response.status_code,
        extra={
            "route": route,
            "endpoint": request.endpoint,
            "method": request.method,
            "status": response.status_code,
            "duration_ms": round(duration * 1000, 1),
            "user_id": _safe_user_id(),
        },
    )
