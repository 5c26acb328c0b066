"""What each kind of notification says, in the recipient's language."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..dates import when

# kind -> (subject, first line). Params are filled in with str.format-style names.
MESSAGES = {
    "comment.approved": (
        _l("Your comment has been published"),
        _l("Your comment on “{round_title}” was approved by a moderator and is now public."),
    ),
    "comment.rejected": (
        _l("Your comment was not published"),
        _l("A moderator did not publish your comment on “{round_title}”. Reason: {reason}"),
    ),
    "comment.hidden": (
        _l("Your comment has been hidden"),
        _l("A moderator hid your comment on “{round_title}”. Reason: {reason}"),
    ),
    "comment.unhidden": (
        _l("Your comment is visible again"),
        _l("A moderator reviewed your comment on “{round_title}” and made it visible again."),
    ),
    "comment.replied": (
        _l("New reply to your comment"),
        _l("{replier} replied to your comment on “{round_title}”."),
    ),
    "round.opened": (
        _l("A consultation round has opened"),
        _l("“{round_title}” is open for comments until {closes_at}."),
    ),
    "round.deadline_changed": (
        _l("A consultation deadline has changed"),
        _l("The deadline of “{round_title}” is now {closes_at}."),
    ),
    "round.closed": (
        _l("A consultation round has closed"),
        _l("“{round_title}” is closed. Thank you to everyone who took part."),
    ),
    "queue.grew": (
        _l("Comments are waiting for moderation"),
        _l("Comments waiting for review in “{round_title}”: {count}."),
    ),
    "event.promoted": (
        _l("You got a place at an event"),
        _l("A place became free at “{event_title}”: you are now registered."),
    ),
}


def _readable(params: dict) -> dict:
    """Format the timestamps among ``params`` (ISO strings named ``*_at``) for the reader.

    Dates are stored as ISO strings so that the in-app list shows them in the language and
    form of whoever reads it, not of whoever caused the notification.
    """
    readable = dict(params)
    for name, value in params.items():
        if name.endswith("_at") and isinstance(value, str):
            try:
                readable[name] = when(datetime.fromisoformat(value))
            except ValueError:
                pass
    return readable


# A subject stays readable in a mail list: the consultation's name is cut after this.
SUBJECT_NAME_CHARS = 120


def subject(kind: str, params: dict) -> str:
    """Return the e-mail subject of a notification: what happened, in which consultation.

    ``consultation`` names it; notifications recorded before it was passed fall back to
    ``round_title`` (which starts with the consultation's title).
    """
    what = str(MESSAGES[kind][0])
    name = str(params.get("consultation") or params.get("round_title") or "").strip()
    if not name:
        return what
    if len(name) > SUBJECT_NAME_CHARS:
        name = name[: SUBJECT_NAME_CHARS - 1].rstrip() + "…"
    return f"{what} – {name}"


def render(
    kind: str, params: dict, url: str | None, settings_url: str | None = None
) -> tuple[str, str]:
    """Return the subject and plain-text body of a notification of ``kind``."""
    line = MESSAGES[kind][1]
    body = [str(line).format(**_readable(params))]
    if url:
        body += ["", url]
    body += ["", gettext("You can turn these e-mails off in your account settings.")]
    if settings_url:
        body.append(settings_url)
    return subject(kind, params), "\n".join(body)


def summary(kind: str, params: dict) -> str:
    """Return the one-line text shown in the in-app list."""
    if kind not in MESSAGES:
        return kind
    return str(MESSAGES[kind][1]).format(**_readable(params))
