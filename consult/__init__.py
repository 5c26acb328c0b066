"""Consult: a consultation platform for regional development strategies."""

import os
import secrets
from pathlib import Path

from flask import Flask, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from . import caching, db, error_pages, form_messages, security
from .config import defaults
from .extensions import babel, csrf, htmx, limiter, login_manager
from .web import ConsultRequest, IdConverter

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
    form_messages.init_app(app)
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
    error_pages.register(app)

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
