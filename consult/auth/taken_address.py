"""Someone tried to register with an address that already has an account.

The visitor is answered as if the account had been created (so registering does not reveal
who has an account); the owner of the address is told by e-mail instead, with the way to a
new password in case it was them who forgot they had an account.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import User
from ..notifications import absolute_url
from .mails import _queue


def tell_owner(session: Session, email: str, *, now: datetime) -> None:
    """Queue a mail to the account at ``email`` saying someone tried to register with it."""
    owner = session.scalar(
        select(User).where(User.email == email.strip().lower(), User.erased_at.is_(None))
    )
    if owner is None:
        return
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
    session.commit()
