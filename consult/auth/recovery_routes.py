"""The links sent by e-mail (confirm an address, set a new password, move to a new address)
and the "forgot password" form."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import clock
from ..db import get_session, writes
from ..errors import Invalid, WrongState
from ..extensions import limiter
from . import bp, recovery, sessions
from .forms import ForgotPasswordForm, ResetPasswordForm


def _forgot_limit() -> str:
    return current_app.config["FORGOT_PASSWORD_RATE_LIMIT"]


def _per_address() -> str:
    # Also per address asked about: nobody can flood one mailbox from many places.
    return "forgot:" + (request.form.get("email") or "").strip().lower()[:254]


def _reset_limit() -> str:
    return current_app.config["RESET_PASSWORD_RATE_LIMIT"]


def bad_link(error: recovery.TokenError, purpose: str):
    """The page for a link that cannot be used, saying why and what to do next."""
    get_session().rollback()
    # Gone for a link that was good once; not found for one that never was.
    status = 404 if error.reason == "invalid" else 410
    return render_template("auth/bad_link.html", reason=error.reason, purpose=purpose), status


@bp.get("/bekrafta/<token>")
@writes
def confirm_email(token: str):
    """Confirm the address a registration link was sent to; held comments are published."""
    try:
        user, published = recovery.confirm_email(get_session(), token, now=clock.now())
    except recovery.TokenError as error:
        if error.reason == "used" and current_user.is_authenticated and current_user.is_confirmed:
            flash(_("Your e-mail address is already confirmed."), "info")
            return redirect(url_for("auth.account"))
        return bad_link(error, "confirm")
    message = _("Thank you! Your e-mail address %(email)s is confirmed.", email=user.email)
    if published:
        message += " " + _("Your comments waiting for it are now published.")
    flash(message, "success")
    target = "auth.account" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))


@bp.route("/glomt-losenord", methods=["GET", "POST"])
@limiter.limit(_forgot_limit, methods=["POST"])
@limiter.limit(_forgot_limit, methods=["POST"], key_func=_per_address)
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_reset(get_session(), form.email.data, now=clock.now())
        return render_template("auth/reset_sent.html", email=form.email.data.strip())
    status = 422 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


@bp.route("/nytt-losenord/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    """Choose a new password from a reset link; every session of the account is signed out."""
    session = get_session()
    try:
        recovery.check_reset(session, token)
    except recovery.TokenError as error:
        return bad_link(error, "reset")
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            _user, withdrawn = recovery.reset_password(
                session, token, form.password.data, now=clock.now()
            )
        except recovery.TokenError as error:
            return bad_link(error, "reset")
        except Invalid:
            session.rollback()
            form.password.errors = [_("Choose a password of at least 10 characters.")]
        else:
            sessions.end()
            flash(_("Your new password is saved. Log in with it."), "success")
            if withdrawn:
                flash(
                    ngettext(
                        "%(num)s comment written before you set your password was not "
                        "published; write it again if it was yours.",
                        "%(num)s comments written before you set your password were not "
                        "published; write them again if they were yours.",
                        withdrawn,
                    ),
                    "info",
                )
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset_password.html", form=form), status


@bp.get("/ny-e-post/<token>")
@writes
def confirm_new_email(token: str):
    """Move the account to the new address its change link was sent to."""
    try:
        user = recovery.confirm_new_email(get_session(), token, now=clock.now())
    except recovery.TokenError as error:
        return bad_link(error, "new_email")
    except WrongState:
        return render_template("auth/bad_link.html", reason="taken", purpose="new_email"), 409
    flash(_("Your account now uses the address %(email)s.", email=user.email), "success")
    target = "auth.account" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))
