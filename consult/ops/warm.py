"""A new app server process does its one-time work before its first request, not in it.

The first requests of a fresh process are several times slower than the next ones: the ORM
configures its mappers, the comment renderer compiles its patterns, templates are compiled,
translations read, the first database and Redis connections opened. A deadline rush sent to
workers just started (or recycled by gunicorn's ``max_requests``) would wait for all of that
at once. ``warm`` does it while the worker is not yet taking requests: it compiles every
template (about 2 s), renders the list of consultations (reading only) and one comment, and
opens the connections to Redis of the rate limiter and of the queue that places new comments
(with RQ's modules: without this, the first post each worker took loaded them).
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.orm import configure_mappers

from .. import sanitise
from ..analysis import queue
from ..extensions import limiter

log = logging.getLogger(__name__)


def warm(app: Flask) -> None:
    """Prepare ``app`` in this process for its first requests; never raises."""
    try:
        configure_mappers()
        for name in app.jinja_env.list_templates(extensions=["html", "txt"]):
            app.jinja_env.get_template(name)
        sanitise.plain_text(sanitise.comment_html("*Förberedd* för [sidor](https://example.se)"))
        with app.test_client() as client:
            client.get("/")
        # Last, the connections to Redis (an unreachable one leaves the rest done).
        if limiter.enabled:
            limiter.storage.check()
        queue.prepare(app)
    except Exception:  # noqa: BLE001 - the first request does the same work if this fails
        log.exception("Could not prepare the worker for its first requests")
