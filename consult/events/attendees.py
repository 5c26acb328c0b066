"""The attendee list of an event for staff and the event's managers: places, the waiting
list in order, cancellations, attendance, attendance by stakeholder category, and the list as
a workbook (.xlsx). The dietary and accessibility needs given are health-related: they are
shown and exported to staff only (``access.is_staff``), never to a group's chair or secretary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit, clock
from .. import group_access as access
from ..errors import NotFound, WrongState
from ..labels import CATEGORY_LABELS
from ..models import Category, Event, Registration, RegistrationStatus
from ..synthesis.exports import xlsx_cells
from .services import get_event

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
    # The needs given are shown to staff only.
    show_needs: bool

    @property
    def attended(self) -> int:
        return sum(1 for r in self.confirmed if r.attended)


def attendees(session: Session, actor, event_id: int, *, now: datetime) -> Attendees:
    """The event's registrations for its managers (staff and the groups' chair/secretary);
    the needs only for staff (``show_needs``)."""
    event = get_event(session, actor, event_id)
    registrations = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(selectinload(Registration.user))
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
        show_needs=access.is_staff(actor),
    )


def mark_attended(
    session: Session,
    actor,
    event_id: int,
    registration_id: int,
    attended: bool | None,
    *,
    now: datetime,
) -> Registration:
    """Record whether a person with a place came (None: not known); after the start only.
    NotFound unless the registration is one of event ``event_id``."""
    event = get_event(session, actor, event_id)
    registration = session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound()
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


def _headers(show_needs: bool) -> list[str]:
    needs = [_("Dietary needs"), _("Accessibility needs")] if show_needs else []
    return [
        _("Status"),
        _("Waiting list number"),
        _("Name"),
        _("E-mail"),
        _("Organisation"),
        _("Stakeholder category"),
        *needs,
        _("Registered"),
        _("Got a place from the waiting list"),
        _("Registration cancelled"),
        _("Attended"),
    ]


def xlsx(session: Session, actor, event_id: int, *, now: datetime) -> tuple[Event, bytes]:
    """The attendee list as a workbook; formula-like text is written as plain text. The
    needs columns are there for staff only. Times are Stockholm time (spreadsheets keep no
    time zone)."""
    found = attendees(session, actor, event_id, now=now)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Registrations")[:31])
    sheet.freeze_panes = "A2"
    heading = []
    for text in _headers(found.show_needs):
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
            ]
            if found.show_needs:
                values += [registration.dietary_needs or "", registration.accessibility_needs or ""]
            values += [
                clock.to_local(registration.created_at),
                clock.to_local(registration.promoted_at),
                clock.to_local(registration.cancelled_at),
                attended_label(registration.attended),
            ]
            sheet.append(xlsx_cells(sheet, values))
    buffer = BytesIO()
    workbook.save(buffer)
    return found.event, buffer.getvalue()
