"""How a person appears publicly: the form fields shared by registration and the settings page,
and the service that changes the choice.

The choice is stored on the account (``User.name_shown``, ``User.municipality``) and read
whenever a name is shown (people.public_names), so a change applies at once everywhere.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import RadioField, SelectChoice, SelectField
from wtforms.validators import Optional

from ..errors import Invalid, NotAllowed
from ..models import NameShown, User
from ..permissions import signed_in
from . import municipalities

NAME_CHOICES = [
    SelectChoice(NameShown.FULL.value, _l("My full name, for example “Anna Lind”")),
    SelectChoice(
        NameShown.INITIAL.value, _l("My first name and the initial of my last name: “Anna L.”")
    ),
    SelectChoice(
        NameShown.HIDDEN.value,
        _l(
            "No name: “Privatperson, Umeå” (my municipality), or my organisation alone if I "
            "respond for one"
        ),
    ),
]


def municipality_choices() -> dict:
    """Return the select's options: none, Västerbotten's municipalities, then all the others."""
    return {
        None: [SelectChoice("", _("Not given"))],
        _("Västerbotten"): [SelectChoice(name, name) for name in municipalities.home()],
        _("Other municipalities"): [SelectChoice(n, n) for n in municipalities.others()],
    }


class VisibilityFields:
    """The fields of the choice, mixed into the registration form and the settings form."""

    name_shown = RadioField(
        _l("How your name is shown with your comments"),
        choices=NAME_CHOICES,
        default=NameShown.FULL.value,
        # Optional: a form sent without it (an older page) keeps the full name, as before.
        validators=[Optional()],
    )
    municipality = SelectField(
        _l("Municipality (kommun) you live in"),
        description=_l(
            "For private individuals. Shown as “Privatperson, Umeå” (your municipality) if you "
            "choose not to show your name, otherwise not shown."
        ),
        choices=municipality_choices,
        validators=[Optional()],
        validate_choice=False,
    )


class VisibilityForm(VisibilityFields, FlaskForm):
    """The settings page's form."""


def clean_municipality(value: str | None) -> str | None:
    """Return ``value`` if it names a Swedish municipality, None when empty; else Invalid."""
    value = " ".join((value or "").split())
    if not value:
        return None
    if value not in municipalities.ALL:
        raise Invalid({"municipality": "unknown"})
    return value


def clean_name_shown(value: str | None) -> NameShown:
    """Return the choice as a NameShown (the full name when none); Invalid for anything else."""
    if not value:
        return NameShown.FULL
    try:
        return NameShown(value)
    except ValueError:
        raise Invalid({"name_shown": "choice"}) from None


def set_visibility(
    session: Session,
    *,
    actor: User,
    user_id: int,
    name_shown: str,
    municipality: str | None,
    now: datetime,
) -> User:
    """Change how ``user_id`` appears publicly; only they themself may (committed)."""
    if not signed_in(actor) or actor.id != user_id:
        raise NotAllowed("not_yours")
    user = session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise NotAllowed("not_yours")
    shown = clean_name_shown(name_shown)
    place = clean_municipality(municipality)
    user.name_shown = shown
    user.municipality = place
    session.commit()
    return user
