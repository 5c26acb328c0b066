"""Registration and login forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from ..labels import CATEGORY_LABELS
from ..people.visibility import VisibilityFields
from ..web import parse_int


class RegisterForm(VisibilityFields, FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    display_name = StringField(
        _l("Your first and last name"),
        description=_l("Staff see it; the public sees it as you choose below."),
        validators=[InputRequired(), Length(min=2, max=100)],
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least 10 characters."),
        validators=[InputRequired(), Length(min=10, max=200)],
    )
    password_confirm = PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    category = SelectField(
        _l("Stakeholder category"),
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()],
        validators=[InputRequired()],
    )
    organisation_id = SelectField(
        _l("Organisation"),
        description=_l("Required unless you respond as a private individual."),
        coerce=lambda value: parse_int(value) if value else None,
        validators=[Optional()],
    )
    new_organisation = StringField(
        _l("Or the name of an organisation not in the list"),
        validators=[Optional(), Length(min=2, max=200)],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)],
    )


def _new_password_fields(label):
    password = PasswordField(
        label,
        description=_l("At least 10 characters."),
        validators=[InputRequired(), Length(min=10, max=200)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    return password, confirm


class ResetPasswordForm(FlaskForm):
    password, password_confirm = _new_password_fields(_l("New password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(), Length(max=200)]
    )
    password, password_confirm = _new_password_fields(_l("New password"))


class ChangeEmailForm(FlaskForm):
    email = EmailField(
        _l("New e-mail address"),
        validators=[InputRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    current_password = PasswordField(
        _l("Current password"),
        description=_l("To make sure it is you."),
        validators=[InputRequired(), Length(max=200)],
    )


class ButtonForm(FlaskForm):
    """A form that is only a button (and its CSRF token)."""
