"""How an author appears publicly: the byline of every choice, applied at once to the pages,
the open data and the reply notifications; staff still see who wrote what."""

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from consult.models import Category, ClaimStatus, NameShown, Notification, User
from consult.people import municipalities
from consult.people.public_names import comment_byline, initial_form, public_byline

from . import factories

ORG = "Umeå kommun"


def _person(name_shown, municipality="Umeå", organisation=False, verified=False):
    """An unsaved author: a private individual, or a representative of ORG."""
    user = User(
        display_name="Anna Lind",
        category=Category.MUNICIPALITY if organisation else Category.INDIVIDUAL,
        name_shown=name_shown,
        municipality=municipality,
        organisation_id=7 if organisation else None,
        organisation_claim=ClaimStatus.VERIFIED if verified else ClaimStatus.CLAIMED,
    )
    return user


@pytest.mark.parametrize(
    ("shown", "municipality", "expected"),
    [
        (NameShown.FULL, "Umeå", "Anna Lind"),
        (NameShown.INITIAL, "Umeå", "Anna L."),
        (NameShown.HIDDEN, "Umeå", "Privatperson, Umeå"),
        (NameShown.FULL, None, "Anna Lind"),
        (NameShown.INITIAL, None, "Anna L."),
        (NameShown.HIDDEN, None, "Privatperson"),
    ],
)
def test_a_private_individual_appears_as_they_chose(app, shown, municipality, expected):
    with app.test_request_context():
        byline = public_byline(_person(shown, municipality))
    assert str(byline) == expected
    assert byline.organisation is None
    assert byline.hidden == (shown == NameShown.HIDDEN)


@pytest.mark.parametrize(
    ("shown", "person", "expected"),
    [
        (NameShown.FULL, "Anna Lind", f"Anna Lind, {ORG}"),
        (NameShown.INITIAL, "Anna L.", f"Anna L., {ORG}"),
        (NameShown.HIDDEN, None, ORG),
    ],
)
@pytest.mark.parametrize("verified", [True, False])
def test_a_representative_appears_with_the_organisation(app, shown, person, expected, verified):
    author = _person(shown, organisation=True, verified=verified)
    with app.test_request_context():
        byline = public_byline(author, ORG, 7)
    assert str(byline) == expected
    assert byline.person == person and byline.organisation == ORG
    assert byline.verified is verified


def test_the_verified_mark_needs_the_same_organisation_as_when_written(app):
    author = _person(NameShown.FULL, organisation=True, verified=True)
    with app.test_request_context():
        assert public_byline(author, "Annan organisation", 8).verified is False


def test_a_closed_account_is_anonymous_whatever_it_chose(app):
    author = _person(NameShown.FULL, "Vännäs")
    author.erased_at = datetime.now(UTC)
    with app.test_request_context():
        assert str(public_byline(author)) == "Privatperson, Vännäs"
        assert str(public_byline(author, ORG, 7)) == ORG


def test_english_readers_see_private_individual(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        from flask_babel import force_locale

        with force_locale("en"):
            assert str(public_byline(_person(NameShown.HIDDEN))) == "Private individual, Umeå"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Anna Lind", "Anna L."), ("Anna-Karin af Ström", "Anna-Karin S."), ("Cher", "Cher")],
)
def test_initial_form(name, expected):
    assert initial_form(name) == expected


def test_every_municipality_of_sweden_is_listed_once():
    names = [n for county in municipalities.BY_COUNTY.values() for n in county]
    assert len(names) == len(set(names)) == 290
    assert len(municipalities.home()) == 15 and "Umeå" in municipalities.home()
    assert municipalities.others()[-1] == "Övertorneå"


# Applied to what is published


def _individual(session, shown=NameShown.FULL, municipality="Umeå", name="Kerstin Vikström"):
    user = factories.make_user(session, category=Category.INDIVIDUAL, name=name)
    user.name_shown, user.municipality = shown, municipality
    session.commit()
    return user


def _main(response) -> str:
    """The page's main content (the header names whoever is signed in)."""
    return response.get_data(as_text=True).split("<main")[1].split("</main>")[0]


def _api(client, round_):
    url = f"/api/v1/samrad/{round_.consultation.slug}/omgang/1/synpunkter"
    return {item["id"]: item for item in client.get(url).get_json()["items"]}


