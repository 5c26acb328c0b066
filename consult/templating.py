"""Template filters and globals: dates in Stockholm time, round status, labels; and the
content version on every static file's URL."""

import hashlib
import os
import stat as stat_module

from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from werkzeug.security import safe_join

from . import clock, labels, web
from .consultations.diff import word_diff
from .consultations.services import RoundState, allowed_actions, round_state
from .dates import when


def round_status(round_) -> str:
    """Describe a round's state and its relevant date in one sentence."""
    state = state_of(round_)
    if state == RoundState.OPEN:
        return _("Open for comments until %(date)s", date=when(round_.closes_at))
    if state == RoundState.SCHEDULED:
        return _("Opens for comments on %(date)s", date=when(round_.opens_at))
    if state == RoundState.PUBLISHED:
        return _("Closed; results published %(date)s", date=when(round_.results_published_at))
    if state == RoundState.CLOSED:
        return _(
            "Closed for comments since %(date)s", date=when(round_.closed_at or round_.closes_at)
        )
    return _("Not yet scheduled")


def state_of(round_) -> RoundState:
    """Return the state of a round now."""
    return round_state(round_, clock.now())


def state_name(state: RoundState) -> str:
    """Return the short translated name of a round state."""
    names = {
        RoundState.DRAFT: _("Draft"),
        RoundState.SCHEDULED: _("Upcoming"),
        RoundState.OPEN: _("Open"),
        RoundState.CLOSED: _("Closed"),
        RoundState.PUBLISHED: _("Results published"),
    }
    return names[state]


def request_translations():
    """The current locale's translations, looked up once per request and locale.

    flask-babel looks them up on every string (its context, the locale, a cache keyed by the
    locale's name): 10 µs a string against 3 here, and a drill-down page has about 380. A
    forced locale (an e-mail in its recipient's language) is another locale object: looked
    up anew. (Kept without the domain: the app has flask-babel's default one only.)
    """
    try:
        babel_context = g._flask_babel
        locale, found = babel_context.consult_translations
        if locale is babel_context.babel_locale:
            return found
    except (AttributeError, RuntimeError):  # not looked up yet, or outside an app context
        pass
    found = get_translations()
    babel_context = g.get("_flask_babel") if g else None
    if babel_context is not None and hasattr(babel_context, "babel_locale"):
        babel_context.consult_translations = (babel_context.babel_locale, found)
    return found


def init_app(app: Flask) -> None:
    """Register the filters and globals the templates use."""
    app.jinja_env.add_extension("jinja2.ext.do")
    # In place of flask-babel's own, which look the translations up on every string.
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: request_translations().ugettext(message),
        ngettext=lambda singular, plural, n: request_translations().ungettext(singular, plural, n),
        pgettext=lambda context, message: request_translations().upgettext(context, message),
        npgettext=lambda context, singular, plural, n: request_translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    app.add_template_filter(when)
    app.add_template_filter(round_status)
    app.add_template_filter(state_name)
    app.add_template_filter(state_of, "round_state_of")
    app.add_template_filter(word_diff)
    _version_static_urls(app)

    @app.template_global()
    def comment_actions(comment, state) -> frozenset[str]:
        """What the current user may do with ``comment`` (see services.allowed_actions)."""
        viewer = web.viewer()
        return allowed_actions(comment, viewer, state)

    @app.context_processor
    def _globals():
        return {
            "labels": labels,
            "locale": str(get_locale()),
            "languages": current_app.config["LANGUAGES"],
            "current_path": request.full_path.rstrip("?"),
        }


def _version_static_urls(app: Flask) -> None:
    """Add ``?v=<hash of the file>`` to every ``url_for('static', ...)``: a changed file
    gets a new URL, so nginx can let browsers keep a versioned one for a year
    (deploy/nginx/consult.conf). The hash is computed once per file version (size and
    modification time), so an edited file gets a new one without a restart."""
    versions: dict[tuple[str, int, int], str] = {}

    @app.url_defaults
    def _static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "v" in values or not app.static_folder:
            return
        path = safe_join(app.static_folder, values.get("filename", ""))
        try:
            stat = os.stat(path) if path else None
        except OSError:
            stat = None
        if stat is None or not stat_module.S_ISREG(stat.st_mode):
            return
        key = (path, stat.st_mtime_ns, stat.st_size)
        version = versions.get(key)
        if version is None:
            with open(path, "rb") as handle:
                version = hashlib.sha256(handle.read()).hexdigest()[:12]
            versions[key] = version
        values["v"] = version
