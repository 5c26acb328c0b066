"""The synthesis entry form; the service decides what is valid, the form only parses."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, TextAreaField

from ..models import Response, WorkStatus
from ..web import parse_int
from .labels import ERROR_TEXTS, RESPONSE_LABELS, STATUS_LABELS


class EntryForm(FlaskForm):
    """Summary, response, motivation and status, with the version the form was loaded at."""

    class Meta:
        csrf = False  # CSRFProtect checks every post; the template sends the token

    summary = TextAreaField(
        _l("Summary"), description=_l("What the comments say, in a few sentences.")
    )
    response = SelectField(
        _l("Response"),
        choices=[
            SelectChoice("", _l("No response yet")),
            *(SelectChoice(r.value, RESPONSE_LABELS[r]) for r in Response),
        ],
        validate_choice=False,
    )
    motivation = TextAreaField(_l("Motivation"), description=_l("Why the region responds so."))
    status = RadioField(
        _l("Status of the work"),
        choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in WorkStatus],
        validate_choice=False,
    )
    version = HiddenField()

    @classmethod
    def of(cls, entry) -> EntryForm:
        """Return a form filled from a saved (or new) entry."""
        form = cls(formdata=None)
        form.summary.data = entry.summary
        form.response.data = entry.response.value if entry.response else ""
        form.motivation.data = entry.motivation
        form.status.data = entry.status.value
        form.version.data = str(entry.version or 0)
        return form

    def posted(self) -> dict:
        """The posted entry as the keyword arguments of ``services.save``. A missing or
        unreadable version is -1, which matches no saved entry (the save is a conflict)."""
        version = parse_int(self.version.data)
        return {
            "summary": self.summary.data or "",
            "response": self.response.data or "",
            "motivation": self.motivation.data or "",
            "status": self.status.data or "",
            "version": -1 if version is None else version,
        }

    @staticmethod
    def error_message(field: str, key: str) -> str:
        """Return the reader-facing message for a refused field of an entry."""
        return str(ERROR_TEXTS[(field, key)])
