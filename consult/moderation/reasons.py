"""Why a comment was rejected, hidden or reported: reason codes and their translated names."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

OTHER = "other"
# Set by the service, not chosen by anyone: distinct reports reached the round's threshold.
REPORTS = "reports"

REASONS = {
    "off_topic": _l("Off topic"),
    "personal_data": _l("Personal data about someone"),
    "offensive": _l("Offensive language"),
    "spam": _l("Advertising or spam"),
    "duplicate": _l("Duplicate"),
    OTHER: _l("Other reason"),
}
# Set by the people area when staff block an author and hide their comments.
BLOCKED = "blocked"
LABELS = {
    **REASONS,
    REPORTS: _l("Reported by several participants, hidden pending review"),
    BLOCKED: _l("The author is blocked"),
}
NOTE_MAX_CHARS = 1000


def label(code: str | None) -> str:
    """Return the reader-facing name of a reason code (the code itself if unknown)."""
    if not code:
        return ""
    return str(LABELS.get(code, code))


def label_for(code: str, note: str | None, locale: str | None) -> str:
    """Return a reason with its note as one sentence, in ``locale`` (for notifications)."""
    with force_locale(locale or "sv"):
        text = label(code)
    return f"{text}: {note}" if note else text
