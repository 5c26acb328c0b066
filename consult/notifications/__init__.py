"""Notifications: an in-app list for every user, and e-mails through an outbox.

Services call ``notify`` inside the transaction of the change that caused it, so a
notification exists exactly when its cause was committed. The outbox is sent later by
``consult.notifications.sending`` (SMTP when configured, a log file otherwise).
"""

from __future__ import annotations

import json
from datetime import datetime

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
    """Record ``kind`` for ``recipient`` and queue an e-mail unless they turned e-mail off."""
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
            subject, body = render(kind, params, url)
        session.add(
            OutboxEmail(
                notification=notification,
                to_address=recipient.email,
                subject=subject,
                body=body,
                created_at=now,
            )
        )
    return notification
