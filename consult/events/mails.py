"""The e-mails about a person's registration for an event, queued in the outbox.

Sent whatever the person chose for notification e-mails (they asked for the place), in their
language, with the event's calendar file attached to the confirmation and to the news of a
place from the waiting list. A place from the waiting list is also told in the app.
"""

from __future__ import annotations

import json
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from ..dates import when
from ..models import Event, Notification, OutboxEmail, Registration, RegistrationStatus, User
from ..notifications import absolute_url
from ..paths import event_path
from . import calendar

PROMOTED = "event.promoted"


def _queue(
    session: Session,
    user: User,
    event: Event,
    subject: str,
    lines: list[str],
    now: datetime,
    *,
    notification: Notification | None = None,
    ics: bool = False,
) -> OutboxEmail:
    body = "\n".join(lines + ["", _("This e-mail was sent automatically by Consult.")])
    email = OutboxEmail(
        notification=notification,
        user_id=user.id,
        to_address=user.email,
        subject=subject,
        body=body,
        created_at=now,
    )
    if ics:
        email.attachment_name = f"{event.slug}.ics"
        email.attachment_type = calendar.MEDIA_TYPE
        email.attachment_data = calendar.event_ics(event, now=now)
    session.add(email)
    return email


def _about(event: Event) -> list[str]:
    lines = [
        "",
        event.title,
        _("When: %(start)s – %(end)s", start=when(event.starts_at), end=when(event.ends_at)),
    ]
    place = calendar.location(event)
    if place:
        lines.append(_("Where: %(place)s", place=place))
    lines += ["", absolute_url(event_path(event))]
    return lines


def registered(
    session: Session, registration: Registration, event: Event, user: User, *, now: datetime
) -> None:
    """Confirm a registration: a place, or the place on the waiting list."""
    from .registration import waiting_position

    with force_locale(user.locale or "sv"):
        if registration.status == RegistrationStatus.CONFIRMED:
            subject = _("You are registered: %(title)s", title=event.title)
            first = _("You have a place at the event.")
        else:
            subject = _("You are on the waiting list: %(title)s", title=event.title)
            first = _(
                "The event is full, so you are number %(num)s on the waiting list. If a place "
                "becomes free you get it automatically, and we tell you.",
                num=waiting_position(session, registration),
            )
        lines = [_("Hello %(name)s,", name=user.display_name), "", first]
        lines += _about(event)
        lines += ["", _("If you cannot come, cancel your registration on the event's page.")]
        _queue(session, user, event, subject, lines, now, ics=True)


def promoted(
    session: Session, registration: Registration, event: Event, user: User, *, now: datetime
) -> None:
    """Tell the person that a place became free and is now theirs (in the app and by mail)."""
    params = {"event_title": event.title, "consultation": event.consultation.title}
    notification = Notification(
        user_id=user.id,
        kind=PROMOTED,
        params=json.dumps(params, ensure_ascii=False),
        url=event_path(event),
        created_at=now,
    )
    session.add(notification)
    with force_locale(user.locale or "sv"):
        lines = [
            _("Hello %(name)s,", name=user.display_name),
            "",
            _("A place became free and it is now yours: you are registered for the event."),
        ]
        lines += _about(event)
        lines += ["", _("If you cannot come, cancel your registration on the event's page.")]
        _queue(
            session,
            user,
            event,
            _("You got a place: %(title)s", title=event.title),
            lines,
            now,
            notification=notification,
            ics=True,
        )


def cancelled(
    session: Session,
    registration: Registration,
    event: Event,
    user: User,
    *,
    now: datetime,
    by_staff: bool,
) -> None:
    """Confirm that the registration was cancelled."""
    with force_locale(user.locale or "sv"):
        first = (
            _("The organisers have cancelled your registration for the event.")
            if by_staff
            else _("Your registration for the event is cancelled.")
        )
        lines = [_("Hello %(name)s,", name=user.display_name), "", first]
        lines += _about(event)
        _queue(
            session,
            user,
            event,
            _("Registration cancelled: %(title)s", title=event.title),
            lines,
            now,
        )


def event_cancelled(session: Session, event: Event, user: User, *, now: datetime) -> None:
    """Tell a registered person (with a place or waiting) that the event is cancelled."""
    with force_locale(user.locale or "sv"):
        lines = [
            _("Hello %(name)s,", name=user.display_name),
            "",
            _("The event you registered for is cancelled. You do not need to do anything."),
        ]
        lines += _about(event)
        _queue(session, user, event, _("Event cancelled: %(title)s", title=event.title), lines, now)