def test_changing_the_choice_changes_the_published_comment_at_once(
    client, auth, session, open_round
):
    author = _individual(session)
    comment = factories.make_comment(session, open_round, author, body="Bra förslag.")
    page = client.get(f"/synpunkter/{comment.id}", follow_redirects=True).get_data(as_text=True)
    assert "<strong>Kerstin Vikström</strong>" in page
    assert _api(client, open_round)[comment.id]["author"] == "Kerstin Vikström"

    auth.login(author)
    response = client.post(
        "/konto/synlighet", data={"name_shown": "initial", "municipality": "Umeå"}
    )
    assert response.status_code == 302
    page = _main(client.get(f"/synpunkter/{comment.id}", follow_redirects=True))
    assert "<strong>Kerstin V.</strong>" in page and "Vikström" not in page
    assert _api(client, open_round)[comment.id]["author"] == "Kerstin V."

    response = client.post(
        "/konto/synlighet", data={"name_shown": "hidden", "municipality": "Umeå"}
    )
    assert response.status_code == 302
    page = _main(client.get(f"/synpunkter/{comment.id}", follow_redirects=True))
    assert "<strong>Privatperson, Umeå</strong>" in page and "Kerstin" not in page
    item = _api(client, open_round)[comment.id]
    assert item["author"] == "Privatperson, Umeå" and item["organisation"] is None
    assert "Kerstin" not in json.dumps(_api(client, open_round), ensure_ascii=False)


def test_a_thread_shows_each_author_in_their_own_form(client, session, open_round):
    full = _individual(session, NameShown.FULL, name="Kerstin Vikström")
    initial = _individual(session, NameShown.INITIAL, name="Jonas Eklund")
    hidden = _individual(session, NameShown.HIDDEN, "Skellefteå", name="Amina Hassan")
    representative = factories.make_user(session, name="Petra Lundmark")
    representative.name_shown = NameShown.HIDDEN
    session.commit()
    parent = factories.make_comment(session, open_round, full)
    for author in (initial, hidden, representative):
        factories.make_comment(session, open_round, author, parent=parent, body="Svar.")
    page = client.get(f"/synpunkter/{parent.id}", follow_redirects=True).get_data(as_text=True)
    assert "<strong>Kerstin Vikström</strong>" in page
    assert "<strong>Jonas E.</strong>" in page
    assert "<strong>Privatperson, Skellefteå</strong>" in page
    assert f"<strong>{representative.organisation.name}</strong>" in page
    for hidden_name in ("Eklund", "Amina", "Hassan", "Petra", "Lundmark"):
        assert hidden_name not in page


def test_staff_see_the_full_name_with_a_link_and_the_public_form(client, auth, session, open_round):
    author = _individual(session, NameShown.HIDDEN)
    comment = factories.make_comment(session, open_round, author)
    auth.login(role="staff")
    page = client.get(f"/synpunkter/{comment.id}", follow_redirects=True).get_data(as_text=True)
    assert f'<a href="/admin/anvandare/{author.id}">Kerstin Vikström</a>' in page
    assert "Visas offentligt som: Privatperson, Umeå" in page


def test_replying_names_the_author_in_their_public_form(client, auth, session, open_round):
    author = _individual(session, NameShown.INITIAL)
    comment = factories.make_comment(session, open_round, author)
    auth.login()
    page = client.get(f"/synpunkter/{comment.id}/svara").get_data(as_text=True)
    assert "Kerstin V." in page and "Vikström" not in page
    versions = client.get(f"/synpunkter/{comment.id}/versioner").get_data(as_text=True)
    assert "Kerstin V." in versions and "Vikström" not in versions


def test_a_reply_notification_names_the_replier_as_they_chose(client, auth, session, open_round):
    parent_author = factories.make_user(session)
    parent = factories.make_comment(session, open_round, parent_author)
    replier = _individual(session, NameShown.HIDDEN, "Vindeln", name="Olle Ström")
    auth.login(replier)
    url = f"/synpunkter/{parent.id}/svara"
    assert client.post(url, data={f"reply-{parent.id}-body": "Håller med."}).status_code == 302
    (notification,) = session.scalars(
        select(Notification).where(Notification.user_id == parent_author.id)
    )
    assert json.loads(notification.params)["replier"] == "Privatperson, Vindeln"


