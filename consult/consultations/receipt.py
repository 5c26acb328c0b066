"""A plain-text receipt of what a participant has submitted."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from ..labels import KIND_LABELS, STANCE_LABELS, status_label
from ..models import Comment, User


def _target_label(comment: Comment) -> str:
    if comment.paragraph is not None:
        return (
            _("Paragraph %(n)s", n=comment.paragraph.number) + f": {comment.paragraph.text[:120]}"
        )
    if comment.section is not None:
        return _("Section %(n)s", n=comment.section.number) + f": {comment.section.heading}"
    return _("The whole draft")


def fingerprint(comment: Comment) -> str:
    """Return a keyed checksum of what was submitted; only the platform can compute it, so
    staff can confirm that a receipt matches what is stored."""
    content = "\x1f".join(
        [
            str(comment.id),
            comment.created_at.isoformat(),
            comment.kind.value,
            comment.stance.value if comment.stance else "",
            str(comment.paragraph_id or ""),
            str(comment.section_id or ""),
            comment.body,
            comment.proposed_text or "",
        ]
    )
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()[:20]


def render(user: User, comments: list[Comment], now: datetime) -> str:
    """Return the receipt text for ``user``'s ``comments``."""
    lines = [
        _("Receipt of submitted comments"),
        "=" * 40,
        _("Name: %(name)s", name=user.display_name),
        _("Created: %(date)s", date=format_datetime(now, "y-MM-dd HH:mm")),
        _("Number of comments: %(n)s", n=len(comments)),
        "",
    ]
    for comment in comments:
        round_ = comment.round
        lines += [
            "-" * 40,
            f"{round_.consultation.title} – {round_.title}",
            _("Concerns: %(target)s", target=_target_label(comment)),
            _("Submitted: %(date)s", date=format_datetime(comment.created_at, "y-MM-dd HH:mm")),
        ]
        if comment.updated_at != comment.created_at:
            lines.append(
                _(
                    "Last changed: %(date)s",
                    date=format_datetime(comment.updated_at, "y-MM-dd HH:mm"),
                )
            )
        lines.append(_("Type: %(kind)s", kind=KIND_LABELS[comment.kind]))
        if comment.stance:
            lines.append(_("Position: %(stance)s", stance=STANCE_LABELS[comment.stance]))
        if comment.author_organisation_name:
            lines.append(_("On behalf of: %(org)s", org=comment.author_organisation_name))
        lines.append(_("Status: %(status)s", status=status_label(comment)))
        if comment.proposed_text:
            lines += ["", _("Proposed wording:"), comment.proposed_text]
        if comment.body:
            lines += ["", comment.body]
        lines += ["", _("Checksum: %(sum)s", sum=fingerprint(comment)), ""]
    return "\n".join(lines) + "\n"
