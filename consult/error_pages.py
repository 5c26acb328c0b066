"""The pages of errors and refusals: one page per status, JSON under ``/api/``, and a 503 that
gives back the text of a form when the database could not be reached mid-request."""

import logging
import time

from flask import Flask, g, jsonify, make_response, render_template, request
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

from . import db
from .errors import Refusal
from .extensions import limiter, login_manager
from .web import sent_form

log = logging.getLogger(__name__)

# Form fields (or their endings, "p3-body") whose text a person typed: a 503 page gives it
# back, so that nothing is lost.
KEPT_FIELDS = ("body", "proposed_text", "text", "note", "description", "summary", "title")


def register(app: Flask) -> None:
    """Answer every error status, service refusal and database outage with its page."""

    def render_error(code: int, error, *, key: str | None = None):
        _roll_back()
        if request.path.startswith("/api/"):
            response = jsonify(error=code)
            response.status_code = code
        elif code == 503:
            response = _unavailable_page(key)
        else:
            response = make_response(render_template("error.html", code=code), code)
        if code == 503:
            response.headers["Retry-After"] = str(app.config["RETRY_AFTER_SECONDS"])
        elif code == 429:
            response.headers["Retry-After"] = str(_seconds_to_reset())
        return response

    def database_error(error: Exception):
        if not _connection_trouble(error):
            raise error  # a mistake, not an outage: Flask logs it and answers 500
        # Only the kind of error: a statement's parameters would be a participant's text.
        log.warning("The database could not be reached: %s", _first_line(error))
        return render_error(503, error, key="database")

    for code in (400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503):
        app.register_error_handler(code, lambda error, code=code: render_error(code, error))
    # A service's refusal that its route did not render itself answers with its status.
    app.register_error_handler(
        Refusal, lambda error: render_error(error.code, error, key=error.key)
    )
    # A connection lost mid-request (PostgreSQL restarted, the session's backend ended) or a
    # SQLite writer that waited its busy timeout out: nothing was committed, so a 503 that asks
    # the person to send the same again loses nothing. Stale pooled connections never get
    # this far: the engine pings them before use (``db.make_engine``).
    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(DisconnectionError, database_error)


def _roll_back() -> None:
    session_ = g.get("db_session")
    if session_ is None:
        return
    try:
        session_.rollback()
    except Exception:  # noqa: BLE001 - a lost connection cannot roll back; closing drops it
        g.pop("db_session", None)
        session_.close()


def _seconds_to_reset() -> int:
    """Seconds until the rate limit this request broke lets it through again."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    try:
        return max(1, int(breached.reset_at - time.time()))
    except Exception:  # noqa: BLE001 - the limit's store failed: a minute is a fair guess
        return 60


def _connection_trouble(error: Exception) -> bool:
    """Whether a database error means "unreachable or busy for now", not a wrong statement."""
    if isinstance(error, DisconnectionError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError | InterfaceError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        # SQLite reports its mistakes ("no such table") as operational errors too.
        message = str(error.orig).lower()
        return "locked" in message or "busy" in message
    return True


def _first_line(error: Exception) -> str:
    orig = getattr(error, "orig", None) or error
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"


def _unavailable_page(key: str | None):
    """The 503 page, giving back the text of a form that was being sent.

    It reads nothing it need not: first as usual (the signed-in person's menu, read on a fresh
    connection), then as for a visitor if that fails too, then as a plain page.
    """
    kept = []
    if request.method == "POST":
        form, _unreadable = sent_form()
        # Comment forms prefix their fields with the paragraph ("p3-body").
        kept = [
            value
            for name, value in form.items(multi=True)
            if name.rsplit("-", 1)[-1] in KEPT_FIELDS and value.strip()
        ]
    db.only_reads()
    for attempt in ("as usual", "as a visitor"):
        try:
            return make_response(
                render_template("error.html", code=503, reason=key, kept=kept), 503
            )
        except Exception as error:  # noqa: BLE001 - the page itself needed the database
            log.warning("Could not render the 503 page %s: %s", attempt, _first_line(error))
            _roll_back()
            g._login_user = login_manager.anonymous_user()
    texts = "".join(f"<pre>{escape(text)}</pre>" for text in kept)
    page = (
        '<!doctype html><html lang="sv"><meta charset="utf-8"><title>503</title>'
        "<p>Tjänsten är tillfälligt otillgänglig. Inget har sparats, och din text har inte"
        " gått förlorad: gå tillbaka och skicka den igen om en stund.</p>"
        '<p lang="en">The service is briefly unavailable. Nothing was saved, and your text was'
        f" not lost: go back and send it again in a moment.</p>{texts}</html>"
    )
    return make_response(page, 503)