# Choosing


def test_registration_stores_the_choice_and_the_municipality(client, session):
    response = client.post(
        "/konto/registrera",
        data={
            "email": "ny@example.se",
            "display_name": "Nils Nilsson",
            "password": "ett långt lösenord",
            "password_confirm": "ett långt lösenord",
            "category": "privatperson",
            "name_shown": "hidden",
            "municipality": "Åsele",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "ny@example.se"))
    assert user.name_shown == NameShown.HIDDEN and user.municipality == "Åsele"


def test_registration_refuses_an_unknown_municipality_and_keeps_the_rest(client, session):
    response = client.post(
        "/konto/registrera",
        data={
            "email": "ny@example.se",
            "display_name": "Nils Nilsson",
            "password": "ett långt lösenord",
            "password_confirm": "ett långt lösenord",
            "category": "privatperson",
            "name_shown": "initial",
            "municipality": "Atlantis",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Välj en kommun i listan." in page
    assert 'value="Nils Nilsson"' in page
    assert session.scalar(select(User).where(User.email == "ny@example.se")) is None


def test_the_registration_form_explains_each_choice(client):
    page = client.get("/konto/registrera").get_data(as_text=True)
    assert "<legend" in page and "Anna L." in page and "Privatperson, Umeå" in page
    assert '<optgroup label="Västerbotten">' in page and ">Övertorneå</option>" in page


def test_the_settings_page_shows_the_current_choice_with_own_examples(client, auth, session):
    user = _individual(session, NameShown.INITIAL, "Malå")
    auth.login(user)
    page = client.get("/konto/synlighet").get_data(as_text=True)
    assert 'checked id="name_shown-1" name="name_shown" type="radio" value="initial"' in page
    assert '<option selected value="Malå">' in page
    assert "Du skulle visas som: Kerstin V." in page
    assert "Du skulle visas som: Privatperson, Malå" in page


def test_the_settings_page_refuses_nonsense_and_changes_nothing(client, auth, session):
    user = _individual(session, NameShown.FULL)
    auth.login(user)
    response = client.post("/konto/synlighet", data={"name_shown": "everyone", "municipality": ""})
    assert response.status_code == 422
    response = client.post("/konto/synlighet", data={"name_shown": "hidden", "municipality": "X"})
    assert response.status_code == 422
    assert "Välj en kommun i listan." in response.get_data(as_text=True)
    session.expire_all()
    assert user.name_shown == NameShown.FULL and user.municipality == "Umeå"


def test_the_settings_page_needs_a_login(client):
    response = client.get("/konto/synlighet")
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
    response = client.post("/konto/synlighet", data={"name_shown": "hidden"})
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]


def test_the_byline_of_a_comment_is_read_from_the_account_now(app, session, open_round):
    author = _individual(session, NameShown.FULL)
    comment = factories.make_comment(session, open_round, author)
    author.name_shown = NameShown.HIDDEN
    session.commit()
    with app.test_request_context():
        assert str(comment_byline(comment)) == "Privatperson, Umeå"


# The contact person


def test_the_round_page_names_the_contact_person(client, session, open_round):
    consultation = open_round.consultation
    consultation.contact_name, consultation.contact_email = "Karin Wikström", "karin@region.se"
    session.commit()
    page = client.get(f"/samrad/{consultation.slug}/").get_data(as_text=True)
    assert "Kontaktperson för samrådet:" in page
    assert "Karin Wikström" in page and 'href="mailto:karin@region.se"' in page


def test_without_a_contact_person_nothing_is_claimed(client, session, open_round):
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert "Kontaktperson för samrådet" not in page


def test_a_blocked_user_is_told_whom_to_contact(client, auth, session, open_round):
    consultation = open_round.consultation
    consultation.contact_name, consultation.contact_email = "Karin Wikström", "karin@region.se"
    session.commit()
    user = auth.login()
    user.blocked_at, user.blocked_reason = datetime.now(UTC), "Spam"
    session.commit()
    page = client.get(f"/samrad/{consultation.slug}/").get_data(as_text=True)
    assert "Ditt konto är spärrat" in page or "spärrat" in page
    assert "Karin Wikström" in page.split('class="callout write-refusal"')[1].split("</div>")[0]
