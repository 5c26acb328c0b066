"""Registration for dialogue events: places, the waiting list (also when 50 people register
at once), cancelling and moving up, capacity changes, needs and their deletion, the e-mails,
and what closing an account and the personal data export do with registrations."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import clock, db
from consult.errors import Invalid, NotAllowed, NotFound, WrongState
from consult.events import registration
from consult.models import (
    Category,
    Event,
    EventKind,
    GroupMembership,
    GroupRole,
    Notification,
    OutboxEmail,
    Registration,
    RegistrationStatus,
    Role,
    User,
    WorkingGroup,
)
from consult.people import erasure, my_data
from consult.site import retention

from . import factories

CONFIRMED, WAITING, CANCELLED = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.CANCELLED,
)


def make_event(session, round_, now, *, capacity=None, slug="uppstart", **fields) -> Event:
    values = {
        "consultation_id": round_.consultation_id,
        "slug": slug,
        "title": "Uppstartsdag",
        "description": "En dag om strategin.",
        "starts_at": now + timedelta(days=10),
        "ends_at": now + timedelta(days=10, hours=6),
        "kind": EventKind.HYBRID,
        "venue_name": "Hotell Lappland",
        "venue_address": "Lycksele",
        "stream_url": "https://play.example.se/uppstart",
        "registration_enabled": True,
        "capacity": capacity,
        "created_at": now - timedelta(days=30),
    }
    values.update(fields)
    event = Event(**values)
    session.add(event)
    session.commit()
    return event


@pytest.fixture
def event(session, open_round, now):
    return make_event(session, open_round, now.get(), capacity=2)


def _register(session, user, event, now, **needs):
    return registration.register(session, user, event.id, now=now.get(), **needs)


def _statuses(session, event):
    session.expire_all()
    rows = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.queued_at, Registration.id)
    )
    return [(r.user_id, r.status) for r in rows]


def test_places_go_first_then_the_waiting_list_in_order(session, event, now):
    people = [factories.make_user(session) for _ in range(4)]
    for minutes, person in enumerate(people):
        now.set(clock.now() + timedelta(minutes=minutes))
        _register(session, person, event, now)
    assert _statuses(session, event) == [
        (people[0].id, CONFIRMED),
        (people[1].id, CONFIRMED),
        (people[2].id, WAITING),
        (people[3].id, WAITING),
    ]
    third = registration.active_registration(session, people[3], event.id)
    assert registration.waiting_position(session, third) == 2
    box = registration.status(session, people[2], event, now=now.get())
    assert box.full and box.position == 1 and box.places_left == 0


def test_a_cancelled_place_goes_to_the_first_waiting_who_is_told(session, event, now):
    a, b, c, d = (factories.make_user(session) for _ in range(4))
    for person in (a, b, c, d):
        _register(session, person, event, now)
    promoted = registration.cancel(session, a, event.id, now=now.get())
    assert [p.user_id for p in promoted] == [c.id]
    assert dict(_statuses(session, event)) == {
        a.id: CANCELLED,
        b.id: CONFIRMED,
        c.id: CONFIRMED,
        d.id: WAITING,
    }
    moved = registration.active_registration(session, c, event.id)
    assert moved.promoted_at == now.get()
    told = session.scalars(select(Notification).where(Notification.user_id == c.id)).all()
    assert [n.kind for n in told] == ["event.promoted"]
    mail = session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == c.id).order_by(OutboxEmail.id)
    ).all()[-1]
    assert "Uppstartsdag" in mail.subject and mail.attachment_name == "uppstart.ics"
    assert mail.notification_id == told[0].id
    # d is now first in line.
    assert (
        registration.waiting_position(
            session, registration.active_registration(session, d, event.id)
        )
        == 1
    )


def test_cancelling_from_the_waiting_list_promotes_nobody(session, event, now):
    a, b, c = (factories.make_user(session) for _ in range(3))
    for person in (a, b, c):
        _register(session, person, event, now)
    assert registration.cancel(session, c, event.id, now=now.get()) == []
    assert dict(_statuses(session, event))[c.id] == CANCELLED


def test_a_person_can_register_again_after_cancelling_but_not_twice(session, event, now):
    person = factories.make_user(session)
    _register(session, person, event, now)
    with pytest.raises(WrongState) as refused:
        _register(session, person, event, now)
    assert refused.value.key == registration.ALREADY
    session.rollback()
    registration.cancel(session, person, event.id, now=now.get())
    again = _register(session, person, event, now)
    assert again.status == CONFIRMED


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"registration_enabled": False}, registration.OFF),
        ({"cancelled_at": "past"}, registration.CANCELLED),
        ({"starts_at": "past", "ends_at": "future"}, registration.STARTED),
        ({"registration_closes_at": "past"}, registration.CLOSED),
    ],
)
def test_closed_events_refuse_registration_with_a_reason(session, open_round, now, fields, key):
    moments = {"past": now.get() - timedelta(hours=1), "future": now.get() + timedelta(hours=3)}
    values = {k: moments.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    event = make_event(session, open_round, now.get(), **values)
    with pytest.raises(WrongState) as refused:
        _register(session, factories.make_user(session), event, now)
    assert refused.value.key == key
    session.rollback()
    assert _statuses(session, event) == []


def test_blocked_unconfirmed_and_anonymous_people_are_refused(session, event, now):
    blocked = factories.make_user(session)
    blocked.blocked_at = now.get()
    session.commit()
    with pytest.raises(WrongState) as refused:
        _register(session, blocked, event, now)
    assert refused.value.key == registration.BLOCKED
    session.rollback()
    with pytest.raises(WrongState) as refused:
        _register(session, factories.make_user(session, confirmed=False), event, now)
    assert refused.value.key == registration.UNCONFIRMED
    session.rollback()
    with pytest.raises(NotAllowed):
        _register(session, None, event, now)


def test_needs_are_kept_cleaned_and_limited(session, event, now):
    person = factories.make_user(session)
    with pytest.raises(Invalid):
        _register(session, person, event, now, dietary_needs="x" * 1001)
    done = _register(
        session, person, event, now, dietary_needs="  Vegetarisk \r\n", accessibility_needs=""
    )
    assert done.dietary_needs == "Vegetarisk"
    assert done.accessibility_needs is None


def test_registering_queues_one_confirmation_with_the_calendar_file(session, event, now):
    a, b, c = (factories.make_user(session) for _ in range(3))
    for person in (a, b, c):
        _register(session, person, event, now)
    first = session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == a.id)).all()
    assert len(first) == 1
    assert first[0].subject == "Du är anmäld: Uppstartsdag"
    assert first[0].attachment_type == "text/calendar"
    assert b"BEGIN:VEVENT" in first[0].attachment_data
    waiting = session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == c.id)).one()
    assert "väntelista" in waiting.subject
    assert "nummer 1" in waiting.body


def test_the_worker_sends_the_calendar_file_as_an_attachment(app, session, event, now):
    from consult.notifications import sending

    _register(session, factories.make_user(session), event, now)
    email = session.scalars(select(OutboxEmail)).one()
    message = sending.build_message(email, "Consult <noreply@example.se>")
    attachments = list(message.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["uppstart.ics"]
    assert attachments[0].get_content_type() == "text/calendar"
    assert "Du har en plats" in message.get_body(("plain",)).get_content()


def _edit(session, actor, event, now, **changes):
    """Save the event's edit form (the one way to change its places) with ``changes``."""
    from consult.events import services

    form = {
        name: getattr(event, name)
        for name in (
            "title", "description", "starts_at", "ends_at", "venue_name", "venue_address",
            "stream_url", "contact_name", "contact_email", "registration_enabled",
            "registration_closes_at", "capacity",
        )
    }  # fmt: skip
    form["kind"] = event.kind.value
    return services.update_event(session, actor, event.id, form | changes, [], now=now.get())


