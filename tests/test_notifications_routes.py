"""The notification pages: the list, reading, the e-mail setting and following, per role."""

from __future__ import annotations

import re
from datetime import timedelta

import flask_babel
import pytest
from sqlalchemy import select

from consult.models import Follow, Notification, OutboxEmail, Role
from consult.notifications import notify

from . import factories

HTMX = {"HX-Request": "true"}


@pytest.fixture
def login(auth, session):
    """Log in a new user who reads the site in English (the Swedish catalogue is merged later)."""

    def login_(**kwargs):
        user = auth.login(**kwargs)
        user.locale = "en"
        session.commit()
        # The tests share one app context, where Flask-Babel keeps the locale it chose first.
        flask_babel.refresh()
        return user

    return login_


def _notify(app, session, user, now, kind="round.closed", url="/mina-synpunkter", **params):
    with app.test_request_context():
        notification = notify(
            session, user, kind, now=now, url=url, round_title=params.pop("title", "RUS"), **params
        )
    session.commit()
    return notification


def _fresh(session, model, id_):
    session.expire_all()
    return session.get(model, id_)


# Who may see what


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/notiser"),
        ("get", "/notiser/1"),
        ("post", "/notiser/1/last"),
        ("post", "/notiser/las-alla"),
        ("get", "/notiser/installningar"),
        ("post", "/notiser/installningar"),
        ("post", "/samrad/rus/folj"),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert "/konto/logga-in" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF, Role.ADMIN])
def test_everyone_logged_in_sees_their_own_list_only(app, client, login, session, now, role):
    user = login(role=role)
    other = factories.make_user(session)
    _notify(app, session, user, now.get(), title="Min strategi")
    _notify(app, session, other, now.get(), title="Någon annans strategi")

    page = client.get("/notiser").get_data(as_text=True)
    assert "Min strategi" in page
    assert "Någon annans strategi" not in page
    assert client.get("/notiser/installningar").status_code == 200


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF, Role.ADMIN])
def test_nobody_reads_or_marks_someone_elses_notification(app, client, login, session, now, role):
    login(role=role)
    theirs = _notify(app, session, factories.make_user(session), now.get())
    assert client.get(f"/notiser/{theirs.id}").status_code == 404
    assert client.post(f"/notiser/{theirs.id}/last").status_code == 404
    assert client.post("/notiser/999999/last").status_code == 404
    assert _fresh(session, Notification, theirs.id).read_at is None


def test_forms_without_a_csrf_token_are_refused(app, client, login, session, now):
    user = login()
    mine = _notify(app, session, user, now.get())
    assert client.post(f"/notiser/{mine.id}/last", csrf=False).status_code == 400
    assert client.post("/notiser/las-alla", csrf=False).status_code == 400
    response = client.post("/notiser/installningar", data={"email": "off"}, csrf=False)
    assert response.status_code == 400
    assert _fresh(session, Notification, mine.id).read_at is None
    session.refresh(user)
    assert user.email_notifications is True


# The list


def test_list_is_newest_first_with_unread_marked(app, client, login, session, now):
    user = login()
    old = _notify(app, session, user, now.get() - timedelta(days=2), title="Gammal")
    _notify(app, session, user, now.get(), title="Ny")
    old.read_at = now.get()
    session.commit()

    page = client.get("/notiser").get_data(as_text=True)
    assert page.index("“Ny”") < page.index("“Gammal”")
    assert page.count("Unread") == 1
    assert "You have 1 unread notification." in page


def test_header_shows_the_unread_count(app, client, login, session, now):
    user = login()
    page = client.get("/").get_data(as_text=True)
    assert 'id="notifications-link"' in page and "unread" not in page
    for _ in range(3):
        _notify(app, session, user, now.get())
    page = client.get("/").get_data(as_text=True)
    link = re.search(r'<a id="notifications-link".*?</a>', page, re.S).group(0)
    assert "Notifications" in link and "(3" in link and "unread" in link


