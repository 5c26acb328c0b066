"""The forms of a person's own privacy pages: how they appear, and closing the account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import InputRequired, Length


class CloseAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your current password"),
        description=_l("To confirm that it is you who closes the account."),
        validators=[
            InputRequired(message=_l("Give your current password.")),
            Length(max=200),
        ],
    )
    withdraw_comments = BooleanField(_l("Also withdraw my comments and replies"))
