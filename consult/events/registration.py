"""Registration for dialogue events: a place, or a place on the waiting list.

Race-safe: every change to an event's registrations first raises the event's
``registration_version`` with an UPDATE, which takes the write lock (a row lock on
PostgreSQL, the database's write lock on SQLite) before the places are counted. Of many
people registering at once for the last places, exactly as many get one as there are; the
others go on the waiting list, ordered by ``queued_at`` (then id). A place freed by a
cancellation, or added by raising the capacity, goes to the first on the list in the same
transaction, and that person is told (in the app and by e-mail). The partial unique index
``uq_registration_active`` refuses a second active registration of the same person.

Dietary and accessibility needs are seen only by staff (``attendees``), and are deleted when
a registration is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit, sanitise
from ..errors import Invalid, NotFound, WrongState
from ..group_access import require_event_manager
from ..models import Event, Registration, RegistrationStatus, User
from ..permissions import require_user, signed_in
from . import mails

NEEDS_MAX_CHARS = 1000
NEEDS_FIELDS = ("dietary_needs", "accessibility_needs")

# Why registration is not possible (WrongState keys; the page says each in words).
OFF = "registration_off"
CANCELLED = "event_cancelled"
STARTED = "event_started"
CLOSED = "registration_closed"
ALREADY = "already_registered"
BLOCKED = "blocked"
UNCONFIRMED = "unconfirmed"
NOT_REGISTERED = "not_registered"


def closed_reason(event: Event, now: datetime) -> str | None:
    """Why nobody can register for ``event`` now, or None while registration is open."""
    if event.cancelled_at is not None:
        return CANCELLED
    if event.starts_at <= now:
        return STARTED
    if not event.registration_enabled:
        return OFF
    if event.registration_closes_at is not None and event.registration_closes_at <= now:
        return CLOSED
    return None


def _lock(session: Session, event_id: int) -> Event:
    """Take the event's registration lock and return the event as it is now.

    The UPDATE comes first: it waits for any other transaction changing the registrations
    and holds the others back until this one ends, so what is counted next stays true.
    """
    bumped = session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(registration_version=Event.registration_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not bumped:
        raise NotFound()
    return session.scalar(
        select(Event).where(Event.id == event_id).execution_options(populate_existing=True)
    )


def confirmed_count(session: Session, event_id: int) -> int:
    """How many places of the event are taken."""
    return session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    )


def active_registration(session: Session, user, event_id: int) -> Registration | None:
    """The person's registration for the event that is not cancelled, if any."""
    if not signed_in(user):
        return None
    return session.scalar(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.user_id == user.id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )


def waiting_position(session: Session, registration: Registration) -> int | None:
    """The registration's place on the waiting list (1 is next), or None if not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            (Registration.queued_at < registration.queued_at)
            | (
                (Registration.queued_at == registration.queued_at)
                & (Registration.id < registration.id)
            ),
        )
    )
    return ahead + 1


def _clean_needs(value: str | None, field: str) -> str | None:
    try:
        text = sanitise.normalise_text(value or "")
    except sanitise.UnsafeText as error:
        raise Invalid({field: "binary"}) from error
    if len(text) > NEEDS_MAX_CHARS:
        raise Invalid({field: "too_long"})
    return text or None


def register(
    session: Session,
    user: User,
    event_id: int,
    *,
    dietary_needs: str | None = None,
    accessibility_needs: str | None = None,
    now: datetime,
) -> Registration:
    """Register ``user`` for the event: a place while there are places, else the waiting
    list. Committed, with the confirmation e-mail queued.

    Refuses (WrongState) a blocked or unconfirmed account, an event that is cancelled, has
    started or has registration off or closed, and a second registration.
    """
    require_user(user)
    dietary = _clean_needs(dietary_needs, "dietary_needs")
    accessibility = _clean_needs(accessibility_needs, "accessibility_needs")
    event = _lock(session, event_id)
    fresh = session.scalar(
        select(User).where(User.id == user.id).execution_options(populate_existing=True)
    )
    if fresh.is_blocked:
        raise WrongState(BLOCKED)
    if not fresh.is_confirmed:
        raise WrongState(UNCONFIRMED)
    reason = closed_reason(event, now)
    if reason is not None:
        raise WrongState(reason)
    if active_registration(session, fresh, event.id) is not None:
        raise WrongState(ALREADY)
    full = event.capacity is not None and confirmed_count(session, event.id) >= event.capacity
    registration = Registration(
        event_id=event.id,
        user_id=fresh.id,
        status=RegistrationStatus.WAITING if full else RegistrationStatus.CONFIRMED,
        category=fresh.category,
        organisation_name=fresh.organisation.name if fresh.organisation else None,
        dietary_needs=dietary,
        accessibility_needs=accessibility,
        created_at=now,
        queued_at=now,
    )
    session.add(registration)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise WrongState(ALREADY) from error
    mails.registered(session, registration, event, fresh, now=now)
    session.commit()
    return registration


def _promote(session: Session, event: Event, now: datetime) -> list[Registration]:
    """Give free places to the first on the waiting list (the lock is held); tell them."""
    promoted = []
    while event.capacity is None or confirmed_count(session, event.id) < event.capacity:
        first = session.scalar(
            select(Registration)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITING,
            )
            .order_by(Registration.queued_at, Registration.id)
            .limit(1)
        )
        if first is None:
            break
        first.status = RegistrationStatus.CONFIRMED
        first.promoted_at = now
        session.flush()
        mails.promoted(session, first, event, first.user, now=now)
        promoted.append(first)
    return promoted


def _cancel_locked(
    session: Session,
    registration: Registration,
    event: Event,
    now: datetime,
    *,
    by_staff: bool,
    tell: bool = True,
) -> list[Registration]:
    had_place = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    # Nobody needs the needs of a cancelled registration: they go at once.
    if registration.dietary_needs or registration.accessibility_needs:
        registration.dietary_needs = registration.accessibility_needs = None
        registration.needs_erased_at = now
    session.flush()
    if tell:
        mails.cancelled(session, registration, event, registration.user, now=now, by_staff=by_staff)
    if had_place and event.cancelled_at is None and event.starts_at > now:
        return _promote(session, event, now)
    return []


def cancel(session: Session, user: User, event_id: int, *, now: datetime) -> list[Registration]:
    """Cancel the person's own registration; a freed place goes to the first waiting.

    Returns the registrations promoted. Committed.
    """
    require_user(user)
    event = _lock(session, event_id)
    registration = active_registration(session, user, event.id)
    if registration is None:
        raise WrongState(NOT_REGISTERED)
    if event.starts_at <= now:
        raise WrongState(STARTED)
    promoted = _cancel_locked(session, registration, event, now, by_staff=False)
    session.commit()
    return promoted


def cancel_for(
    session: Session, actor: User, event_id: int, registration_id: int, *, now: datetime
) -> list[Registration]:
    """Staff or the event's managers cancel someone's registration (audited). NotFound
    unless the registration is one of event ``event_id``."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.event_id != event_id:
        raise NotFound()
    require_event_manager(session, actor, registration.event)
    event = _lock(session, registration.event_id)
    session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        raise WrongState(NOT_REGISTERED)
    before = {"status": registration.status.value}
    promoted = _cancel_locked(session, registration, event, now, by_staff=True)
    audit.record(
        session,
        actor,
        "registration.cancel",
        registration,
        before,
        {"status": "cancelled"},
        now=now,
    )
    session.commit()
    return promoted


