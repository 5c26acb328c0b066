"""Register, log in and log out."""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import clock
from ..db import get_session, reads
from ..extensions import htmx, limiter, login_manager
from ..models import Category
from ..security import safe_next
from . import bp, services, sessions
from .forms import LoginForm, RegisterForm


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


@bp.route("/registrera", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    """Show the registration form and create an account from it."""
    if current_user.is_authenticated:
        return redirect(url_for("consultations.index"))
    session = get_session()
    form = RegisterForm()
    form.organisation_id.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(str(o.id), o.name) for o in services.organisations(session)
    ]
    if form.validate_on_submit():
        try:
            user = services.register(
                session,
                email=form.email.data,
                display_name=form.display_name.data,
                password=form.password.data,
                category=Category(form.category.data),
                organisation_id=form.organisation_id.data,
                new_organisation=form.new_organisation.data or "",
                locale=_current_locale(),
                now=clock.now(),
                name_shown=form.name_shown.data,
                municipality=form.municipality.data,
            )
        except services.RegistrationError as error:
            session.rollback()
            if error.key == "taken":
                # Answered as a new account would be, minus the login: the owner is mailed.
                services.tell_owner(session, form.email.data, now=clock.now())
                return _registered(form.display_name.data, form.email.data)
            message = {
                "required": _("Choose your organisation or give its name."),
                "unknown": _("Choose a municipality from the list."),
                "choice": _("Choose how your name is shown."),
            }[error.key]
            getattr(form, error.field).errors = [message]
        else:
            sessions.start(user)
            return _registered(user.display_name, user.email)
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


def _registered(display_name: str, email: str):
    """The answer to a registration: welcome, and a link is on its way."""
    name = " ".join(display_name.split())
    flash(_("Welcome, %(name)s! Your account is ready.", name=name), "success")
    flash(
        _(
            "We have sent a link to %(email)s. Open it to confirm your address: "
            "your comments are published once you have.",
            email=email.strip().lower(),
        ),
        "info",
    )
    return redirect(safe_next(request.args.get("next"), url_for("consultations.index")))


@bp.route("/logga-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@reads
def login():
    """Show the login form and log the user in."""
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(get_session(), form.email.data, form.password.data)
        if user is not None:
            sessions.start(user, remember=form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("consultations.index")))
        form.password.errors = [_("The e-mail address or the password is wrong.")]
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logga-ut")
@login_required
def logout():
    """Log the user out."""
    sessions.end()
    flash(_("You are logged out."), "success")
    return redirect(url_for("consultations.index"))


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())


@bp.before_app_request
def _read_user_afresh() -> None:
    """Each request finds its user from its own cookies.

    ``g`` outlives a request when an application context was pushed around several (tests,
    scripts); a user or CSRF token cached there by an earlier request must not carry over.
    """
    g.pop("_login_user", None)
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


@login_manager.user_loader
def load_user(user_id: str):
    """Return the logged-in user for Flask-Login; None for a session begun before the
    account's sessions were ended (a changed password, "sign out everywhere")."""
    return sessions.load(get_session(), user_id)


@login_manager.unauthorized_handler
def unauthorized():
    """Send anonymous users to the login page (via HX-Redirect for htmx requests)."""
    if request.method == "GET" and not htmx:
        back = request.full_path.rstrip("?")
    else:
        back = _local_path(request.headers.get("HX-Current-URL") or request.referrer or "")
    target = url_for("auth.login", next=back)
    if htmx:
        response = current_app.make_response(("", 401))
        response.headers["HX-Redirect"] = target
        return response
    flash(_("Log in to continue."), "info")
    return redirect(target)


def _local_path(url: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, None)
