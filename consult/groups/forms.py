"""The forms of the working groups' management pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..models import GroupRole
from ..web import parse_int
from .labels import MESSAGES, ROLE_LABELS


def role_choices():
    return [(role.value, ROLE_LABELS[role]) for role in GroupRole]


def position(field) -> int | None:
    """The field's whole number (the group's place in lists), or None."""
    return parse_int(field.data, minimum=0, maximum=10_000)


def _check_position(_form, field) -> None:
    if (field.data or "").strip() and position(field) is None:
        raise ValidationError(str(MESSAGES["position"]))


class GroupForm(FlaskForm):
    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"), description=_l("What the group works on."))
    position = StringField(
        _l("Order"),
        description=_l("Groups are listed by this number, lowest first."),
        default="0",
        validators=[_check_position],
    )

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "description": self.description.data,
            "position": position(self.position) if (self.position.data or "").strip() else 0,
        }


class ChapterForm(FlaskForm):
    chapter = SelectField(_l("Chapter"), choices=[], validate_choice=False)


class MemberForm(FlaskForm):
    email = StringField(
        _l("E-mail address"), description=_l("The e-mail address of the person's account.")
    )
    role = SelectField(_l("Role"), choices=role_choices, default="member", validate_choice=False)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices, validate_choice=False)


class ConfirmForm(FlaskForm):
    """A button's form: only the CSRF token."""