def test_staff_raise_capacity_and_the_waiting_move_up(session, event, now):
    staff = factories.make_user(session, role=Role.STAFF)
    people = [factories.make_user(session) for _ in range(5)]
    for person in people:
        _register(session, person, event, now)
    _edit(session, staff, event, now, capacity=4)
    statuses = dict(_statuses(session, event))
    assert [statuses[p.id] for p in people] == [CONFIRMED] * 4 + [WAITING]
    # Lowering takes nobody's place.
    _edit(session, staff, event, now, capacity=1)
    assert [s for _, s in _statuses(session, event)].count(CONFIRMED) == 4
    # No limit: everyone waiting gets a place.
    _edit(session, staff, event, now, capacity=None)
    assert all(s == CONFIRMED for _, s in _statuses(session, event))
    with pytest.raises(NotAllowed):
        _edit(session, people[0], event, now, capacity=10)
    session.rollback()
    with pytest.raises(Invalid):
        _edit(session, staff, event, now, capacity=0)


def test_a_cancelled_event_keeps_its_places(session, event, now):
    from consult.events import services

    staff = factories.make_user(session, role=Role.STAFF)
    services.cancel_event(session, staff, event.id, now=now.get())
    with pytest.raises(WrongState):
        _edit(session, staff, event, now, capacity=10)


