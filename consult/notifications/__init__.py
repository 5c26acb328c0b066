"""Notifications: an in-app list for every user, and e-mails through an outbox.

Services call ``notify`` inside the transaction of the change that caused it, so a
notification exists exactly when its cause was committed. The outbox is sent later by
``consult.notifications.sending`` (SMTP when configured, a log file otherwise).
"""

from __future__ import annotations

import json
from datetime import datetime

from flask import current_app, has_app_context, url_for
from flask_babel import force_locale
from sqlalchemy.orm import Session

from ..models import Notification, OutboxEmail, User
from .messages import render


def notify(
    session: Session,
    recipient: User,
    kind: str,
    *,
    now: datetime,
    url: str | None = None,
    **params: str | int,
) -> Notification:
    """Record ``kind`` for ``recipient`` and queue an e-mail unless they turned e-mail off.

    ``url`` is best a path on this site ("/samrad/…"): the in-app list links to it as it is,
    the e-mail gets it prefixed with the configured ``BASE_URL``. Timestamps go in ``params``
    as ISO strings named ``*_at`` and are shown in the reader's language.
    """
    notification = Notification(
        user_id=recipient.id,
        kind=kind,
        params=json.dumps(params, ensure_ascii=False),
        url=url,
        created_at=now,
    )
    session.add(notification)
    if recipient.email_notifications:
        with force_locale(recipient.locale or "sv"):
            settings = absolute_url(url_for("notifications.settings", _external=False))
            subject, body = render(kind, params, absolute_url(url), settings)
        session.add(
            OutboxEmail(
                notification=notification,
                user_id=recipient.id,
                to_address=recipient.email,
                subject=subject,
                body=body,
                created_at=now,
            )
        )
    return notification


def absolute_url(url: str | None) -> str | None:
    """Return ``url`` as an address that works from an e-mail (site paths get ``BASE_URL``)."""
    if not url or not url.startswith("/") or url.startswith("//") or not has_app_context():
        return url
    return current_app.config["BASE_URL"].rstrip("/") + url
