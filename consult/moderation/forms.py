"""Moderation forms and the messages for refused input and refused actions.

The services decide what is valid; these forms only parse what the browser sent. CSRFProtect
checks every post; the templates send the token themselves, so that the many small forms of
the queue (each with its own prefix) still carry it under its usual name.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField

from . import reasons


def _reason_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("Choose a reason"))] + [
        SelectChoice(code, name) for code, name in reasons.REASONS.items()
    ]


class _Form(FlaskForm):
    class Meta:
        csrf = False


class ReasonForm(_Form):
    """A decision that needs a reason: reject or hide."""

    reason = SelectField(_l("Reason"), choices=_reason_choices, validate_choice=False)
    note = TextAreaField(
        _l("Explanation (required for “Other reason”)"),
        description=_l("Shown to the author together with the reason."),
    )


class ReportForm(_Form):
    reason = SelectField(
        _l("Why should a moderator look at it?"), choices=_reason_choices, validate_choice=False
    )
    note = TextAreaField(_l("Anything to add? (required for “Other reason”)"))


class BlockForm(_Form):
    reason = StringField(_l("Reason for blocking"), description=_l("Kept in the log."))
    hide_comments = BooleanField(_l("Also hide all their published comments"))


class BulkForm(_Form):
    action = SelectField(
        _l("Action"),
        choices=[
            SelectChoice("", _l("Choose an action")),
            SelectChoice("approve", _l("Approve")),
            SelectChoice("reject", _l("Reject")),
            SelectChoice("hide", _l("Hide")),
            SelectChoice("unhide", _l("Show again")),
            SelectChoice("dismiss", _l("Dismiss the reports")),
        ],
        validate_choice=False,
    )
    reason = SelectField(
        _l("Reason (to reject or hide)"), choices=_reason_choices, validate_choice=False
    )
    note = TextAreaField(_l("Explanation (required for “Other reason”)"))


def error_message(_field: str, key: str) -> str:
    """Return the reader-facing message for a refused field."""
    messages = {
        "required": _("Choose a reason."),
        "choice": _("Choose one of the options."),
        "required_other": _("Explain the reason when you choose “Other reason”."),
        "too_long": _("The text is too long: at most %(n)s characters.", n=reasons.NOTE_MAX_CHARS),
        "none_selected": _("Select at least one comment."),
    }
    return messages.get(key, _("Check this field."))


def state_message(key: str) -> str:
    """Return the message for an action that does not fit the comment's current state."""
    messages = {
        "not_pending": _("The comment is no longer waiting for review."),
        "not_visible": _("Only a visible comment, or one hidden after reports, can be hidden."),
        "not_hidden": _("The comment is not hidden."),
        "no_reports": _("The comment has no open reports."),
        "not_published": _("The comment is not shown any more."),
        "not_reportable": _("Comments in this round are reviewed before they are published."),
        "already_reported": _("You have already reported this comment."),
        "not_found": _("The comment does not exist."),
        "author_unconfirmed": _(
            "The author has not confirmed their e-mail address, so the comment cannot be "
            "approved. It is published, or joins the queue, once they have."
        ),
    }
    return messages.get(key, _("That is not possible in the comment's current state."))