def fill_places(session: Session, event_id: int, *, now: datetime) -> list[Registration]:
    """Give the places now free to the first on the waiting list, and tell them; for a
    service that changed the event's capacity itself (the caller checked who may, and
    commits). Only while registration is on: switching it off moves nobody up. Returns the
    registrations promoted."""
    event = _lock(session, event_id)
    if event.cancelled_at is not None or event.starts_at <= now or not event.registration_enabled:
        return []
    return _promote(session, event, now)


def tell_event_cancelled(session: Session, event: Event, *, now: datetime) -> int:
    """Tell everyone with a place or on the waiting list that the event is cancelled (their
    registrations stay as they were, as a record). Not committed. Returns how many were told.
    """
    active = session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .options(selectinload(Registration.user))
    ).all()
    for registration in active:
        mails.event_cancelled(session, event, registration.user, now=now)
    return len(active)


def forget_person(session: Session, user_id: int, *, now: datetime) -> int:
    """For a closed account: cancel its active registrations (the next waiting move up, and
    are told; the person is not), and delete the needs and the organisation name it gave.
    Not committed.

    Returns how many registrations were cancelled.
    """
    active = session.scalars(
        select(Registration)
        .where(
            Registration.user_id == user_id,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .order_by(Registration.event_id)
    ).all()
    for registration in active:
        event = _lock(session, registration.event_id)
        session.refresh(registration)
        if registration.status != RegistrationStatus.CANCELLED:
            _cancel_locked(session, registration, event, now, by_staff=True, tell=False)
    session.execute(
        update(Registration)
        .where(
            Registration.user_id == user_id,
            (Registration.dietary_needs.is_not(None))
            | (Registration.accessibility_needs.is_not(None)),
        )
        .values(dietary_needs=None, accessibility_needs=None, needs_erased_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Registration)
        .where(Registration.user_id == user_id, Registration.organisation_name.is_not(None))
        .values(organisation_name=None)
        .execution_options(synchronize_session=False)
    )
    return len(active)


@dataclass
class Status:
    """What the registration box of an event page shows to one visitor."""

    event: Event
    registration: Registration | None
    position: int | None
    taken: int
    closed: str | None

    @property
    def full(self) -> bool:
        return self.event.capacity is not None and self.taken >= self.event.capacity

    @property
    def places_left(self) -> int | None:
        if self.event.capacity is None:
            return None
        return max(self.event.capacity - self.taken, 0)


def status(session: Session, viewer, event: Event, *, now: datetime) -> Status:
    """The registration state of ``event`` for ``viewer`` (None for anonymous)."""
    registration = active_registration(session, viewer, event.id)
    position = waiting_position(session, registration) if registration else None
    return Status(
        event=event,
        registration=registration,
        position=position,
        taken=confirmed_count(session, event.id),
        closed=closed_reason(event, now),
    )
