"""Forms for managing events, and the messages for what the event services refuse.

The services decide what is valid; these forms only parse what the browser sent. Dates are
entered as Europe/Stockholm wall-clock time and programme points as clock times ("09:30")
on one of the event's days. CSRFProtect checks every post; the templates send the token.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..admin.forms import LocalDateTimeField, WholeNumberField
from ..clock import to_local
from ..models import EventKind

KIND_LABELS = {
    EventKind.ON_SITE: _l("On site"),
    EventKind.ONLINE: _l("Online"),
    EventKind.HYBRID: _l("On site and online"),
}


class _Form(FlaskForm):
    class Meta:
        csrf = False


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; values are ids."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # the service says which ids it refuses
        pass


class EventForm(_Form):
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    starts_at = LocalDateTimeField(_l("Starts"), description=_l("Swedish time."))
    ends_at = LocalDateTimeField(_l("Ends"), description=_l("Swedish time."))
    kind = RadioField(
        _l("Where"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        default=EventKind.ON_SITE.value,
        validate_choice=False,
    )
    venue_name = StringField(_l("Venue"))
    venue_address = TextAreaField(_l("Address of the venue"))
    stream_url = StringField(
        _l("Stream link"),
        description=_l(
            "An https address. A YouTube or Vimeo link is also shown as a player on the page."
        ),
    )
    contact_name = StringField(_l("Contact person"))
    contact_email = StringField(_l("Contact person's e-mail address"))
    registration_enabled = BooleanField(_l("Registration is open"))
    capacity = WholeNumberField(
        _l("Places"), description=_l("Leave empty for no limit."), validators=[Optional()]
    )
    registration_closes_at = LocalDateTimeField(
        _l("Registration closes"), description=_l("Swedish time. Optional.")
    )
    groups = CheckboxesField(_l("Working groups"), coerce=int)

    def fields_dict(self) -> dict:
        return {
            "title": self.title.data,
            "description": self.description.data,
            "starts_at": self.starts_at.utc,
            "ends_at": self.ends_at.utc,
            "kind": self.kind.data,
            "venue_name": self.venue_name.data,
            "venue_address": self.venue_address.data,
            "stream_url": self.stream_url.data,
            "contact_name": self.contact_name.data,
            "contact_email": self.contact_email.data,
            "registration_enabled": self.registration_enabled.data,
            "capacity": self.capacity.data,
            "registration_closes_at": self.registration_closes_at.utc,
        }

    @classmethod
    def for_event(cls, event, **kwargs):
        data = {
            "title": event.title,
            "description": event.description,
            "starts_at": to_local(event.starts_at),
            "ends_at": to_local(event.ends_at),
            "kind": event.kind.value,
            "venue_name": event.venue_name,
            "venue_address": event.venue_address,
            "stream_url": event.stream_url,
            "contact_name": event.contact_name,
            "contact_email": event.contact_email,
            "registration_enabled": event.registration_enabled,
            "capacity": event.capacity,
            "registration_closes_at": to_local(event.registration_closes_at),
            "groups": [g.id for g in event.groups],
        }
        return cls(data=data, **kwargs)


class ItemForm(_Form):
    day = SelectField(_l("Day"), validate_choice=False)
    start = StringField(_l("Starts at"), description=_l("A clock time, e.g. 09:30."))
    end = StringField(_l("Ends at"), description=_l("Optional, e.g. 10:00."))
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))


class SessionForm(_Form):
    title = StringField(_l("Title"))
    room = StringField(_l("Room"))
    group = SelectField(_l("Working group"), validate_choice=False)
    programme_item = SelectField(_l("Programme point"), validate_choice=False)


MESSAGES = {
    "required": _l("Fill in this field."),
    "too_long": _l("The text is too long."),
    "choice": _l("Choose one of the options."),
    "email": _l("Enter a valid e-mail address, e.g. namn@region.se."),
    "https": _l("Give a link starting with https://."),
    "capacity": _l("Give a whole number of places above 0, or leave the field empty."),
    "ends_before_start": _l("The end must be after the start."),
    "closes_after_end": _l("Registration must close before the event ends."),
    "programme_outside": _l(
        "The programme has points outside these times. Move or remove them first."
    ),
    "unknown_group": _l("Choose one of the consultation's working groups."),
    "own_group": _l("Choose at least one of your own working groups."),
    "unknown_item": _l("Choose one of the event's programme points."),
    "day": _l("Choose one of the event's days."),
    "clock": _l("Give a clock time, e.g. 09:30."),
    "outside_event": _l("The time must lie within the event's start and end."),
}

STATE_MESSAGES = {
    "cancelled": _l("The event is cancelled and can no longer be changed."),
    "time_order": _l(
        "The programme is in time order: only points starting at the same time can be moved."
    ),
    "session_has_notes": _l("The session has notes or comments from it and cannot be removed."),
}


def message(_field: str, key: str) -> str:
    """The reader-facing text for a refusal ``key`` of a field."""
    return str(MESSAGES.get(key, MESSAGES["required"]))


def state_message(key: str) -> str:
    """The reader-facing text for a refused action (``WrongState`` key)."""
    return str(STATE_MESSAGES.get(key) or _("This cannot be done now."))