def test_switching_registration_off_moves_nobody_up(session, event, now):
    staff = factories.make_user(session, role=Role.STAFF)
    people = [factories.make_user(session) for _ in range(3)]
    for person in people:
        _register(session, person, event, now)
    _edit(session, staff, event, now, capacity=3, registration_enabled=False)
    assert dict(_statuses(session, event))[people[2].id] == WAITING
    # On again: the free place goes to the first waiting.
    _edit(session, staff, event, now, capacity=3, registration_enabled=True)
    assert dict(_statuses(session, event))[people[2].id] == CONFIRMED


def test_places_added_by_another_service_are_filled_from_the_list(session, event, now):
    people = [factories.make_user(session) for _ in range(3)]
    for person in people:
        _register(session, person, event, now)
    event.capacity = 3
    session.commit()
    promoted = registration.fill_places(session, event.id, now=now.get())
    session.commit()
    assert [p.user_id for p in promoted] == [people[2].id]
    assert all(s == CONFIRMED for _, s in _statuses(session, event))


def test_a_manager_cancels_someone_and_the_next_moves_up(session, event, now):
    staff = factories.make_user(session, role=Role.STAFF)
    a, b, c = (factories.make_user(session) for _ in range(3))
    for person in (a, b, c):
        _register(session, person, event, now)
    mine = registration.active_registration(session, a, event.id)
    with pytest.raises(NotAllowed):
        registration.cancel_for(session, b, event.id, mine.id, now=now.get())
    session.rollback()
    # Another event's id does not reach this registration.
    with pytest.raises(NotFound):
        registration.cancel_for(session, staff, event.id + 1000, mine.id, now=now.get())
    session.rollback()
    promoted = registration.cancel_for(session, staff, event.id, mine.id, now=now.get())
    assert [p.user_id for p in promoted] == [c.id]
    told = session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == a.id)).all()
    assert any("Arrangörerna har avanmält dig" in m.body for m in told)


def _register_at_once(app, event_id, user_ids, now):
    start = threading.Barrier(len(user_ids))
    failures = []

    def one(user_id):
        with app.app_context():
            db.expect_writes()
            start.wait()
            session = db.get_session()
            try:
                user = session.get(User, user_id)
                registration.register(session, user, event_id, now=now)
            except Exception as error:  # noqa: BLE001 - collected and reported below
                session.rollback()
                failures.append(error)

    threads = [threading.Thread(target=one, args=(u,)) for u in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return failures


def test_fifty_people_registering_at_once_for_ten_places_get_ten(app, session, open_round, now):
    event = make_event(session, open_round, now.get(), capacity=12)
    for _ in range(2):
        _register(session, factories.make_user(session), event, now)
    # Made in one go: fifty accounts.
    people = [
        User(
            email=f"rush{n}@example.se",
            display_name=f"Rusning {n}",
            password_hash="x",
            category=Category.INDIVIDUAL,
            email_confirmed_at=now.get(),
        )
        for n in range(50)
    ]
    session.add_all(people)
    session.commit()
    ids = [p.id for p in people]
    session.close()

    failures = _register_at_once(app, event.id, ids, now.get())

    assert failures == []
    rows = session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.user_id.in_(ids))
    ).all()
    assert len(rows) == 50
    assert sum(r.status == CONFIRMED for r in rows) == 10
    assert sum(r.status == WAITING for r in rows) == 40
    waiting = [r for r in rows if r.status == WAITING]
    positions = sorted(registration.waiting_position(session, r) for r in waiting)
    assert positions == list(range(1, 41))
    assert session.get(Event, event.id).registration_version == 52


