"""Reader-facing names of responses and work statuses, and the form's error texts."""

from flask_babel import lazy_gettext as _l

from ..models import Response, WorkStatus
from .services import TEXT_MAX

RESPONSE_LABELS = {
    Response.ACCEPTED: _l("Accepted"),
    Response.PARTLY: _l("Partly accepted"),
    Response.NOT_ACCEPTED: _l("Not accepted"),
    Response.NOTED: _l("Noted"),
}
STATUS_LABELS = {
    WorkStatus.NOT_STARTED: _l("Not started"),
    WorkStatus.DRAFTED: _l("Drafted"),
    WorkStatus.REVIEWED: _l("Reviewed"),
}
ERROR_TEXTS = {
    ("summary", "too_long"): _l("The text is too long (at most %(max)s characters).", max=TEXT_MAX),
    ("motivation", "too_long"): _l(
        "The text is too long (at most %(max)s characters).", max=TEXT_MAX
    ),
    ("response", "invalid"): _l("Choose one of the responses."),
    ("status", "invalid"): _l("Choose one of the statuses."),
    ("response", "required_when_reviewed"): _l("A reviewed entry needs a response."),
    ("summary", "required_when_reviewed"): _l("A reviewed entry needs a summary."),
}


def texts() -> dict:
    """Labels the synthesis templates share."""
    return {"responses": RESPONSE_LABELS, "work_statuses": STATUS_LABELS}


# Names for the audit entries of the synthesis, for the administration's audit log to merge
# (``ACTION_LABELS | synthesis.labels.AUDIT_ACTION_LABELS``, likewise for fields and objects).
AUDIT_ACTION_LABELS = {
    "synthesis.create": _l("Synthesis written"),
    "synthesis.edit": _l("Synthesis edited"),
    "synthesis.carry": _l("Synthesis carried over from a merged theme"),
}
AUDIT_FIELD_LABELS = {
    "summary": _l("Summary"),
    "response": _l("Response"),
    "motivation": _l("Motivation"),
    "status": _l("Status of the work"),
    "from_theme_id": _l("From the theme (number)"),
}
AUDIT_OBJECT_LABELS = {"synthesis": _l("Synthesis")}
