"""Comment, reply and edit forms, and the messages for refused input."""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, TextAreaField

from ..labels import KIND_LABELS, STANCE_LABELS
from ..models import CommentKind


class _SentOnceForm(FlaskForm):
    """A form carrying a key that makes a second click on "Send" return the first result."""

    submission_key = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_hex(16)


class CommentForm(_SentOnceForm):
    kind = RadioField(
        _l("Type"),
        choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
        default=CommentKind.COMMENT.value,
    )
    stance = RadioField(
        _l("Your position (optional)"),
        choices=[SelectChoice("", _l("No position"))]
        + [SelectChoice(s.value, label) for s, label in STANCE_LABELS.items()],
        default="",
        validate_choice=False,
    )
    body = TextAreaField(_l("Your comment"))
    proposed_text = TextAreaField(_l("Your proposed wording of the paragraph"))

    def __init__(self, *args, allow_proposal: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_proposal:
            self.kind.choices = [c for c in self.kind.choices if c.value != CommentKind.PROPOSAL]


class ReplyForm(_SentOnceForm):
    body = TextAreaField(_l("Your reply"))


def refusal_message(_field: str, key: str) -> str:
    """The reader-facing message for a refused comment field (see ``web.show_refusal``)."""
    return error_message(key, current_app.config["COMMENT_MAX_CHARS"])


def error_message(key: str, max_chars: int) -> str:
    """Return the reader-facing message for a refusal key from the comment services."""
    messages = {
        "empty": _("Write something before you send."),
        "too_long": _("The text is too long: at most %(n)s characters.", n=max_chars),
        "binary": _("The text contains characters that cannot be saved. Paste it as plain text."),
        "nesting": _("The formatting is nested too deeply. Simplify the lists or quotes."),
        "unchanged": _("The proposed wording is the same as the paragraph. Change something."),
        "invalid": _("Choose one of the options."),
        "proposal_needs_paragraph": _("New wording can only be proposed for a paragraph."),
    }
    return messages.get(key, _("The form has expired. Reload the page and try again."))
