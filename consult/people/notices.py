"""What someone who may not write is told when a comment, reply, edit or agreement is refused.

The round page explains the same at length (templates/people/_write_refusal.html).
"""

from flask_babel import gettext as _

from .rules import BLOCKED, UNCONFIRMED


def write_refusal_message(reason: str, *, counts: bool = False) -> str:
    """Return the short message for a write refused for ``reason`` (see ``rules``);
    ``counts`` for an agreement or a report."""
    if reason == BLOCKED:
        return _("Your account is blocked from writing, so this was not sent. You can still read.")
    if reason == UNCONFIRMED and counts:
        return _(
            "Confirm your e-mail address before you agree with or report comments. Open the "
            "link we sent to your address, or have it sent again."
        )
    if reason == UNCONFIRMED:
        return _(
            "Only people who have confirmed their e-mail address can write in this round, so "
            "this was not sent. Open the link we sent to your address, or ask for a new one "
            "in your account settings."
        )
    return _(
        "Only people whose organisation has been verified can write in this round, "
        "so this was not sent."
    )
