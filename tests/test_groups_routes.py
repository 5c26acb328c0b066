"""The working groups' pages: who may open and post to the management pages, and what the
public pages show (names as each person chose, chapters, events, responses, history)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from consult import audit
from consult.groups import services
from consult.models import (
    Category,
    Event,
    EventKind,
    GroupChapter,
    GroupMembership,
    GroupRole,
    NameShown,
    Response,
    Role,
    Synthesis,
    WorkStatus,
)

from . import factories
from .routes import endpoint_ids

TRAFFIC = "s-trafik-och-infrastruktur"
INTRO = "s-inledning"


@pytest.fixture
def world(session, open_round, admin):
    staff = factories.make_user(session, role=Role.STAFF, name="Stina Staff")
    cid = open_round.consultation_id
    group = services.create_group(
        session, staff, cid, {"name": "Trafik och infrastruktur", "position": 1}
    )
    other = services.create_group(session, staff, cid, {"name": "Innovationskraft", "position": 2})
    services.assign_chapter(session, staff, group.id, TRAFFIC)
    services.assign_chapter(session, staff, other.id, INTRO)
    people = {}
    for key, role in (
        ("chair", GroupRole.CHAIR),
        ("secretary", GroupRole.SECRETARY),
        ("member", GroupRole.MEMBER),
    ):
        person = factories.make_user(session, name=f"{key.title()} Person")
        services.add_member(session, staff, group.id, person.email, role.value)
        people[key] = person
    other_chair = factories.make_user(session, name="Other Chair")
    services.add_member(session, staff, other.id, other_chair.email, "chair")
    membership = session.scalar(
        select(GroupMembership).where(GroupMembership.user_id == people["member"].id)
    )
    chapter = session.scalar(select(GroupChapter).where(GroupChapter.group_id == group.id))
    return SimpleNamespace(
        round=open_round,
        staff=staff,
        admin=admin,
        group=group,
        other=other,
        membership=membership,
        chapter=chapter,
        participant=factories.make_user(session, name="Pia Participant"),
        other_chair=other_chair,
        **people,
    )


def management_routes(w):
    g, c = w.group.id, w.round.consultation_id
    newcomer = "nykomling@example.se"
    return [
        ("get", f"/arbetsgrupper/samrad/{c}", None),
        ("post", f"/arbetsgrupper/samrad/{c}", {"name": "Ny grupp", "position": "3"}),
        ("get", f"/arbetsgrupper/{g}/hantera", None),
        ("post", f"/arbetsgrupper/{g}/hantera", {"name": "Trafik", "position": "1"}),
        ("post", f"/arbetsgrupper/{g}/kapitel", {"chapter": "s-vision"}),
        ("post", f"/arbetsgrupper/{g}/kapitel/{w.chapter.id}/ta-bort", {}),
        ("post", f"/arbetsgrupper/{g}/medlemmar", {"email": newcomer, "role": "member"}),
        ("post", f"/arbetsgrupper/{g}/medlemmar/{w.membership.id}/roll", {"role": "secretary"}),
        ("post", f"/arbetsgrupper/{g}/medlemmar/{w.membership.id}/lamna", {}),
        ("post", f"/arbetsgrupper/{g}/stang", {}),
    ]


PLACEHOLDER = SimpleNamespace(
    group=SimpleNamespace(id="<g>"),
    round=SimpleNamespace(consultation_id="<c>"),
    chapter=SimpleNamespace(id="<ch>"),
    membership=SimpleNamespace(id="<m>"),
)
ROUTES = management_routes(PLACEHOLDER)
# Whose management is staff-only: the consultation's list, chapters, giving the secretary's
# role and closing a group.
STAFF_ONLY = {0, 1, 4, 5, 7, 9}
OK = {"get": 200, "post": 302}


def expected(role: str, index: int, method: str) -> int:
    if role == "anonymous":
        return 302
    if role in ("staff", "admin"):
        return OK[method]
    if role in ("chair", "secretary"):
        return 403 if index in STAFF_ONLY else OK[method]
    return 403  # participant, member, the chair of another group


@pytest.mark.parametrize(
    "role",
    ["anonymous", "participant", "member", "other_chair", "chair", "secretary", "staff", "admin"],
)
@pytest.mark.parametrize("index", range(len(ROUTES)), ids=endpoint_ids(ROUTES))
def test_management_routes_by_role(client, auth, session, world, role, index):
    factories.make_user(session, email="nykomling@example.se")
    if role != "anonymous":
        auth.login(getattr(world, role))
    method, url, data = management_routes(world)[index]
    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data=data)
    assert response.status_code == expected(role, index, method), response.get_data(True)[:500]
    if role == "anonymous":
        assert "/konto/logga-in" in response.headers["Location"]


def test_staff_create_a_group_and_see_it_listed(client, auth, world):
    auth.login(world.staff)
    url = f"/arbetsgrupper/samrad/{world.round.consultation_id}"
    response = client.post(url, data={"name": "Energi, miljö och klimat", "position": "5"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Energi, miljö och klimat" in page
    assert "Chair Person" in page and "Secretary Person" in page
    assert "Trafik och infrastruktur" in page


def test_a_taken_name_is_refused_on_the_form(client, auth, world):
    auth.login(world.staff)
    url = f"/arbetsgrupper/samrad/{world.round.consultation_id}"
    response = client.post(url, data={"name": "Innovationskraft", "position": "0"})
    assert response.status_code == 422
    assert "Samrådet har redan en grupp med det här namnet." in response.get_data(as_text=True)


def test_an_unknown_email_and_a_current_member_are_refused(client, auth, world):
    auth.login(world.chair)
    url = f"/arbetsgrupper/{world.group.id}/medlemmar"
    response = client.post(url, data={"email": "ingen@example.se", "role": "member"})
    assert response.status_code == 422
    page = response.get_data(True)
    assert "Adressen kan inte läggas till." in page
    assert "inget konto" not in page
    response = client.post(url, data={"email": world.member.email, "role": "member"})
    assert response.status_code == 422
    assert "redan medlem" in response.get_data(True)


def test_the_management_page_shows_members_chapters_and_history(client, auth, world, now):
    auth.login(world.staff)
    client.post(f"/arbetsgrupper/{world.group.id}/medlemmar/{world.membership.id}/lamna")
    page = client.get(f"/arbetsgrupper/{world.group.id}/hantera").get_data(as_text=True)
    assert "2 Trafik och infrastruktur" in page
    assert "Chair Person" in page and "Testkommun" in page and "Kommun" in page
    # A chapter another group holds says so where it can be moved here.
    assert "1 Inledning (nu Innovationskraft)" in page
    history = page[page.index('id="history"') :]
    assert "Member Person" in history
    assert "Ordförande" in page


def test_a_closed_group_says_so_and_offers_no_forms(client, auth, world):
    auth.login(world.staff)
    assert client.post(f"/arbetsgrupper/{world.group.id}/stang").status_code == 302
    page = client.get(f"/arbetsgrupper/{world.group.id}/hantera").get_data(as_text=True)
    assert "stängdes" in page
    assert f"/arbetsgrupper/{world.group.id}/medlemmar" not in page
    response = client.post(
        f"/arbetsgrupper/{world.group.id}/medlemmar",
        data={"email": world.participant.email, "role": "member"},
    )
    assert response.status_code == 409
    public = client.get(
        f"/samrad/{world.round.consultation.slug}/arbetsgrupper/trafik-och-infrastruktur"
    )
    assert "avslutade sitt arbete" in public.get_data(as_text=True)


def test_the_admin_page_links_to_the_groups(client, auth, world):
    auth.login(world.admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"/arbetsgrupper/samrad/{world.round.consultation_id}" in page


# -- public pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["anonymous", "participant", "member", "staff"])
def test_public_pages_are_for_everyone(client, auth, world, role):
    if role != "anonymous":
        auth.login(getattr(world, role))
    slug = world.round.consultation.slug
    listing = client.get(f"/samrad/{slug}/arbetsgrupper")
    assert listing.status_code == 200
    assert "Trafik och infrastruktur" in listing.get_data(as_text=True)
    assert "Innovationskraft" in listing.get_data(as_text=True)
    page = client.get(f"/samrad/{slug}/arbetsgrupper/trafik-och-infrastruktur")
    assert page.status_code == 200
    assert client.get(f"/samrad/{slug}/arbetsgrupper/finns-inte").status_code == 404
    assert client.get("/samrad/finns-inte/arbetsgrupper").status_code == 404


def test_a_draft_consultation_has_no_public_groups(client, session, world):
    world.round.opens_at = None
    world.round.closes_at = None
    session.commit()
    slug = world.round.consultation.slug
    assert client.get(f"/samrad/{slug}/arbetsgrupper").status_code == 404
    assert client.get(f"/samrad/{slug}/arbetsgrupper/trafik-och-infrastruktur").status_code == 404


def test_the_group_page_shows_names_as_chosen(client, session, world):
    world.chair.name_shown = NameShown.INITIAL
    world.member.name_shown = NameShown.HIDDEN
    session.commit()
    page = client.get(
        f"/samrad/{world.round.consultation.slug}/arbetsgrupper/trafik-och-infrastruktur"
    ).get_data(as_text=True)
    assert "Chair P." in page and "Chair Person" not in page
    assert "Member Person" not in page and "Member P." not in page
    assert "Secretary Person" in page
    assert world.member.organisation.name in page  # shown by the organisation alone
    assert "Ordförande" in page and "Sekreterare" in page
    assert "Kommun" in page
    assert f'#{TRAFFIC}"' in page and "2 Trafik och infrastruktur" in page


def test_former_members_and_chapters_are_history(client, session, world, now):
    services.leave(session, world.staff, world.group.id, world.membership.id)
    services.assign_chapter(session, world.staff, world.other.id, TRAFFIC)
    page = client.get(
        f"/samrad/{world.round.consultation.slug}/arbetsgrupper/trafik-och-infrastruktur"
    ).get_data(as_text=True)
    former = page[page.index("Tidigare medlemmar") :]
    assert "Member Person" in former
    assert "Tidigare kapitel" in page
    listing = client.get(f"/samrad/{world.round.consultation.slug}/arbetsgrupper")
    innovation = listing.get_data(as_text=True).split("Innovationskraft")[1]
    assert "Trafik och infrastruktur" in innovation


def test_the_draft_names_the_group_on_its_chapters(client, world):
    page = client.get(f"/samrad/{world.round.consultation.slug}/").get_data(as_text=True)
    assert "Ansvarig arbetsgrupp" in page
    traffic = page[page.index(f'id="{TRAFFIC}"') :]
    assert "/arbetsgrupper/trafik-och-infrastruktur" in traffic[:800]
    intro = page[page.index(f'id="{INTRO}"') :]
    assert "/arbetsgrupper/innovationskraft" in intro[:800]
    assert f'/samrad/{world.round.consultation.slug}/arbetsgrupper"' in page
    assert page.count("Ansvarig arbetsgrupp") == 2


def test_the_group_lists_its_events(client, session, world, now):
    cid = world.round.consultation_id
    soon = Event(
        consultation_id=cid,
        slug="upptakt",
        title="Uppstartsdag",
        starts_at=now.get() + timedelta(days=3),
        ends_at=now.get() + timedelta(days=3, hours=6),
        kind=EventKind(next(iter(EventKind)).value),
    )
    before = Event(
        consultation_id=cid,
        slug="webbinarium",
        title="Webbinarium om tåg",
        starts_at=now.get() - timedelta(days=3),
        ends_at=now.get() - timedelta(days=3) + timedelta(hours=1),
        kind=EventKind(next(iter(EventKind)).value),
    )
    soon.groups.append(world.group)
    before.groups.append(world.group)
    session.add_all([soon, before])
    session.commit()
    slug = world.round.consultation.slug
    page = client.get(f"/samrad/{slug}/arbetsgrupper/trafik-och-infrastruktur").get_data(True)
    assert page.index("Uppstartsdag") < page.index("Webbinarium om tåg")
    assert f"/samrad/{slug}/moten/upptakt" in page
    assert "2027" in page
    other = client.get(f"/samrad/{slug}/arbetsgrupper/innovationskraft").get_data(True)
    assert "Uppstartsdag" not in other


def test_responses_appear_once_results_are_published(client, session, world, now):
    traffic = next(p for p in world.round.document.paragraphs if p.section.anchor == TRAFFIC)
    intro = next(p for p in world.round.document.paragraphs if p.section.anchor == INTRO)
    for paragraph, text in ((traffic, "Vi bygger banan."), (intro, "Visionen står kvar.")):
        entry = Synthesis(
            round_id=world.round.id,
            paragraph_id=paragraph.id,
            summary=text,
            response=Response.ACCEPTED,
            status=WorkStatus.REVIEWED,
            updated_by_id=world.member.id,
        )
        session.add(entry)
        session.flush()
        audit.record(session, world.member, "synthesis.create", entry, None, {"summary": text})
    session.commit()
    url = f"/samrad/{world.round.consultation.slug}/arbetsgrupper/trafik-och-infrastruktur"
    assert "Vi bygger banan." not in client.get(url).get_data(True)
    world.round.closes_at = now.get() - timedelta(days=1)
    world.round.results_published_at = now.get() - timedelta(hours=1)
    session.commit()
    page = client.get(url).get_data(True)
    assert "Vi bygger banan." in page
    assert "Visionen står kvar." not in page
    # The member wrote it while a member: the history on the management page says so.
    now.set(now.get() + timedelta(days=1))
    services.leave(session, world.staff, world.group.id, world.membership.id)
    from .conftest import Auth

    Auth(client, session).login(world.staff)
    manage = client.get(f"/arbetsgrupper/{world.group.id}/hantera").get_data(True)
    writings = manage[manage.index("Sammanställning skriven av medlemmar") :]
    assert "Member Person" in writings


def test_the_manage_page_works_without_a_draft_section_list(client, auth, session, world):
    # A member's category label shows even for a private individual without organisation.
    person = factories.make_user(session, category=Category.INDIVIDUAL, name="Ida Individ")
    services.add_member(session, world.staff, world.group.id, person.email, "member")
    auth.login(world.chair)
    page = client.get(f"/arbetsgrupper/{world.group.id}/hantera").get_data(True)
    assert "Ida Individ" in page and "Privatperson" in page


def test_a_chair_adds_and_removes_ordinary_members_only(client, auth, session, world):
    auth.login(world.chair)
    g = world.group.id
    newcomer = factories.make_user(session, email="ny@example.se")
    secretary = session.scalar(
        select(GroupMembership).where(GroupMembership.user_id == world.secretary.id)
    )
    page = client.get(f"/arbetsgrupper/{g}/hantera").get_data(as_text=True)
    assert f"/medlemmar/{secretary.id}/lamna" not in page  # no button to remove the secretary
    assert f"/medlemmar/{world.membership.id}/lamna" in page
    assert "/roll" not in page  # roles are staff's

    as_chair = client.post(
        f"/arbetsgrupper/{g}/medlemmar", data={"email": newcomer.email, "role": "chair"}
    )
    removing = client.post(f"/arbetsgrupper/{g}/medlemmar/{secretary.id}/lamna", data={})
    demoting = client.post(
        f"/arbetsgrupper/{g}/medlemmar/{secretary.id}/roll", data={"role": "member"}
    )

    assert [as_chair.status_code, removing.status_code, demoting.status_code] == [403, 403, 403]
    session.expire_all()
    assert session.get(GroupMembership, secretary.id).role == GroupRole.SECRETARY
    assert session.get(GroupMembership, secretary.id).left_at is None
    assert not session.scalars(
        select(GroupMembership).where(GroupMembership.user_id == newcomer.id)
    ).all()
    assert (
        client.post(
            f"/arbetsgrupper/{g}/medlemmar", data={"email": newcomer.email, "role": "member"}
        ).status_code
        == 302
    )


def test_an_erased_former_member_shows_without_name_or_organisation(client, session, world, now):
    from consult.people import erasure

    org = factories.make_organisation(session, name="Hemliga Bolaget AB")
    person = factories.make_user(session, name="Erik Raderad", organisation=org)
    services.add_member(session, world.staff, world.group.id, person.email, "member")
    erasure.erase_account(
        session, actor=world.staff, user_id=person.id, reason="Begäran", now=now.get()
    )
    membership = session.scalar(select(GroupMembership).where(GroupMembership.user_id == person.id))
    assert membership.left_at is not None and membership.organisation_name is None

    page = client.get(f"/samrad/{world.round.consultation.slug}/arbetsgrupper/{world.group.slug}")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Erik Raderad" not in text and "Hemliga Bolaget AB" not in text
