"""The account e-mails (confirm, reset, new address, a registration with a taken address),
queued in the notifications outbox.

They are not notifications: they are sent whatever the person chose for notification
e-mails, and they are not listed in the app. Each is written in the recipient's language,
with its link as an absolute address (``BASE_URL``).
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..models import OutboxEmail, User
from ..notifications import absolute_url


def _link(endpoint: str, token: str) -> str:
    return absolute_url(url_for(endpoint, token=token, _external=False))


def _queue(
    session: Session, user: User, to: str, subject: str, lines: list[str], now: datetime
) -> None:
    body = "\n".join(lines + ["", _("This e-mail was sent automatically by Consult.")])
    session.add(
        OutboxEmail(user_id=user.id, to_address=to, subject=subject, body=body, created_at=now)
    )


def _lasts(seconds: int) -> str:
    """How long a link works, in days or hours."""
    if seconds >= 2 * 86400:
        days = seconds // 86400
        return ngettext(
            "The link works for %(num)s day and only once.",
            "The link works for %(num)s days and only once.",
            days,
        )
    hours = max(1, round(seconds / 3600))
    return ngettext(
        "The link works for %(num)s hour and only once.",
        "The link works for %(num)s hours and only once.",
        hours,
    )


def confirm(session: Session, user: User, token: str, max_age: int, now: datetime) -> None:
    """Queue the mail with the link that confirms ``user``'s address."""
    with force_locale(user.locale or "sv"):
        _queue(
            session,
            user,
            user.email,
            _("Confirm your e-mail address"),
            [
                _("Hello %(name)s,", name=user.display_name),
                "",
                _(
                    "Confirm your e-mail address for your Consult account by opening this "
                    "link. Your comments are published once you have confirmed it."
                ),
                "",
                _link("auth.confirm_email", token),
                "",
                _lasts(max_age),
                _("If you did not create an account, you can ignore this e-mail."),
            ],
            now,
        )


def reset(session: Session, user: User, token: str, max_age: int, now: datetime) -> None:
    """Queue the mail with the link that sets a new password."""
    with force_locale(user.locale or "sv"):
        _queue(
            session,
            user,
            user.email,
            _("Choose a new password"),
            [
                _("Hello %(name)s,", name=user.display_name),
                "",
                _("Someone asked to reset the password of your Consult account."),
                _("Open this link to choose a new password:"),
                "",
                _link("auth.reset_password", token),
                "",
                _lasts(max_age),
                _("If you did not ask for this, ignore this e-mail: your password stays as it is."),
            ],
            now,
        )


def new_address(
    session: Session, user: User, new_email: str, token: str, max_age: int, now: datetime
) -> None:
    """Queue the link to the new address, and tell the old address about the change."""
    with force_locale(user.locale or "sv"):
        _queue(
            session,
            user,
            new_email,
            _("Confirm your new e-mail address"),
            [
                _("Hello %(name)s,", name=user.display_name),
                "",
                _("Open this link to use this address for your Consult account:"),
                "",
                _link("auth.confirm_new_email", token),
                "",
                _lasts(max_age),
                _("If you did not ask for this, you can ignore this e-mail."),
            ],
            now,
        )
        _queue(
            session,
            user,
            user.email,
            _("Your e-mail address is being changed"),
            [
                _("Hello %(name)s,", name=user.display_name),
                "",
                _(
                    "Someone signed in to your Consult account asked to change its e-mail "
                    "address to %(email)s.",
                    email=new_email,
                ),
                _(
                    "The change happens only when the link sent to the new address is opened. "
                    "Until then, this address stays in use."
                ),
                "",
                _(
                    "If this was not you, change your password and sign out everywhere in your "
                    "account settings:"
                ),
                absolute_url(url_for("auth.account", _external=False)),
            ],
            now,
        )


def registration_attempt(session: Session, owner: User, now: datetime) -> None:
    """Queue the mail telling ``owner`` that someone tried to register with their address."""
    with force_locale(owner.locale or "sv"):
        _queue(
            session,
            owner,
            owner.email,
            _("Someone tried to register with your e-mail address"),
            [
                _("Hello %(name)s,", name=owner.display_name),
                "",
                _(
                    "Someone tried to create a new Consult account with this e-mail address, "
                    "which already has an account. No new account was created."
                ),
                _("If it was you and you have forgotten your password, choose a new one here:"),
                "",
                absolute_url(url_for("auth.forgot_password", _external=False)),
                "",
                _("If it was not you, you can ignore this e-mail."),
            ],
            now,
        )