def test_the_same_person_twice_at_once_gets_one_registration(app, session, event, now):
    person = factories.make_user(session)
    failures = _register_at_once(app, event.id, [person.id, person.id], now.get())
    assert [f.key for f in failures] == [registration.ALREADY]
    assert len(_statuses(session, event)) == 1


# Needs: kept until the period after the event, then deleted


def test_needs_are_deleted_the_set_period_after_the_event(session, open_round, now):
    event = make_event(session, open_round, now.get(), slug="tidig")
    later = make_event(
        session,
        open_round,
        now.get(),
        slug="sen",
        starts_at=now.get() + timedelta(days=40),
        ends_at=now.get() + timedelta(days=40, hours=2),
    )
    person = factories.make_user(session)
    _register(session, person, event, now, dietary_needs="Glutenfri")
    _register(session, person, later, now, accessibility_needs="Hörslinga")
    plain = _register(session, factories.make_user(session), event, now)
    assert retention.settings(session).event_needs_days == 30

    now.set(event.ends_at + timedelta(days=29))
    assert retention.run(session, now=now.get(), max_attempts=3).event_needs == 0
    now.set(event.ends_at + timedelta(days=31))
    deleted = retention.run(session, now=now.get(), max_attempts=3)
    assert deleted.event_needs == 1
    session.expire_all()
    kept = registration.active_registration(session, person, event.id)
    assert kept.dietary_needs is None and kept.needs_erased_at == now.get()
    assert kept.status == CONFIRMED
    assert session.get(Registration, plain.id).needs_erased_at is None
    assert (
        registration.active_registration(session, person, later.id).accessibility_needs
        == "Hörslinga"
    )


def test_the_needs_period_is_set_on_the_retention_page(client, auth, session, admin):
    auth.login(admin)
    page = client.get("/admin/gallring").get_data(as_text=True)
    assert "Kost- och tillgänglighetsbehov" in page
    response = client.post(
        "/admin/gallring",
        data={
            "unconfirmed_account_days": "30",
            "outbox_email_days": "30",
            "read_notification_days": "90",
            "event_needs_days": "7",
        },
    )
    assert response.status_code == 302
    assert retention.settings(session).event_needs_days == 7
    assert "7 dagar efter mötet" in client.get("/personuppgifter").get_data(as_text=True)


# Personal data


def test_the_export_holds_registrations_memberships_and_event_contact(session, event, now):
    person = factories.make_user(session, email="maria@example.se")
    _register(session, person, event, now, dietary_needs="Vegansk")
    group = WorkingGroup(consultation_id=event.consultation_id, slug="energi", name="Energi")
    session.add(group)
    session.flush()
    session.add(
        GroupMembership(
            group_id=group.id,
            user_id=person.id,
            role=GroupRole.SECRETARY,
            category=Category.MUNICIPALITY,
            joined_at=now.get(),
        )
    )
    event.contact_email = "Maria@example.se"
    event.contact_name = "Maria"
    session.commit()
    data = my_data.collect(session, person, person, now=now.get(), base_url="http://localhost")
    [mine] = data["event_registrations"]
    assert mine["event_title"] == "Uppstartsdag"
    assert mine["dietary_needs"] == "Vegansk" and mine["status"] == "confirmed"
    assert mine["url"].endswith("/moten/uppstart")
    assert data["group_memberships"][0]["group_name"] == "Energi"
    assert data["group_memberships"][0]["role"] == "secretary"
    assert data["event_contact"][0]["contact_name"] == "Maria"


