"""Account settings (/konto): the hub, changing the password or the address, signing out
everywhere, and sending the confirmation link again."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import clock
from ..db import get_session
from ..errors import Invalid, WrongState
from ..extensions import client_address, limiter
from ..group_access import current_memberships
from ..people import public_names
from ..security import safe_next
from ..web import form_page, show_refusal
from . import bp, recovery, sessions
from .forms import ButtonForm, ChangeEmailForm, ChangePasswordForm


def _limit(key: str):
    return lambda: current_app.config[key]


def _per_account() -> str:
    # Per account, not per address: colleagues behind one office address do not share it.
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    return client_address()


# Sections of the settings page; other parts of the product add theirs to this list.
SECTIONS: list[tuple[str, object]] = [
    ("identity.visibility_page", _l("How you appear publicly")),
    ("my_data.page", _l("My data")),
    ("auth.change_password", _l("Change password")),
    ("auth.change_email", _l("Change e-mail address")),
    ("notifications.settings", _l("E-mail notifications")),
    ("identity.close_account", _l("Close your account")),
]
# Shown first, and only to a current member of a working group.
GROUP_SECTION = ("groups.my_workspaces", _l("My working group"))

ERRORS = {
    ("current_password", "wrong"): _l("The password is wrong."),
    ("password", "length"): _l("Choose a password of at least 10 characters."),
    ("password", "same"): _l("Choose a password other than the one you have."),
    ("email", "same"): _l("This is already your e-mail address."),
    ("email", "taken"): _l("An account with this e-mail address already exists."),
}


def _message(field: str, key: str):
    return ERRORS.get((field, key), key)


def _sections() -> list[tuple[str, object]]:
    """The account's sections, with the working group's workspace for a current member."""
    if current_memberships(get_session(), current_user):
        return [GROUP_SECTION, *SECTIONS]
    return SECTIONS


@bp.get("")
@login_required
def account():
    """The account settings: what can be changed, with the state of the e-mail address."""
    return render_template(
        "auth/account.html",
        sections=_sections(),
        shown_as=public_names.preview(current_user, current_user.name_shown),
        held=recovery.held_count(get_session(), current_user),
        button=ButtonForm(),
    )


@bp.route("/losenord", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("CHANGE_PASSWORD_RATE_LIMIT"), methods=["POST"], key_func=_per_account)
def change_password():
    """Change the password (the current one is required); other sessions are signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = recovery.change_password(
                get_session(),
                current_user,
                current=form.current_password.data,
                new=form.password.data,
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, _message)
        else:
            sessions.restart(user)
            flash(_("Your password is changed. You are signed out everywhere else."), "success")
            return redirect(url_for("auth.account"))
    return form_page("auth/change_password.html", form)


@bp.route("/e-post", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("CHANGE_EMAIL_RATE_LIMIT"), methods=["POST"], key_func=_per_account)
def change_email():
    """Ask to move the account to a new address: a link goes there, the old one is told."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            address = recovery.request_email_change(
                get_session(),
                current_user,
                new_email=form.email.data,
                password=form.current_password.data,
                now=clock.now(),
            )
        except Invalid as error:
            get_session().rollback()
            show_refusal(form, error, _message)
        else:
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes when you open it; "
                    "until then your current address stays in use.",
                    email=address,
                ),
                "success",
            )
            return redirect(url_for("auth.account"))
    return form_page("auth/change_email.html", form)


@bp.post("/logga-ut-overallt")
@login_required
@limiter.limit(_limit("SIGN_OUT_EVERYWHERE_RATE_LIMIT"), key_func=_per_account)
def sign_out_everywhere():
    """End every session of the account, on every device, this one included."""
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    recovery.sign_out_everywhere(get_session(), current_user, now=clock.now())
    sessions.end()
    flash(_("You are signed out on every device. Log in again to continue."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/skicka-lanken-igen")
@login_required
@limiter.limit(_limit("RESEND_CONFIRMATION_RATE_LIMIT"), key_func=_per_account)
def resend_confirmation():
    """Send the confirmation link again to the signed-in user's address."""
    back = safe_next(request.form.get("next"), url_for("auth.account"))
    if not ButtonForm().validate_on_submit():
        return redirect(back)
    try:
        recovery.resend_confirmation(get_session(), current_user, now=clock.now())
    except WrongState:
        get_session().rollback()
        flash(_("Your e-mail address is already confirmed."), "info")
    else:
        flash(_("A new link is on its way to %(email)s.", email=current_user.email), "success")
    return redirect(back)
