"""Registration on the event page (without JavaScript), the attendee list and its workbook,
and who may open what: every route for every role."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from flask import render_template_string
from openpyxl import load_workbook
from sqlalchemy import select

from consult.events import registration
from consult.models import (
    Category,
    GroupMembership,
    GroupRole,
    Registration,
    RegistrationStatus,
    Role,
    WorkingGroup,
    event_group,
)

from . import factories
from .routes import endpoint_ids
from .test_events_registration import make_event

# Like base.html, the page shows the flashed messages.
PAGE = (
    "<main>{% for m in get_flashed_messages() %}<p>{{ m }}</p>{% endfor %}"
    '{% include "events/_registration.html" ignore missing %}</main>'
)


@pytest.fixture
def page(app):
    """A stand-in for the event page (another package's), which includes the box."""

    def event_page(slug, event_slug):
        from consult import clock
        from consult.db import get_session
        from consult.events.services import public_event

        event = public_event(get_session(), slug, event_slug, clock.now())
        return render_template_string(PAGE, event=event, consultation=event.consultation)

    app.add_url_rule("/samrad/<slug>/moten/<event_slug>", "stand_in_event_page", event_page)
    return event_page


class World:
    pass


@pytest.fixture
def world(session, open_round, now):
    w = World()
    w.event = make_event(session, open_round, now.get(), capacity=1)
    w.url = f"/samrad/{open_round.consultation.slug}/moten/{w.event.slug}"
    group = WorkingGroup(consultation_id=open_round.consultation_id, slug="energi", name="Energi")
    other = WorkingGroup(consultation_id=open_round.consultation_id, slug="kultur", name="Kultur")
    session.add_all([group, other])
    session.flush()
    session.execute(event_group.insert().values(event_id=w.event.id, group_id=group.id))
    people = {}
    for name, group_, role in (
        ("chair", group, GroupRole.CHAIR),
        ("secretary", group, GroupRole.SECRETARY),
        ("member", group, GroupRole.MEMBER),
        ("other_chair", other, GroupRole.CHAIR),
    ):
        person = factories.make_user(session)
        session.add(
            GroupMembership(
                group_id=group_.id,
                user_id=person.id,
                role=role,
                category=Category.MUNICIPALITY,
                joined_at=now.get(),
            )
        )
        people[name] = person
    people["participant"] = factories.make_user(session)
    people["staff"] = factories.make_user(session, role=Role.STAFF)
    people["admin"] = factories.make_user(session, role=Role.ADMIN)
    session.commit()
    w.people = people
    w.attendee = factories.make_user(session, name="Anna Anmäld")
    w.registration = registration.register(
        session, w.attendee, w.event.id, dietary_needs="Nötallergi", now=now.get()
    )
    return w


ROLES = [
    "anonymous",
    "participant",
    "member",
    "other_chair",
    "chair",
    "secretary",
    "staff",
    "admin",
]
MANAGERS = {"chair", "secretary", "staff", "admin"}


def _manager_routes(w):
    e, r = w.event.id, w.registration.id
    return [
        ("get", f"/moten/{e}/anmalda", None),
        ("get", f"/moten/{e}/anmalda.xlsx", None),
        ("post", f"/moten/{e}/anmalda/{r}/narvaro", {"attended": "ja"}),
        ("post", f"/moten/{e}/anmalda/{r}/avanmal", {}),
    ]


MANAGER_IDS = endpoint_ids(
    [
        ("get", "/moten/<e>/anmalda"),
        ("get", "/moten/<e>/anmalda.xlsx"),
        ("post", "/moten/<e>/anmalda/<r>/narvaro"),
        ("post", "/moten/<e>/anmalda/<r>/avanmal"),
    ]
)


def _as(auth, w, role):
    if role != "anonymous":
        auth.login(w.people[role])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("index", range(4), ids=MANAGER_IDS)
def test_only_staff_and_the_events_chair_or_secretary_manage_registrations(
    client, auth, world, role, index
):
    _as(auth, world, role)
    method, url, data = _manager_routes(world)[index]
    response = client.get(url) if method == "get" else client.post(url, data=data)
    if role in MANAGERS:
        assert response.status_code in (200, 303), response.status_code
    elif role == "anonymous":
        assert response.status_code == 302
        assert "/konto/logga-in" in response.headers["Location"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_everyone_may_read_the_calendar_files(client, auth, world, page, role):
    _as(auth, world, role)
    # Not taken for the event page's address (which the page fixture stands in for).
    response = client.get(world.url + ".ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    slug = world.url.split("/")[2]
    assert client.get(f"/samrad/{slug}/moten.ics").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_signed_in_people_register_and_cancel_anonymous_are_refused(
    client, auth, session, world, page, role
):
    _as(auth, world, role)
    response = client.post(world.url + "/anmalan", data={})
    if role == "anonymous":
        assert response.status_code == 403
        assert client.post(world.url + "/avanmalan").status_code == 403
        return
    assert response.status_code == 303
    assert response.headers["Location"].endswith(world.url + "#anmalan")
    # The one place is taken: everyone else waits.
    assert "nummer 1 på väntelistan" in client.get(world.url).get_data(as_text=True)
    response = client.post(world.url + "/avanmalan")
    assert response.status_code == 303
    assert "Du är avanmäld." in client.get(world.url).get_data(as_text=True)


def test_a_page_for_an_unknown_event_is_404(client, auth, world):
    auth.login(world.people["participant"])
    slug = world.url.split("/")[2]
    assert client.post(f"/samrad/{slug}/moten/finns-inte/anmalan").status_code == 404
    assert client.get("/moten/999999/anmalda").status_code == 404
    other_event = f"/moten/{world.event.id}/anmalda/999999/narvaro"
    auth.login(world.people["staff"])
    assert client.post(other_event, data={"attended": "ja"}).status_code == 404


# The registration box on the event page


def test_anonymous_visitors_are_asked_to_log_in(client, world, page):
    text = client.get(world.url).get_data(as_text=True)
    assert "Logga in för att anmäla dig" in text
    assert "Nötallergi" not in text and "Anna Anmäld" not in text
    assert "/konto/logga-in?next=" in text


def test_a_participant_registers_for_a_full_event_waits_and_moves_up(
    client, auth, session, world, page, now
):
    auth.login(world.people["participant"])
    text = client.get(world.url).get_data(as_text=True)
    assert "Alla platser är tagna" in text
    assert 'for="dietary_needs"' in text and 'for="accessibility_needs"' in text
    assert "Ställ dig på väntelistan" in text
    response = client.post(
        world.url + "/anmalan",
        data={"dietary_needs": "Vegetarisk", "accessibility_needs": "Hörslinga"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "du är nummer 1 på väntelistan" in text
    assert "Du är nummer 1 på väntelistan." in text
    assert "Avanmäl mig" in text
    # Another participant's needs are never shown to them.
    assert "Nötallergi" not in text
    # The one with the place cancels: the participant moves up.
    registration.cancel(session, world.attendee, world.event.id, now=now.get())
    text = client.get(world.url).get_data(as_text=True)
    assert "Du har en plats på det här mötet." in text
    mine = session.scalars(
        select(Registration).where(Registration.user_id == world.people["participant"].id)
    ).one()
    assert mine.status == RegistrationStatus.CONFIRMED
    assert mine.dietary_needs == "Vegetarisk"


def test_a_second_registration_is_refused_with_a_message(client, auth, world, page):
    auth.login(world.attendee)
    text = client.post(world.url + "/anmalan", follow_redirects=True).get_data(as_text=True)
    assert "Du är redan anmäld till det här mötet." in text


def test_too_long_needs_are_refused_with_a_message(client, auth, world, page):
    auth.login(world.people["participant"])
    response = client.post(
        world.url + "/anmalan", data={"dietary_needs": "x" * 1001}, follow_redirects=True
    )
    assert "Skriv högst 1000 tecken om dina behov." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("cancelled", "Mötet är inställt, så anmälan är stängd."),
        ("past", "Mötet har redan börjat eller är slut, så anmälan är stängd."),
        ("closed", "Sista dagen för anmälan har passerat."),
        ("off", "Anmälan är inte öppen för det här mötet."),
    ],
)
def test_closed_events_say_so_and_refuse(client, auth, session, world, page, now, change, message):
    event = world.event
    if change == "cancelled":
        event.cancelled_at = now.get()
    elif change == "past":
        now.set(event.starts_at + timedelta(minutes=5))
    elif change == "closed":
        event.registration_closes_at = now.get() - timedelta(days=1)
    else:
        event.registration_enabled = False
    session.commit()
    auth.login(world.people["participant"])
    text = client.get(world.url).get_data(as_text=True)
    assert message in text
    assert "/anmalan" not in text
    response = client.post(world.url + "/anmalan", follow_redirects=True)
    assert message in response.get_data(as_text=True)


def test_places_left_are_shown(client, auth, session, world, page):
    world.event.capacity = 4
    session.commit()
    text = client.get(world.url).get_data(as_text=True)
    assert "3 platser kvar." in text


# The attendee list


def test_staff_see_the_list_with_needs_and_the_table_by_category(client, auth, session, world, now):
    waiting = factories.make_user(session, name="Ville Väntande", category=Category.ACADEMIA)
    registration.register(
        session, waiting, world.event.id, accessibility_needs="Tolk", now=now.get()
    )
    auth.login(world.people["staff"])
    text = client.get(f"/moten/{world.event.id}/anmalda").get_data(as_text=True)
    assert "Anna Anmäld" in text and "Nötallergi" in text
    assert "Ville Väntande" in text and "Tolk" in text
    assert "Kostbehov" in text and "Bara regionens handläggare" not in text
    assert "visas bara för regionens handläggare" in text
    assert "Deltagande per intressentkategori" in text
    assert (
        '<th scope="row" data-label="Intressentkategori">Kommun</th>'
        '<td data-label="Med plats">1</td>'
    ) in text


@pytest.mark.parametrize("role", ["chair", "secretary"])
def test_group_managers_see_the_list_but_not_the_needs(client, auth, session, world, now, role):
    waiting = factories.make_user(session, name="Ville Väntande")
    registration.register(
        session, waiting, world.event.id, accessibility_needs="Tolk", now=now.get()
    )
    auth.login(world.people[role])
    text = client.get(f"/moten/{world.event.id}/anmalda").get_data(as_text=True)
    assert "Anna Anmäld" in text and "Ville Väntande" in text
    assert "Nötallergi" not in text and "Tolk" not in text
    assert "Kostbehov" not in text and "Tillgänglighetsbehov" not in text
    # They still cancel registrations, and mark attendance once the event has started.
    assert f"/moten/{world.event.id}/anmalda/{world.registration.id}/avanmal" in text
    now.set(world.event.starts_at + timedelta(hours=1))
    text = client.get(f"/moten/{world.event.id}/anmalda").get_data(as_text=True)
    assert f"/moten/{world.event.id}/anmalda/{world.registration.id}/narvaro" in text
    # The workbook has no needs columns for them.
    response = client.get(f"/moten/{world.event.id}/anmalda.xlsx")
    rows = list(load_workbook(BytesIO(response.get_data())).active.iter_rows(values_only=True))
    assert "Kostbehov" not in rows[0] and "Tillgänglighetsbehov" not in rows[0]
    assert "Nötallergi" not in [v for row in rows for v in row]
    assert rows[1][2] == "Anna Anmäld"


def test_attendance_is_marked_after_the_start_and_counted(client, auth, session, world, now):
    auth.login(world.people["staff"])
    url = f"/moten/{world.event.id}/anmalda/{world.registration.id}/narvaro"
    text = client.post(url, data={"attended": "ja"}, follow_redirects=True).get_data(as_text=True)
    assert "Närvaro kan markeras när mötet har börjat." in text
    now.set(world.event.starts_at + timedelta(hours=1))
    text = client.post(url, data={"attended": "ja"}, follow_redirects=True).get_data(as_text=True)
    assert "Närvaron är sparad." in text
    assert "Deltog: 1" in text
    session.expire_all()
    assert session.get(Registration, world.registration.id).attended is True
    assert client.post(url, data={"attended": "kanske"}).status_code == 400


def test_cancelling_someone_from_the_list_gives_the_waiting_a_place(
    client, auth, session, world, now
):
    waiting = factories.make_user(session)
    registration.register(session, waiting, world.event.id, now=now.get())
    auth.login(world.people["chair"])
    url = f"/moten/{world.event.id}/anmalda/{world.registration.id}/avanmal"
    response = client.post(url)
    assert response.headers["Location"].endswith(f"/moten/{world.event.id}/anmalda")
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Personen är avanmäld." in text and "Fick plats från väntelistan: 1." in text
    session.expire_all()
    assert registration.active_registration(session, waiting, world.event.id).status == (
        RegistrationStatus.CONFIRMED
    )
    # Nobody waiting: nothing is said about the waiting list.
    other = registration.active_registration(session, waiting, world.event.id)
    text = client.post(
        f"/moten/{world.event.id}/anmalda/{other.id}/avanmal", follow_redirects=True
    ).get_data(as_text=True)
    assert "Personen är avanmäld." in text and "Fick plats från väntelistan" not in text


def test_the_places_are_changed_only_on_the_edit_form(client, auth, world):
    auth.login(world.people["staff"])
    assert client.post(f"/moten/{world.event.id}/platser", data={"capacity": "5"}).status_code in (
        404,
        405,
    )
    text = client.get(f"/moten/{world.event.id}/anmalda").get_data(as_text=True)
    assert 'name="capacity"' not in text
    assert f'href="/moten/{world.event.id}/redigera">Ändra antalet platser' in text


def test_the_workbook_lists_everyone_with_needs_and_neutralises_formulas(
    client, auth, session, world, now
):
    sly = factories.make_user(session, name='=HYPERLINK("http://x")')
    registration.register(session, sly, world.event.id, dietary_needs="+1 veg", now=now.get())
    auth.login(world.people["staff"])
    response = client.get(f"/moten/{world.event.id}/anmalda.xlsx")
    assert response.status_code == 200
    assert "uppstart-anmalda.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Status", "Nummer på väntelistan", "Namn")
    assert rows[1][0] == "Plats" and rows[1][2] == "Anna Anmäld" and rows[1][6] == "Nötallergi"
    assert rows[2][0] == "Väntelista" and rows[2][1] == 1
    cell = sheet.cell(row=3, column=3)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"
    assert sheet.cell(row=3, column=7).data_type == "s"


def test_a_cancelled_event_does_not_say_you_have_a_place(client, auth, session, world, page, now):
    world.event.cancelled_at = now.get()
    session.commit()
    auth.login(world.attendee)
    text = client.get(world.url).get_data(as_text=True)
    assert "Mötet är inställt, så anmälan är stängd." in text
    assert "Du har en plats" not in text and "Avanmäl mig" not in text


def test_nothing_of_a_consultation_with_only_draft_rounds_is_public(client, auth, session, now):
    draft = factories.make_round(session, opens_at=None, closes_at=None)
    event = make_event(session, draft, now.get(), slug="hemligt")
    slug = draft.consultation.slug
    auth.login(factories.make_user(session))
    assert client.get(f"/samrad/{slug}/moten.ics").status_code == 404
    assert client.get(f"/samrad/{slug}/moten/{event.slug}.ics").status_code == 404
    assert client.post(f"/samrad/{slug}/moten/{event.slug}/anmalan").status_code == 404
    assert client.post(f"/samrad/{slug}/moten/{event.slug}/avanmalan").status_code == 404
    taken = select(Registration).where(Registration.event_id == event.id)
    assert session.scalars(taken).all() == []


def test_the_registration_box_links_by_route(client, auth, world, page):
    text = client.get(world.url).get_data(as_text=True)
    assert f'href="{world.url}.ics"' in text
    auth.login(world.people["participant"])
    text = client.get(world.url).get_data(as_text=True)
    assert f'action="{world.url}/anmalan"' in text
    assert "Bara regionens handläggare ser detta." in text