def test_closing_an_account_cancels_its_registrations_and_ends_memberships(session, event, now):
    leaving, other, waiting = (factories.make_user(session) for _ in range(3))
    _register(session, leaving, event, now, accessibility_needs="Rullstol")
    _register(session, other, event, now)
    _register(session, waiting, event, now)
    group = WorkingGroup(consultation_id=event.consultation_id, slug="kultur", name="Kultur")
    session.add(group)
    session.flush()
    session.add(
        GroupMembership(
            group_id=group.id,
            user_id=leaving.id,
            role=GroupRole.MEMBER,
            category=Category.MUNICIPALITY,
            joined_at=now.get() - timedelta(days=3),
        )
    )
    session.commit()
    erasure.erase_account(
        session, actor=leaving, user_id=leaving.id, password=factories.PASSWORD, now=now.get()
    )
    session.expire_all()
    statuses = dict(_statuses(session, event))
    assert statuses[leaving.id] == CANCELLED
    assert statuses[waiting.id] == CONFIRMED
    gone = session.scalars(select(Registration).where(Registration.user_id == leaving.id)).one()
    assert gone.accessibility_needs is None and gone.needs_erased_at == now.get()
    membership = session.scalars(
        select(GroupMembership).where(GroupMembership.user_id == leaving.id)
    ).one()
    assert membership.left_at == now.get()
    # The one who moved up is told; the closed account gets no mail.
    assert session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == leaving.id)).all() == []
    assert (
        session.scalars(select(Notification).where(Notification.user_id == waiting.id)).one().kind
        == "event.promoted"
    )


def test_more_places_on_the_edit_form_move_the_waiting_up(session, event, now):
    from consult.events import services

    staff = factories.make_user(session, role=Role.STAFF)
    people = [factories.make_user(session) for _ in range(3)]
    for person in people:
        _register(session, person, event, now)
    form = {
        name: getattr(event, name)
        for name in (
            "title", "description", "starts_at", "ends_at", "venue_name", "venue_address",
            "stream_url", "contact_name", "contact_email", "registration_enabled",
            "registration_closes_at",
        )
    }  # fmt: skip
    services.update_event(
        session, staff, event.id, form | {"kind": event.kind.value, "capacity": 3}, [],
        now=now.get(),
    )  # fmt: skip
    assert all(s == CONFIRMED for _, s in _statuses(session, event))
    told = session.scalars(select(OutboxEmail).where(OutboxEmail.user_id == people[2].id))
    assert any("plats" in mail.subject and "väntelista" not in mail.subject for mail in told)


def test_cancelling_the_event_tells_everyone_registered(session, event, now):
    from consult.events import services

    staff = factories.make_user(session, role=Role.STAFF)
    people = [factories.make_user(session) for _ in range(4)]
    for person in people:
        _register(session, person, event, now)
    registration.cancel(session, people[0], event.id, now=now.get())
    services.cancel_event(session, staff, event.id, now=now.get())
    told = session.scalars(
        select(OutboxEmail.user_id).where(OutboxEmail.subject.startswith("Mötet är inställt"))
    ).all()
    # The two with places and the one still waiting; not the one who had cancelled.
    assert sorted(told) == sorted(p.id for p in people[1:])


def test_cancelling_deletes_the_needs_given_at_once(session, event, now):
    person = factories.make_user(session)
    mine = _register(session, person, event, now, dietary_needs="Glutenfri")
    registration.cancel(session, person, event.id, now=now.get())
    session.expire_all()
    gone = session.get(Registration, mine.id)
    assert gone.status == CANCELLED
    assert gone.dietary_needs is None and gone.needs_erased_at == now.get()


def test_closing_an_account_deletes_the_organisation_on_its_registrations(session, event, now):
    org = factories.make_organisation(session, name="Skogsbolaget AB")
    person = factories.make_user(session, organisation=org)
    mine = _register(session, person, event, now)
    assert mine.organisation_name == "Skogsbolaget AB"
    registration.forget_person(session, person.id, now=now.get())
    session.commit()
    session.expire_all()
    assert session.get(Registration, mine.id).organisation_name is None