def test_anonymous_header_has_no_notification_link(client):
    assert 'id="notifications-link"' not in client.get("/").get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    app, client, login, session, now
):
    user = login()
    notification = _notify(app, session, user, now.get(), url="http://localhost/mina-synpunkter")
    response = client.get(f"/notiser/{notification.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/mina-synpunkter"
    assert _fresh(session, Notification, notification.id).read_at == now.get()


def test_a_link_elsewhere_is_not_followed(app, client, login, session, now):
    user = login()
    notification = _notify(app, session, user, now.get(), url="//evil.example/x")
    response = client.get(f"/notiser/{notification.id}")
    assert response.headers["Location"] == "/notiser"


def test_mark_one_read_without_javascript(app, client, login, session, now):
    user = login()
    notification = _notify(app, session, user, now.get())
    response = client.post(f"/notiser/{notification.id}/last", data={"next": "/notiser"})
    assert response.status_code == 302 and response.headers["Location"] == "/notiser"
    assert _fresh(session, Notification, notification.id).read_at == now.get()
    assert "Marked as read." in client.get("/notiser").get_data(as_text=True)


def test_mark_one_read_with_htmx_swaps_the_row_and_the_header(app, client, login, session, now):
    user = login()
    first = _notify(app, session, user, now.get())
    _notify(app, session, user, now.get())
    response = client.post(f"/notiser/{first.id}/last", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li id="notification-{first.id}"')
    assert "Unread" not in html
    assert 'hx-swap-oob="true"' in html and "(1" in html


def test_mark_all_read(app, client, login, session, now):
    user = login()
    ids = [_notify(app, session, user, now.get()).id for _ in range(2)]
    theirs = _notify(app, session, factories.make_user(session), now.get())

    response = client.post("/notiser/las-alla", headers=HTMX)
    html = response.get_data(as_text=True)
    assert 'id="notification-list"' in html and "Unread" not in html
    # One confirmation for the list, not one per row.
    assert html.count("All notifications are marked as read.") == 1
    assert all(_fresh(session, Notification, i).read_at == now.get() for i in ids)
    assert _fresh(session, Notification, theirs.id).read_at is None

    response = client.post("/notiser/las-alla")
    assert response.status_code == 302


# The e-mail setting


def test_turning_email_off_keeps_the_in_app_list(app, client, login, session, now):
    user = login()
    response = client.post("/notiser/installningar", data={"email": "off"})
    assert response.status_code == 302
    session.refresh(user)
    assert user.email_notifications is False

    _notify(app, session, user, now.get(), title="Tyst")
    assert session.scalars(select(OutboxEmail)).all() == []
    assert "Tyst" in client.get("/notiser").get_data(as_text=True)

    client.post("/notiser/installningar", data={"email": "on"})
    session.refresh(user)
    assert user.email_notifications is True
    _notify(app, session, user, now.get())
    assert len(session.scalars(select(OutboxEmail)).all()) == 1


def test_an_invalid_setting_is_refused_with_a_message(client, login, session):
    user = login()
    response = client.post("/notiser/installningar", data={"email": "maybe"})
    assert response.status_code == 422
    assert "Choose whether you want e-mail notifications." in response.get_data(as_text=True)
    session.refresh(user)
    assert user.email_notifications is True


# Following


def test_follow_and_unfollow_without_javascript(client, login, session, open_round):
    user = login()
    slug = open_round.consultation.slug
    page = client.get(f"/samrad/{slug}/").get_data(as_text=True)
    assert "Follow the consultation" in page

    response = client.post(f"/samrad/{slug}/folj", data={"folj": "1", "next": f"/samrad/{slug}/"})
    assert response.status_code == 302 and response.headers["Location"] == f"/samrad/{slug}/"
    assert session.scalars(select(Follow.user_id)).all() == [user.id]
    page = client.get(f"/samrad/{slug}/").get_data(as_text=True)
    assert "Stop following" in page
    # Following twice is still one follow.
    client.post(f"/samrad/{slug}/folj", data={"folj": "1"})
    assert session.scalars(select(Follow.user_id)).all() == [user.id]

    client.post(f"/samrad/{slug}/folj", data={"folj": "0"})
    assert session.scalars(select(Follow)).all() == []


def test_follow_with_htmx_answers_with_the_new_button(client, login, session, open_round):
    login()
    slug = open_round.consultation.slug
    response = client.post(f"/samrad/{slug}/folj", data={"folj": "1"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div id="follow-{open_round.consultation_id}"')
    assert "Stop following" in html and 'name="folj" value="0"' in html


def test_follow_refuses_unknown_consultations_and_bad_input(client, login, session):
    login()
    assert client.post("/samrad/finns-inte/folj", data={"folj": "1"}).status_code == 404
    assert client.post("/samrad/finns-inte/folj", data={"folj": "ja"}).status_code == 400
    assert session.scalars(select(Follow)).all() == []


def test_anonymous_visitors_see_no_follow_button(client, open_round):
    page = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert "Follow the consultation" not in page


def test_settings_list_followed_consultations(client, login, session, open_round):
    user = login()
    session.add(Follow(user_id=user.id, consultation_id=open_round.consultation_id))
    session.commit()
    page = client.get("/notiser/installningar").get_data(as_text=True)
    assert open_round.consultation.title in page and "Stop following" in page
