"""What a person is told when registering, cancelling or marking attendance is refused."""

from __future__ import annotations

from flask_babel import gettext as _

from ..errors import Invalid, Refusal
from . import registration as r


def refusal_message(error: Refusal) -> str:
    """The sentence for a refused registration action (a WrongState or Invalid)."""
    if isinstance(error, Invalid):
        key = next(iter(error.errors.values()))
        if key == "too_long":
            return _("Write at most %(num)s characters about your needs.", num=r.NEEDS_MAX_CHARS)
        return _("The text about your needs could not be read. Write it again.")
    messages = {
        r.OFF: _("Registration is not open for this event."),
        r.CANCELLED: _("The event is cancelled, so registration is closed."),
        r.STARTED: _("The event has already started or is over, so registration is closed."),
        r.CLOSED: _("The last day to register has passed."),
        r.ALREADY: _("You are already registered for this event."),
        r.BLOCKED: _("Your account is blocked, so you cannot register for events."),
        r.UNCONFIRMED: _(
            "Confirm your e-mail address before you register: open the link we sent to your "
            "address, or ask for a new one in your account settings."
        ),
        r.NOT_REGISTERED: _("There is no registration to cancel."),
        "not_started": _("Attendance can be marked once the event has started."),
        "no_place": _("Only people with a place can be marked as attending."),
    }
    return messages.get(error.key, _("That could not be done."))
