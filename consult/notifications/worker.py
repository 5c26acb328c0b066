"""The background job: announce due round events and queue growth, then send the outbox;
and, every ``RETENTION_INTERVAL`` seconds, delete what the retention periods say is no longer
needed (``consult.site.retention``).

It runs as ``flask notifications send`` (once), ``flask notifications worker`` (a loop), and
inside each app server process as a daemon thread started at the first request (turn it off
with ``CONSULT_MAIL_WORKER=0``, e.g. when a separate worker process runs). Running several
at once is safe: every announcement and every e-mail is claimed before it is acted on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

from .. import clock
from ..db import expect_writes, get_session
from ..site import retention
from . import events, sending

log = logging.getLogger(__name__)
THREAD_NAME = "consult-notifications"


@dataclass
class Tick:
    opened: int
    closed: int
    queues: int
    sent: int
    failed: int


def tick(app: Flask) -> Tick:
    """Run one pass: announcements first, so that their e-mails go out in the same pass."""
    # A request context gives url_for the site's address for the links it builds.
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        expect_writes()
        session = get_session()
        now = clock.now()
        announced = events.announce_rounds(session, now=now)
        queues = events.announce_queues(session, now=now)
        result = sending.send_pending(
            session, sending.backend_from_config(app.config), now=clock.now()
        )
    return Tick(announced.opened, announced.closed, queues, result.sent, result.failed)


def retention_pass(app: Flask) -> retention.Deleted:
    """Apply the retention periods once (the deletions are audited by ``retention.run``)."""
    with app.app_context():
        expect_writes()
        return retention.run(
            get_session(),
            now=clock.now(),
            max_attempts=app.config["MAIL_MAX_ATTEMPTS"],
            mail_file=app.config["MAIL_LOG"],
        )


def run(
    app: Flask,
    stop: threading.Event,
    interval: float,
    report: Callable[[Tick], None] | None = None,
) -> None:
    """Call ``tick`` every ``interval`` seconds until ``stop`` is set; errors are logged.

    ``report`` is given the result of every pass that did something. The retention pass runs
    at the start and then every ``RETENTION_INTERVAL`` seconds (never when that is 0).
    """
    retention_every = app.config["RETENTION_INTERVAL"]
    next_retention = time.monotonic()
    while not stop.is_set():
        try:
            result = tick(app)
        except Exception:  # noqa: BLE001 - a failed pass must not end the worker
            log.exception("Notification pass failed; trying again in %s s", interval)
        else:
            if report is not None and any(vars(result).values()):
                report(result)
        if retention_every and time.monotonic() >= next_retention:
            next_retention = time.monotonic() + retention_every
            try:
                retention_pass(app)
            except Exception:  # noqa: BLE001 - nor must a failed retention pass
                log.exception("Retention pass failed; trying again in %s s", retention_every)
        stop.wait(interval)


def start_thread(app: Flask) -> threading.Thread:
    """Start the in-process worker as a daemon thread (once per app); return it."""
    existing = app.extensions.get("notifications_worker")
    if existing is not None and existing[0].is_alive():
        return existing[0]
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(app, stop, app.config["MAIL_WORKER_INTERVAL"]),
        name=THREAD_NAME,
        daemon=True,
    )
    app.extensions["notifications_worker"] = (thread, stop)
    thread.start()
    return thread


def stop_thread(app: Flask, timeout: float = 5) -> None:
    """Ask the in-process worker to stop and wait for it."""
    running = app.extensions.pop("notifications_worker", None)
    if running is not None:
        thread, stop = running
        stop.set()
        thread.join(timeout)


def init_app(app: Flask) -> None:
    """Start the worker with the first request, unless testing or turned off.

    Not at import: ``flask db upgrade`` and other commands create the app too, and must not
    start sending from a database that is not migrated yet.
    """
    if app.config["TESTING"] or not app.config["MAIL_WORKER"]:
        return
    lock = threading.Lock()

    @app.before_request
    def _start_worker() -> None:
        if "notifications_worker" in app.extensions:
            return
        with lock:
            if "notifications_worker" not in app.extensions:
                start_thread(app)
