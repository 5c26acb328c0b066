"""Forms of the people pages, the names of roles and claim states, and refusal messages.

The services decide what is valid; these forms only parse what the browser sent. CSRFProtect
checks every post; the templates send the token themselves (several forms share a page).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField

from .labels import CLAIM_LABELS, ROLE_LABELS  # noqa: F401 (the pages name them from here)
from .services import MAX_REASON_CHARS


class _PeopleForm(FlaskForm):
    class Meta:
        csrf = False


class RoleForm(_PeopleForm):
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validate_choice=False,
    )
    reason = StringField(_l("Reason (optional)"))


class BlockForm(_PeopleForm):
    reason = StringField(_l("Reason"), description=_l("Kept in the log and shown to the user."))
    hide_comments = BooleanField(_l("Also hide their published comments"))


class ReasonForm(_PeopleForm):
    reason = StringField(_l("Reason"))


class EraseForm(_PeopleForm):
    """Staff closing an account on the person's request."""

    reason = StringField(
        _l("Reason"), description=_l("For example how and when the person asked. Kept in the log.")
    )
    withdraw_comments = BooleanField(_l("The person also asked for their comments to be withdrawn"))


class MergeForm(_PeopleForm):
    target = SelectField(_l("Merge into"), coerce=int, validate_choice=False)
    reason = StringField(_l("Reason (optional)"))
    confirm = BooleanField(
        _l("I understand that the members and their comments move to the chosen organisation.")
    )


def error_message(field: str, key: str) -> str:
    """Return the reader-facing message for a refused field."""
    by_field = {
        ("reason", "required"): _("Give a reason."),
        ("target", "required"): _("Choose the organisation to merge into."),
        ("confirm", "required"): _("Confirm that you want to merge the organisations."),
    }
    messages = {
        "too_long": _("The reason is too long: at most %(n)s characters.", n=MAX_REASON_CHARS),
        "choice": _("Choose one of the options."),
    }
    return by_field.get((field, key)) or messages.get(key, _("Check this field."))


def refusal_message(key: str | None) -> str:
    """Return the message for an action refused for this user or organisation now."""
    messages = {
        "self": _("You cannot block yourself."),
        "admin": _("Only an administrator can block or unblock an administrator."),
        "already_blocked": _("The user is already blocked."),
        "has_role": _(
            "Staff and administrators cannot be blocked. An administrator first makes them a "
            "participant."
        ),
        "blocked": _("A blocked user cannot be given a role. Unblock them first."),
        "not_blocked": _("The user is not blocked."),
        "last_admin": _(
            "This is the last administrator. Make someone else an administrator first."
        ),
        "no_organisation": _(
            "The user has not named an organisation, so there is no claim to check."
        ),
        "erased": _("This account is already closed."),
        "already_verified": _("The claim is already verified."),
        "already_rejected": _("The claim is already rejected."),
        "same": _("An organisation cannot be merged into itself."),
        "source_merged": _("This organisation has already been merged into another."),
        "target_merged": _(
            "The chosen organisation has itself been merged into another. Choose that one."
        ),
    }
    return messages.get(key or "", _("That is not possible right now."))
