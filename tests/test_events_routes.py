"""The event pages: every management route for every role, the forms' refusals, and the public
list and event page (ordering, cancelled events, programme times, stream embed)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult.events import services
from consult.models import Event, GroupRole, ProgrammeItem, Role
from tests import factories
from tests.events_seed import local, make_event, make_group, person, staff
from tests.routes import endpoint_ids


@pytest.fixture
def world(session, open_round):
    consultation = open_round.consultation
    innovation = make_group(session, consultation, "Innovationskraft", position=1)
    energy = make_group(session, consultation, "Energi", position=2)
    event = make_event(
        session, consultation, [innovation, energy], title="Uppstartsdag",
        starts_at=local(2027, 3, 20, 9, 30), ends_at=local(2027, 3, 20, 16),
    )  # fmt: skip
    first = services.add_item(session, staff(session), event.id, title="Grupper", start="13:00")
    services.add_item(session, staff(session), event.id, title="Lunch", start="13:00")
    workshop = services.add_session(
        session, staff(session), event.id, title="Workshop", programme_item_id=first.id
    )
    # A third group, not the event's: its chair manages events, but not this one.
    other = make_group(session, consultation, "Trafik", position=3)
    return {
        "consultation": consultation,
        "innovation": innovation,
        "energy": energy,
        "other": other,
        "event": event,
        "item": first,
        "workshop": workshop,
    }


ROLES = [
    "anonymous", "participant", "member", "chair", "secretary", "other_chair", "staff", "admin",
]  # fmt: skip


def _login(auth, session, world, role):
    if role == "anonymous":
        return None
    if role == "participant":
        return auth.login()
    if role == "member":
        return auth.login(person(session, world["innovation"], GroupRole.MEMBER))
    if role == "chair":
        return auth.login(person(session, world["innovation"], GroupRole.CHAIR))
    if role == "secretary":
        return auth.login(person(session, world["innovation"], GroupRole.SECRETARY))
    if role == "other_chair":
        return auth.login(person(session, world["other"], GroupRole.SECRETARY))
    return auth.login(role=Role.STAFF if role == "staff" else Role.ADMIN)


def event_fields(prefix, *group_ids):
    p = f"{prefix}-" if prefix else ""
    return {
        f"{p}title": "Uppstartsdag i Lycksele",
        f"{p}starts_at": "2027-03-20T09:30",
        f"{p}ends_at": "2027-03-20T16:00",
        f"{p}kind": "on_site",
        f"{p}groups": [str(g) for g in group_ids],
    }


def routes(w):
    """(method, url, data, status for those allowed) for every management route."""
    c, e, i, s = w["consultation"].id, w["event"].id, w["item"].id, w["workshop"].id
    g = w["innovation"].id
    item = {"item-day": "2027-03-20", "item-start": "10:00", "item-title": "Inledning"}
    parallel = {"session-title": "Workshop 2", "session-room": "Sal 1"}
    return [
        ("get", f"/moten/samrad/{c}", None, 200),
        ("post", f"/moten/samrad/{c}", event_fields("", g), 302),
        ("get", f"/moten/{e}/redigera", None, 200),
        ("post", f"/moten/{e}/redigera", event_fields("event", g, w["energy"].id), 302),
        ("post", f"/moten/{e}/installa", {"bekrafta": "1"}, 302),
        ("post", f"/moten/{e}/program", item, 302),
        ("get", f"/moten/{e}/program/{i}", None, 200),
        ("post", f"/moten/{e}/program/{i}", item, 302),
        ("post", f"/moten/{e}/program/{i}/ta-bort", {}, 302),
        ("post", f"/moten/{e}/program/{i}/flytta", {"riktning": "down"}, 302),
        ("post", f"/moten/{e}/pass", parallel, 302),
        ("get", f"/moten/{e}/pass/{s}", None, 200),
        ("post", f"/moten/{e}/pass/{s}", parallel, 302),
        ("post", f"/moten/{e}/pass/{s}/ta-bort", {}, 302),
    ]


PLACEHOLDERS = {
    "consultation": type("C", (), {"id": "<c>"}),
    "event": type("E", (), {"id": "<e>"}),
    "item": type("I", (), {"id": "<i>"}),
    "workshop": type("S", (), {"id": "<s>"}),
    "innovation": type("G", (), {"id": "<g>"}),
    "energy": type("G", (), {"id": "<g2>"}),
}
ROUTE_IDS = endpoint_ids(routes(PLACEHOLDERS))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_management_routes_by_role(client, session, auth, world, role, index):
    _login(auth, session, world, role)
    method, url, data, allowed = routes(world)[index]
    response = client.get(url) if method == "get" else client.post(url, data=data)
    if role == "anonymous":
        assert response.status_code == 302
        assert "/konto/logga-in" in response.headers["Location"]
        return
    # The secretary of another group may list events and create one in their own group,
    # but not in the innovation group the form asks for, nor change this event.
    may = role in ("chair", "secretary", "staff", "admin") or (role == "other_chair" and index == 0)
    expected = allowed if may else 403
    assert response.status_code == expected, response.get_data(as_text=True)[:2000]
    if expected == 302:
        assert response.headers["Location"].startswith("/moten/")


def test_create_from_the_form_and_see_it_listed(client, session, auth, world):
    auth.login(person(session, world["innovation"], GroupRole.CHAIR))
    c = world["consultation"].id
    page = client.get(f"/moten/samrad/{c}").get_data(as_text=True)
    # A chair chooses among their own groups only.
    assert "Innovationskraft" in page and f'value="{world["other"].id}"' not in page
    response = client.post(f"/moten/samrad/{c}", data=event_fields("", world["innovation"].id))
    created = session.scalar(select(Event).where(Event.title == "Uppstartsdag i Lycksele"))
    assert response.headers["Location"] == f"/moten/{created.id}/redigera"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mötet är skapat" in page


def test_form_refusals_are_shown_next_to_the_fields(client, session, auth, world):
    auth.login(role=Role.STAFF)
    c = world["consultation"].id
    data = event_fields("", world["innovation"].id) | {
        "ends_at": "2027-03-20T08:00",
        "capacity": "0",
        "contact_email": "eva@",
        "stream_url": "javascript:alert(1)",
    }
    response = client.post(f"/moten/samrad/{c}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for text in (
        "Slutet måste vara efter början.",
        "Ange ett helt antal platser större än 0",
        "Ange en giltig e-postadress",
        "Ange en länk som börjar med https://.",
    ):
        assert text in page


def test_programme_point_outside_the_event_is_refused(client, session, auth, world):
    auth.login(role=Role.STAFF)
    e = world["event"].id
    response = client.post(
        f"/moten/{e}/program",
        data={"item-day": "2027-03-20", "item-start": "17:00", "item-title": "Middag"},
    )
    assert response.status_code == 422
    assert "Tiden måste ligga mellan mötets början och slut." in response.get_data(as_text=True)


def test_a_cancelled_event_refuses_changes_clearly(client, session, auth, world):
    auth.login(role=Role.STAFF)
    e = world["event"].id
    client.post(f"/moten/{e}/installa", data={"bekrafta": "1"})
    response = client.post(
        f"/moten/{e}/program",
        data={"item-day": "2027-03-20", "item-start": "10:00", "item-title": "Inledning"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Mötet är inställt och kan inte längre ändras." in page
    assert session.scalar(select(ProgrammeItem).where(ProgrammeItem.title == "Inledning")) is None


def test_cancel_needs_the_box_ticked(client, session, auth, world):
    auth.login(role=Role.STAFF)
    e = world["event"].id
    response = client.post(f"/moten/{e}/installa", data={}, follow_redirects=True)
    assert "Kryssa i rutan" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Event, e).cancelled_at is None


def test_admin_page_links_to_the_events(client, session, auth, world):
    auth.login(role=Role.ADMIN)
    page = client.get("/admin/").get_data(as_text=True)
    assert f'href="/moten/samrad/{world["consultation"].id}"' in page
    assert "Dialogmöten" in page


# --- public pages ----------------------------------------------------------------------


def test_public_list_upcoming_then_past_with_summary_and_cancelled(client, session, world, now):
    c = world["consultation"]
    at = now.get()
    make_event(session, c, title="Webbinarium", starts_at=at + timedelta(days=30),
               ends_at=at + timedelta(days=30, hours=2))  # fmt: skip
    make_event(session, c, title="Gammalt möte", starts_at=at - timedelta(days=30),
               ends_at=at - timedelta(days=30, hours=-2),
               summary="Vi pratade om **tåg**.\n\n- Norrbotniabanan")  # fmt: skip
    make_event(session, c, title="Inställt möte", starts_at=at + timedelta(days=3),
               ends_at=at + timedelta(days=3, hours=2), cancelled_at=at)  # fmt: skip
    page = client.get(f"/samrad/{c.slug}/moten").get_data(as_text=True)
    upcoming, past = page.split("Tidigare möten")
    order = [upcoming.index(t) for t in ("Inställt möte", "Uppstartsdag", "Webbinarium")]
    assert order == sorted(order)
    assert "Inställt" in upcoming.split("Inställt möte")[1][:200]
    assert "Gammalt möte" in past and "Vi pratade om <strong>tåg</strong>." in past
    # The summary's Markdown is rendered as on the event page, never printed raw.
    assert "**" not in past and "<li>Norrbotniabanan</li>" in past


def test_public_event_page(client, session, world):
    c, e = world["consultation"], world["event"]
    e.stream_url = "https://youtu.be/abcDEF12345"
    e.venue_name, e.venue_address = "Hotell Lappland", "Kungsgatan 10\nLycksele"
    e.contact_name, e.contact_email = "Eva Ek", "eva@region.se"
    session.commit()
    services.add_item(session, staff(session), e.id, title="Fika", start="09:30", end="10:00")
    response = client.get(f"/samrad/{c.slug}/moten/{e.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "lördag 20 mars 2027 kl. 09.30–16.00" in page
    assert '<time datetime="2027-03-20T09:30+01:00">09.30</time>' in page
    programme = page.split('<ol class="programme">')[1].split("</ol>")[0]
    assert programme.index("Fika") < programme.index("Grupper") < programme.index("Lunch")
    # The workshop is listed under its programme point.
    assert "Workshop" in programme.split("Grupper")[1].split("Lunch")[0]
    assert re.search(
        r'<iframe src="https://www.youtube-nocookie.com/embed/abcDEF12345" title="', page
    )
    assert 'href="https://youtu.be/abcDEF12345"' in page
    assert f'href="/samrad/{c.slug}/arbetsgrupper/innovationskraft"' in page
    assert "Hotell Lappland" in page and "mailto:eva@region.se" in page
    assert (
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com"
        in (response.headers["Content-Security-Policy"])
    )


def test_other_stream_providers_get_only_the_link(client, session, world):
    c, e = world["consultation"], world["event"]
    e.stream_url = "https://zoom.us/j/123"
    session.commit()
    page = client.get(f"/samrad/{c.slug}/moten/{e.slug}").get_data(as_text=True)
    assert "<iframe" not in page and 'href="https://zoom.us/j/123"' in page


def test_public_pages_404(client, session, world, now):
    c = world["consultation"]
    assert client.get(f"/samrad/{c.slug}/moten/finns-inte").status_code == 404
    assert client.get("/samrad/finns-inte/moten").status_code == 404
    hidden = factories.make_round(session, opens_at=None, closes_at=None).consultation
    make_event(session, hidden, title="Hemligt")
    assert client.get(f"/samrad/{hidden.slug}/moten").status_code == 404
    assert client.get(f"/samrad/{hidden.slug}/moten/hemligt").status_code == 404


def test_consultation_page_links_to_its_events(client, world):
    slug = world["consultation"].slug
    page = client.get(f"/samrad/{slug}/").get_data(as_text=True)
    assert f'href="/samrad/{slug}/moten"' in page and "Dialogmöten" in page


@pytest.mark.parametrize("role", ["anonymous", "participant", "member", "staff"])
def test_public_pages_for_every_role(client, session, auth, world, role):
    if role != "anonymous":
        _login(auth, session, world, "member" if role == "member" else role)
    slug = world["consultation"].slug
    assert client.get(f"/samrad/{slug}/moten").status_code == 200
    assert client.get(f"/samrad/{slug}/moten/{world['event'].slug}").status_code == 200


def test_the_audit_log_names_event_changes(client, session, auth, world):
    auth.login(role=Role.ADMIN)
    client.post(f"/moten/{world['event'].id}/installa", data={"bekrafta": "1"})
    page = client.get("/admin/logg").get_data(as_text=True)
    assert "Programpunkt tillagd" in page and "Möte inställt" in page


def test_a_chair_sees_the_other_groups_of_the_event_locked(client, session, auth, world):
    auth.login(person(session, world["innovation"], GroupRole.CHAIR))
    page = client.get(f"/moten/{world['event'].id}/redigera").get_data(as_text=True)
    energy = re.search(rf'<input[^>]*value="{world["energy"].id}"[^>]*>', page).group(0)
    assert "disabled" in energy and "checked" in energy
    assert "ligger kvar som de är" in page


def test_a_stored_javascript_link_is_never_shown(client, session, world):
    c, e = world["consultation"], world["event"]
    e.stream_url = "javascript:alert(1)"
    session.commit()
    page = client.get(f"/samrad/{c.slug}/moten/{e.slug}").get_data(as_text=True)
    assert "javascript:" not in page and "Direktsändning" not in page


def test_the_content_security_policy_allows_exactly_the_embedded_players(client, world):
    from consult.events.stream import FRAME_SOURCES

    policy = client.get("/").headers["Content-Security-Policy"]
    frame_src = next(p for p in policy.split("; ") if p.startswith("frame-src "))
    assert frame_src.split()[1:] == list(FRAME_SOURCES)
