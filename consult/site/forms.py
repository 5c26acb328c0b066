"""The administrators' forms for the privacy notice, the accessibility statement and the
retention periods, and the messages for what the services refuse."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import ValidationError

from ..web import parse_int
from . import content, labels, retention

MARKDOWN_HINT = _l("Markdown: a blank line between paragraphs, “- ” at the start of a list item.")

MESSAGES = {
    "required": _l("Fill in this field."),
    "too_long": _l("The text is too long."),
    "unreadable": _l("The text contains characters that cannot be saved."),
    "choice": _l("Choose one of the options."),
    "range": _l("Give a whole number of days from 1 to 3650."),
}


def message(_field: str, key: str) -> str:
    """The reader-facing text for a refusal ``key`` of a field."""
    return str(MESSAGES.get(key, MESSAGES["required"]))


def _short(name):
    return StringField(labels.FIELD_LABELS[name])


def _long(name):
    return TextAreaField(labels.FIELD_LABELS[name], description=MARKDOWN_HINT)


class PrivacyForm(FlaskForm):
    controller_name = _short("controller_name")
    org_number = _short("org_number")
    controller_contact = _long("controller_contact")
    dpo_contact = _long("dpo_contact")
    purposes = _long("purposes")
    legal_basis = _long("legal_basis")
    stored_data = _long("stored_data")
    recipients = _long("recipients")
    retention_note = _long("retention_note")
    rights = _long("rights")


class AccessibilityForm(FlaskForm):
    organisation = _short("organisation")
    status = RadioField(
        labels.FIELD_LABELS["status"],
        choices=[SelectChoice(value, labels.STATUS_LABELS[value]) for value in content.STATUSES],
    )
    gaps = _long("gaps")
    report = _long("report")
    assessment = _long("assessment")


FORMS = {content.PRIVACY: PrivacyForm, content.ACCESSIBILITY: AccessibilityForm}


def days(field) -> int | None:
    """The field's whole number of days, or None when it is not one within the limits."""
    return parse_int(field.data, minimum=retention.MIN_DAYS, maximum=retention.MAX_DAYS)


def _check_days(_form, field) -> None:
    if days(field) is None:
        raise ValidationError(str(MESSAGES["range"]))


def _days(name):
    # Text, not IntegerField: its "Not a valid integer value." would come before ours.
    return StringField(
        labels.PERIOD_LABELS[name],
        description=labels.PERIOD_HINTS[name],
        validators=[_check_days],
    )


class RetentionForm(FlaskForm):
    unconfirmed_account_days = _days("unconfirmed_account_days")
    outbox_email_days = _days("outbox_email_days")
    read_notification_days = _days("read_notification_days")
    event_needs_days = _days("event_needs_days")
