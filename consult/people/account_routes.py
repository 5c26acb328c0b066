"""A person's own privacy pages under /konto: how their name is shown, and closing the account.

Only for the signed-in person and only about themself: the services check it again.
Closing an account raises its session epoch, which ends every session it had (auth.sessions).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..auth import sessions
from ..db import get_session
from ..errors import Invalid, WrongState
from ..extensions import limiter
from ..models import NameShown
from ..web import form_page, show_refusal
from . import erasure, public_names, visibility
from .account_forms import CloseAccountForm

bp = Blueprint("identity", __name__, url_prefix="/konto")


def _message(field: str, key: str) -> str:
    return {
        ("municipality", "unknown"): _("Choose a municipality from the list."),
        ("name_shown", "choice"): _("Choose how your name is shown."),
        ("password", "wrong"): _("The password is wrong."),
    }.get((field, key), _("Check this field."))


def _examples(user) -> dict[str, str]:
    """How this person would appear under each choice, for the page to show."""
    return {shown.value: public_names.preview(user, shown) for shown in NameShown}


@bp.route("/synlighet", methods=["GET", "POST"])
@login_required
def visibility_page():
    """Show and change how the signed-in person's name appears with what they wrote."""
    saved = {"name_shown": current_user.name_shown.value, "municipality": current_user.municipality}
    form = visibility.VisibilityForm(data=saved)
    if form.validate_on_submit():
        session = get_session()
        try:
            visibility.set_visibility(
                session,
                actor=current_user,
                user_id=current_user.id,
                name_shown=form.name_shown.data,
                municipality=form.municipality.data,
                now=clock.now(),
            )
        except Invalid as error:
            session.rollback()
            show_refusal(form, error, _message)
        else:
            flash(
                _(
                    "Saved. Your comments are now shown with: %(name)s.",
                    name=_examples(current_user)[current_user.name_shown.value],
                ),
                "success",
            )
            return redirect(url_for(".visibility_page"))
    return form_page("people/visibility.html", form, examples=_examples(current_user))


def _close_limit() -> str:
    return current_app.config["CLOSE_ACCOUNT_RATE_LIMIT"]


def _per_account() -> str:
    # Per account: each try checks the password, so guesses are limited wherever they come from.
    return f"close-account:{current_user.get_id()}"


@bp.route("/avsluta", methods=["GET", "POST"])
@login_required
@limiter.limit(_close_limit, methods=["POST"], key_func=_per_account)
def close_account():
    """Explain what closing the account does; close it once the password is given."""
    form = CloseAccountForm()
    anonymous = _examples(current_user)["hidden"]
    if form.validate_on_submit():
        session = get_session()
        try:
            erasure.erase_account(
                session,
                actor=current_user,
                user_id=current_user.id,
                password=form.password.data,
                withdraw_comments=bool(form.withdraw_comments.data),
                now=clock.now(),
            )
        except Invalid as error:
            session.rollback()
            show_refusal(form, error, _message)
        except WrongState as error:
            session.rollback()
            message = {
                "last_admin": _(
                    "You are the last administrator. Make someone else an administrator first."
                ),
            }.get(error.key, _("That is not possible right now."))
            flash(message, "error")
        else:
            sessions.end()
            flash(_("Your account is closed and your personal data are erased."), "success")
            return redirect(url_for("consultations.index"))
    return form_page("people/close_account.html", form, anonymous=anonymous)
