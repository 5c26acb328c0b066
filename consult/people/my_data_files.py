"""The files of a "my data" download: the JSON, and a ZIP with a readable HTML page beside it.

The HTML page stands alone (styles inline, no scripts, images or links to other files), so it
reads the same offline, years later, in any browser or screen reader.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any

from flask import render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .. import labels
from ..dates import when
from ..models import NameShown
from .labels import CLAIM_LABELS, ROLE_LABELS
from .my_data import to_json

NAME_SHOWN_LABELS = {
    NameShown.FULL: _l("Full name"),
    NameShown.INITIAL: _l("First name and the initial of the last name"),
    NameShown.HIDDEN: _l("Without name (private individuals: with the municipality)"),
}

# What each part of the download holds, for the page that offers it (key -> description).
SECTIONS = {
    "account": _l(
        "Your account: e-mail address and whether it is confirmed, name and how it is shown "
        "publicly, municipality, category, role, language, e-mail setting, and whether you are "
        "blocked from writing."
    ),
    "organisation": _l("The organisation you speak for, and whether staff have verified it."),
    "comments": _l(
        "Every comment and reply you wrote, in every status (also withdrawn, rejected and hidden "
        "ones), with the consultation, the paragraph or section it is on, the moderators' "
        "decision, the themes staff placed it in and every earlier version of its text."
    ),
    "agreements": _l("The comments you agreed with, and when."),
    "reports_made": _l("The comments you reported, with your reason and note."),
    "notifications": _l("Your notifications."),
    "follows": _l("The consultations you follow."),
    "emails": _l("The e-mails sent to you."),
    "audit": _l(
        "Logged actions on your account and your comments (e.g. a block or a moderation "
        "decision), and any you took yourself."
    ),
    "staff_work": _l("For staff: the moderation, analysis and synthesis work recorded with you."),
    "consultation_contact": _l("Consultations that name your e-mail address as contact."),
}


def filename(now: datetime, extension: str, user_id: int | None = None) -> str:
    """The download's file name in the reader's language, e.g. mina-uppgifter-2027-03-01.zip.

    Staff downloading for someone get the account number in it, so files do not mix up.
    """
    stem = "mina-uppgifter" if str(get_locale()) == "sv" else "my-data"
    who = f"-{user_id}" if user_id is not None else ""
    return f"{stem}{who}-{now:%Y-%m-%d}.{extension}"


def _at(value: str | None) -> str:
    return when(datetime.fromisoformat(value)) if value else ""


def _label(table: dict, code: str | None) -> str:
    for key, label in table.items():
        if getattr(key, "value", key) == code:
            return str(label)
    return code or ""


def render_html(data: dict[str, Any]) -> str:
    """The export as one self-contained HTML page in the current language."""
    # Imported here: these packages import (through their routes) the people package.
    from ..admin.audit_log import ACTION_LABELS
    from ..moderation import reasons
    from ..notifications.messages import MESSAGES

    def notification_subject(kind: str) -> str:
        return str(MESSAGES[kind][0]) if kind in MESSAGES else kind

    return render_template(
        "people/my_data_file.html",
        data=data,
        account=data["account"],
        at=_at,
        label=_label,
        labels=labels,
        reason_label=lambda code: reasons.label(code) if code else "",
        role_labels=ROLE_LABELS,
        claim_labels=CLAIM_LABELS,
        name_shown_labels=NAME_SHOWN_LABELS,
        notification_subject=notification_subject,
        action_label=lambda action: str(ACTION_LABELS.get(action, action)),
        language_names={"sv": "Svenska", "en": "English"},
    )


def build_zip(data: dict[str, Any], stem: str) -> bytes:
    """A ZIP holding ``stem``.html (to read) and ``stem``.json (for programs)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.html", render_html(data).encode("utf-8"))
        archive.writestr(f"{stem}.json", to_json(data))
    return buffer.getvalue()
