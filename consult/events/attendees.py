"""The attendee list of an event for staff and the event's managers: places, the waiting
list in order, cancellations, the needs given, attendance, attendance by stakeholder
category, and the list as a workbook (.xlsx)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..errors import NotFound, WrongState
from ..groups.access import require_event_manager
from ..labels import CATEGORY_LABELS
from ..models import Category, Event, Registration, RegistrationStatus
from ..synthesis.exports import _cells

STATUS_ORDER = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.CANCELLED,
)


@dataclass
class CategoryRow:
    category: Category
    registered: int
    attended: int


@dataclass
class Attendees:
    event: Event
    confirmed: list[Registration]
    waiting: list[Registration]
    cancelled: list[Registration]
    by_category: list[CategoryRow]
    # Attendance can be marked once the event has started.
    may_mark: bool

    @property
    def attended(self) -> int:
        return sum(1 for r in self.confirmed if r.attended)


def get_event(session: Session, actor, event_id: int) -> Event:
    """The event, for its managers only (NotFound if it does not exist)."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound()
    require_event_manager(session, actor, event)
    return event


def attendees(session: Session, actor, event_id: int, *, now: datetime) -> Attendees:
    """The event's registrations for its managers (staff and the groups' chair/secretary)."""
    event = get_event(session, actor, event_id)
    registrations = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.queued_at, Registration.id)
    ).all()
    groups = {status: [] for status in STATUS_ORDER}
    for registration in registrations:
        groups[registration.status].append(registration)
    counts: dict[Category, list[int]] = {}
    for registration in groups[RegistrationStatus.CONFIRMED]:
        row = counts.setdefault(registration.category, [0, 0])
        row[0] += 1
        row[1] += 1 if registration.attended else 0
    by_category = [
        CategoryRow(category, *counts[category]) for category in Category if category in counts
    ]
    groups[RegistrationStatus.CANCELLED].sort(key=lambda r: (r.cancelled_at or now, r.id))
    return Attendees(
        event=event,
        confirmed=groups[RegistrationStatus.CONFIRMED],
        waiting=groups[RegistrationStatus.WAITING],
        cancelled=groups[RegistrationStatus.CANCELLED],
        by_category=by_category,
        may_mark=event.starts_at <= now,
    )


def mark_attended(
    session: Session, actor, registration_id: int, attended: bool | None, *, now: datetime
) -> Registration:
    """Record whether a person with a place came (None: not known); after the start only."""
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise NotFound()
    event = get_event(session, actor, registration.event_id)
    if event.starts_at > now:
        raise WrongState("not_started")
    if registration.status != RegistrationStatus.CONFIRMED:
        raise WrongState("no_place")
    before = {"attended": registration.attended}
    registration.attended = attended
    audit.record(
        session,
        actor,
        "registration.attended",
        registration,
        before,
        {"attended": attended},
        now=now,
    )
    session.commit()
    return registration


def status_label(registration: Registration) -> str:
    return {
        RegistrationStatus.CONFIRMED: _("Place"),
        RegistrationStatus.WAITING: _("Waiting list"),
        RegistrationStatus.CANCELLED: _("Registration cancelled"),
    }[registration.status]


def attended_label(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _headers() -> list[str]:
    return [
        _("Status"),
        _("Waiting list number"),
        _("Name"),
        _("E-mail"),
        _("Organisation"),
        _("Stakeholder category"),
        _("Dietary needs"),
        _("Accessibility needs"),
        _("Registered"),
        _("Got a place from the waiting list"),
        _("Registration cancelled"),
        _("Attended"),
    ]


def _stamp(value: datetime | None):
    # Spreadsheets keep no time zone: the time as read in Stockholm.
    from ..clock import STOCKHOLM

    return value.astimezone(STOCKHOLM).replace(tzinfo=None) if value else None


def xlsx(session: Session, actor, event_id: int, *, now: datetime) -> tuple[Event, bytes]:
    """The attendee list as a workbook; formula-like text is written as plain text."""
    found = attendees(session, actor, event_id, now=now)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Registrations")[:31])
    sheet.freeze_panes = "A2"
    heading = []
    for text in _headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        heading.append(cell)
    sheet.append(heading)
    for group in (found.confirmed, found.waiting, found.cancelled):
        for number, registration in enumerate(group, 1):
            user = registration.user
            values = [
                status_label(registration),
                number if registration.status == RegistrationStatus.WAITING else None,
                user.display_name,
                user.email,
                registration.organisation_name or "",
                str(CATEGORY_LABELS[registration.category]),
                registration.dietary_needs or "",
                registration.accessibility_needs or "",
                _stamp(registration.created_at),
                _stamp(registration.promoted_at),
                _stamp(registration.cancelled_at),
                attended_label(registration.attended),
            ]
            sheet.append(_cells(sheet, values))
    buffer = BytesIO()
    workbook.save(buffer)
    return found.event, buffer.getvalue()
