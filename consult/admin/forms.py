"""Administration forms, local date-times, and the messages for refused input.

The services decide what is valid; these forms only parse what the browser sent. Dates are
entered as Europe/Stockholm wall-clock time (``datetime-local`` inputs) and stored in UTC.
CSRFProtect checks every post; the templates send the token themselves, so that forms with a
prefix (several on one page) still carry it under its usual name.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from ..clock import to_local as to_local  # re-exported for the round forms
from ..clock import to_utc
from ..models import Commenters, ModerationMode
from .labels import COMMENTERS_LABELS, MODERATION_LABELS
from .uploads import MAX_DRAFT_BYTES


class LocalDateTimeField(DateTimeLocalField):
    """A ``datetime-local`` input read as Stockholm time, with a readable parse error."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("validators", [Optional()])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Enter a date and a time, e.g. 2027-03-15 23:59.")) from error

    @property
    def utc(self) -> datetime | None:
        """The entered time in UTC, or None if the field was left empty."""
        return to_utc(self.data)


class WholeNumberField(IntegerField):
    """A whole number, with a readable message when it is not one."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_("Give a whole number, e.g. 3.")) from error


class _AdminForm(FlaskForm):
    class Meta:
        csrf = False


class ConsultationForm(_AdminForm):
    title = StringField(_l("Title"))
    slug = StringField(
        _l("Web address"),
        description=_l(
            "The last part of the consultation's address: lowercase letters a–z, digits "
            "and hyphens, e.g. rus-2030."
        ),
    )
    summary = TextAreaField(_l("Summary"), description=_l("Shown on the start page."))
    contact_name = StringField(_l("Contact person"))
    contact_email = StringField(_l("Contact person's e-mail address"))


class RoundForm(_AdminForm):
    title = StringField(_l("Title of the round"))
    opens_at = LocalDateTimeField(
        _l("Opens"),
        description=_l("Swedish time. Leave both dates empty to keep the round as a draft."),
    )
    closes_at = LocalDateTimeField(_l("Closes"), description=_l("Swedish time."))
    moderation = RadioField(
        _l("Moderation"),
        choices=[SelectChoice(m.value, label) for m, label in MODERATION_LABELS.items()],
        default=ModerationMode.POST.value,
        validate_choice=False,
    )
    commenters = RadioField(
        _l("Who may comment"),
        choices=[SelectChoice(c.value, label) for c, label in COMMENTERS_LABELS.items()],
        default=Commenters.REGISTERED.value,
        validate_choice=False,
    )
    confirmed_email_only = BooleanField(
        _l("Only people who have confirmed their e-mail address"),
        description=_l(
            "Others can read and prepare their comments, and are told how to confirm their address."
        ),
    )
    report_threshold = WholeNumberField(
        _l("Reports before a comment is hidden"),
        description=_l(
            "In a round moderated afterwards, a comment reported by this many different "
            "people is hidden until staff have looked at it. From 1 to 50."
        ),
        default=3,
        validators=[Optional()],
    )


DRAFT_DESCRIPTION = _l(
    "A Word document (.docx) or Markdown (.md), at most %(mb)s MB. Headings become sections.",
    mb=MAX_DRAFT_BYTES // (1024 * 1024),
)


class NewRoundForm(RoundForm):
    draft = FileField(_l("The draft"), description=DRAFT_DESCRIPTION)


class DraftForm(_AdminForm):
    draft = FileField(_l("New version of the draft"), description=DRAFT_DESCRIPTION)


class ParagraphForm(_AdminForm):
    text = TextAreaField(
        _l("Text of the paragraph"),
        description=_l(
            "Markdown, as in the imported draft: *italic*, **bold**, a list with one item per "
            "line starting with -, a table with | between the cells. One paragraph only."
        ),
    )


class HeadingForm(_AdminForm):
    heading = StringField(_l("Heading"))


class ActionForm(_AdminForm):
    reason = StringField(_l("Reason (optional)"), description=_l("Kept in the log."))


class DeadlineForm(ActionForm):
    closes_at = LocalDateTimeField(_l("New closing time"), description=_l("Swedish time."))


def error_message(field: str, key: str) -> str:
    """Return the reader-facing message for a refusal key from the administration services."""
    by_field = {
        ("title", "required"): _("Give a title."),
        ("slug", "required"): _("Give a web address."),
        ("draft", "required"): _("Choose the file with the draft."),
        ("closes_at", "required"): _("Give the closing time."),
        ("text", "too_long"): _("The text is too long for one paragraph."),
        ("heading", "required"): _("Give a heading."),
        ("report_threshold", "required"): _("Give a number from 1 to 50."),
        ("draft", "too_long"): _("The draft is too long to be imported."),
    }
    messages = {
        "too_long": _("The text is too long."),
        "slug_format": _(
            "Use only lowercase letters a–z, digits and hyphens (not first or last), e.g. rus-2030."
        ),
        "slug_taken": _("Another consultation already has this web address. Choose another."),
        "email": _("Enter a valid e-mail address, e.g. namn@region.se."),
        "choice": _("Choose one of the options."),
        "both_dates": _(
            "Give both the opening and the closing time, or neither to keep the round a draft."
        ),
        "not_after_opens": _("The closing time must be after the opening time."),
        "in_past": _("The closing time must be in the future."),
        "not_later": _("The new closing time must be later than the current one."),
        "required_passed": _("The deadline has passed: give a new closing time."),
        "locked": _("This cannot be changed after the round has opened."),
        "file_type": _(
            "Choose a Word document (.docx) or a Markdown file (.md). "
            "An older Word file (.doc) must first be saved as .docx."
        ),
        "too_large": _(
            "The file is too large: at most %(mb)s MB.", mb=MAX_DRAFT_BYTES // (1024 * 1024)
        ),
        "empty": _("The draft is empty: it has no text to comment on."),
        "not_docx": _(
            "The file is not a readable Word document. Open it in Word, save it as .docx "
            "and try again."
        ),
        "bomb": _(
            "The file would unpack to far more data than a draft can hold, so it was refused."
        ),
        "encoding": _("The file is not UTF-8 text. Save it with UTF-8 encoding and try again."),
        "unreadable": _("The file contains characters that cannot be read as text."),
        "empty_text": _(
            "The paragraph cannot be empty. To remove it, use Delete on the draft's page."
        ),
        "heading_in_text": _(
            "A paragraph cannot hold a heading (a line starting with #). Change headings "
            "with Edit heading."
        ),
        "one_block": _(
            "The text holds more than one paragraph (a blank line divides them). Keep it to "
            "one paragraph, list or table."
        ),
        "threshold_range": _("Give a number from 1 to 50."),
    }
    return by_field.get((field, key)) or messages.get(key, _("Check this field."))


def state_message(key: str) -> str:
    """Return the message for an action refused in the round's current state."""
    messages = {
        "not_startable": _("Only a round that has not opened yet can be opened now."),
        "not_open": _("The round is not open."),
        "not_closed": _("Only a closed round can be reopened or have its results published."),
        "no_draft": _("The round has no draft to comment on."),
        "started": _("The draft can only be replaced before the round opens."),
        "has_comments": _("The draft cannot be replaced: comments have been written on it."),
        "draft_locked": _(
            "The round has opened, so its draft can no longer be changed. Participants "
            "comment on the text as it was when the round opened."
        ),
        "first": _("The paragraph is already first in the draft."),
        "last": _("The paragraph is already last in the draft."),
        "paragraph_has_comments": _(
            "The paragraph has comments, so it cannot be deleted. Change its text instead."
        ),
        "paragraph_continued": _(
            "A later round's draft continues this paragraph, so it cannot be deleted."
        ),
        "last_paragraph": _("The draft must keep at least one paragraph."),
        "draft_continued": _(
            "A later round's draft has been compared with this one, so it cannot be replaced. "
            "Fix single paragraphs instead."
        ),
    }
    return messages.get(key, _("That is not possible in the round's current state."))
