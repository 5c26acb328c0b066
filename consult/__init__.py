"""Consult: a consultation platform for regional development strategies."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, g, jsonify, make_response, render_template, request, session
from flask_login import current_user
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import caching, db, security
from .config import defaults
from .errors import Refusal
from .extensions import babel, csrf, htmx, limiter, login_manager
from .web import ConsultRequest, IdConverter, sent_form

log = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the Consult application."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    # Keeps a form body that is not UTF-8, so a comment form can give its text back.
    app.request_class = ConsultRequest
    # Before any route is added: "<int:id>" takes ASCII digits within a 32-bit column only.
    app.url_map.converters["int"] = IdConverter
    app.config.from_mapping(defaults(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    if app.config["PROXY_HOPS"]:
        # Behind a reverse proxy: trust its X-Forwarded-* headers (client address for rate
        # limits, https for secure cookies and redirects), and only as many as configured.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    from . import ops

    # First: its request hooks see every request from start to finished response.
    ops.init_app(app)
    db.init_app(app)
    caching.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )

    from . import cli, templating
    from .admin import bp as admin_bp
    from .analysis import bp as analysis_bp
    from .analysis.cli import init_app as init_analysis_cli
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .consultations import bp as consultations_bp
    from .events import bp as events_bp
    from .followup import bp as followup_bp
    from .groups import bp as groups_bp
    from .moderation import bp as moderation_bp
    from .notifications import cli as notifications_cli
    from .notifications import worker as notifications_worker
    from .notifications.routes import bp as notifications_bp
    from .ops import bp as ops_bp
    from .people import bp as people_bp
    from .people import my_data_bp
    from .people.account_routes import bp as identity_bp
    from .search import bp as search_bp
    from .site import bp as site_bp
    from .site import cli as site_cli
    from .synthesis import bp as synthesis_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(consultations_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(analysis_bp)
    init_analysis_cli(app)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(people_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(my_data_bp)
    app.register_blueprint(synthesis_bp)
    app.register_blueprint(site_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(followup_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(search_bp)
    site_cli.init_app(app)
    notifications_cli.init_app(app)
    notifications_worker.init_app(app)
    cli.init_app(app)
    templating.init_app(app)
    _register_errors(app)

    return app


def _instance_secret(instance: Path) -> str:
    """Read the instance's secret key, creating it on first start."""
    path = instance / "secret_key"
    try:
        # Created readable by the owner only, and only once even if workers start together.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def _select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


# Form fields (or their endings, "p3-body") whose text a person typed: a 503 page gives it
# back, so that nothing is lost.
KEPT_FIELDS = ("body", "proposed_text", "text", "note", "description", "summary", "title")


def _register_errors(app: Flask) -> None:
    def render_error(code: int, error, *, key: str | None = None):
        _roll_back()
        if request.path.startswith("/api/"):
            response = jsonify(error=code)
            response.status_code = code
        elif code == 503:
            response = _unavailable_page(key)
        else:
            return render_template("error.html", code=code), code
        if code == 503:
            response.headers["Retry-After"] = str(app.config["RETRY_AFTER_SECONDS"])
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
