"""Accounts people can recover: confirming the address, a forgotten password, changing the
password or the address, signing out everywhere, held comments and confirmed-only rounds."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import flask_babel
import pytest
from sqlalchemy import func, select

from consult import clock, create_app
from consult.auth import recovery, sessions, tokens
from consult.extensions import limiter
from consult.models import Comment, CommentStatus, Notification, OutboxEmail, Role, User
from consult.moderation import queue as moderation_queue
from consult.people import my_data

from . import factories
from .conftest import CsrfClient, make_config

NEW_PASSWORD = "ett nytt långt lösenord"
LINK = re.compile(r"https?://[^/\s]+(/konto/\S+)")


def _mails(session, to: str | None = None) -> list[OutboxEmail]:
    session.expire_all()
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        query = query.where(OutboxEmail.to_address == to)
    return list(session.scalars(query))


def _link(mail: OutboxEmail) -> str:
    """The site path of the link in a mail (the mail has it as an absolute address)."""
    found = LINK.search(mail.body)
    assert found, mail.body
    return found.group(1)


def _fresh(session, user) -> User:
    session.expire_all()
    return session.get(User, user.id)


def _login(client, user, password=factories.PASSWORD, remember=False):
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/konto/logga-in", data=data)


def _signed_in(client) -> bool:
    return client.get("/konto").status_code == 200


def _register(client, email="ny@umea.example"):
    return client.post(
        "/konto/registrera",
        data={
            "email": email,
            "display_name": "Nina Ny",
            "password": "ett långt lösenord",
            "password_confirm": "ett långt lösenord",
            "category": "privatperson",
        },
    )


def _comment_url(round_, key="doc"):
    return f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{key}"


def _comment(client, round_, body="Min synpunkt om strategin.", key="k1"):
    return client.post(
        _comment_url(round_),
        data={"doc-kind": "comment", "doc-body": body, "doc-submission_key": key},
    )


def _token(app, purpose, user, **kwargs) -> str:
    with app.test_request_context():
        return tokens.make(purpose, user, **kwargs)


# Confirming the address at registration


def test_registering_sends_a_confirmation_link_that_confirms_the_address(client, session):
    assert _register(client).status_code == 302
    user = session.scalar(select(User).where(User.email == "ny@umea.example"))
    assert not user.is_confirmed
    [mail] = _mails(session, "ny@umea.example")
    assert mail.subject == "Bekräfta din e-postadress"
    assert "http://127.0.0.1:5000/konto/bekrafta/" in mail.body
    assert "bekräfta" in client.get("/").get_data(as_text=True).lower()

    response = client.get(_link(mail))
    assert response.status_code == 302 and response.headers["Location"] == "/konto"
    assert _fresh(session, user).is_confirmed
    page = client.get("/konto").get_data(as_text=True)
    assert "ny@umea.example" in page and "Bekräftad" in page


def test_the_confirmation_mail_is_in_the_language_the_person_registered_in(client, session):
    client.post("/sprak", data={"lang": "en", "next": "/"})
    # The tests share one app context, where Flask-Babel keeps the locale it chose first.
    flask_babel.refresh()
    _register(client)
    [mail] = _mails(session, "ny@umea.example")
    assert mail.subject == "Confirm your e-mail address"
    assert "Confirm your e-mail address for your Consult account" in mail.body


def test_a_confirmation_link_works_once(app, client, session):
    user = factories.make_user(session, confirmed=False)
    token = _token(app, tokens.CONFIRM, user)
    assert client.get(f"/konto/bekrafta/{token}").status_code == 302
    again = client.get(f"/konto/bekrafta/{token}")
    assert again.status_code == 410
    assert "redan använts" in again.get_data(as_text=True)


def test_an_expired_confirmation_link_gets_a_clear_page(app, client, session, now):
    user = factories.make_user(session, confirmed=False)
    token = _token(app, tokens.CONFIRM, user)
    now.set(now.get() + timedelta(days=8))
    response = client.get(f"/konto/bekrafta/{token}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "Länken kan inte användas" in page and "för gammal" in page
    assert not _fresh(session, user).is_confirmed


def test_a_confirmation_link_for_an_address_since_changed_is_dead(app, client, session):
    user = factories.make_user(session, confirmed=False)
    token = _token(app, tokens.CONFIRM, user)
    user.email = "annan@example.se"
    session.commit()
    assert client.get(f"/konto/bekrafta/{token}").status_code == 410
    assert not _fresh(session, user).is_confirmed


@pytest.mark.parametrize("forge", ["flip", "garbage", "other_secret", "wrong_purpose"])
def test_forged_and_wrong_purpose_links_are_refused_with_a_page(
    app, client, session, database_url, forge
):
    user = factories.make_user(session, confirmed=False)
    token = _token(app, tokens.CONFIRM, user)
    if forge == "flip":
        token = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    elif forge == "garbage":
        token = "inte-en-riktig-länk"
    elif forge == "other_secret":
        other = create_app(make_config(database_url, SECRET_KEY="another-secret"))
        with other.test_request_context():
            token = tokens.make(tokens.CONFIRM, user)
        other.extensions["db_engine"].dispose()
    else:
        token = _token(app, tokens.RESET, user)
    response = client.get(f"/konto/bekrafta/{token}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Länken kan inte användas" in page and "inte komplett eller inte korrekt" in page
    assert not _fresh(session, user).is_confirmed


def test_a_reset_link_is_not_accepted_as_a_new_address_link(app, client, session):
    user = factories.make_user(session)
    token = _token(app, tokens.RESET, user)
    assert client.get(f"/konto/ny-e-post/{token}").status_code == 404
    assert client.get(f"/konto/nytt-losenord/{token}").status_code == 200


# Comments held until the address is confirmed


def test_an_unconfirmed_persons_comment_is_held_until_they_confirm(
    app, client, auth, session, open_round
):
    user = auth.login(confirmed=False)
    staff = factories.make_user(session, role=Role.STAFF)
    response = _comment(client, open_round, body="Hållen synpunkt")
    assert response.status_code in (200, 302)
    comment = session.scalar(select(Comment))
    assert comment.status == CommentStatus.PENDING

    # Not public, not counted, not waiting for the moderators.
    public = factories.make_user(session)
    other = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    _login(other, public)
    assert "Hållen synpunkt" not in other.get(_comment_url(open_round)).get_data(as_text=True)
    assert moderation_queue.queue_counts(session, staff)["all"] == 0

    # The author is told, with a button that sends the link again.
    mine = client.get("/mina-synpunkter").get_data(as_text=True)
    assert "Väntar på bekräftad e-postadress" in mine
    assert "/konto/skicka-lanken-igen" in mine
    form = client.get(_comment_url(open_round)).get_data(as_text=True)
    assert "publiceras när du har bekräftat din e-postadress" in form

    response = client.get(f"/konto/bekrafta/{_token(app, tokens.CONFIRM, user)}")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.PUBLISHED
    assert "Hållen synpunkt" in other.get(_comment_url(open_round)).get_data(as_text=True)


def test_a_held_comment_in_a_pre_moderated_round_joins_the_queue_at_confirmation(
    app, client, auth, session, pre_round
):
    user = auth.login(confirmed=False)
    staff = factories.make_user(session, role=Role.STAFF)
    _comment(client, pre_round)
    assert moderation_queue.queue_counts(session, staff)["pending"] == 0
    client.get(f"/konto/bekrafta/{_token(app, tokens.CONFIRM, user)}")
    session.expire_all()
    assert session.scalar(select(Comment)).status == CommentStatus.PENDING
    assert moderation_queue.queue_counts(session, staff)["pending"] == 1


def test_a_held_reply_tells_the_parent_author_once_it_is_published(
    app, client, auth, session, open_round
):
    parent_author = factories.make_user(session)
    parent = factories.make_comment(session, open_round, parent_author)
    user = auth.login(confirmed=False)
    client.post(
        f"/synpunkter/{parent.id}/svara",
        data={f"reply-{parent.id}-body": "Mitt svar", f"reply-{parent.id}-submission_key": "r1"},
    )
    reply = session.scalar(select(Comment).where(Comment.parent_id == parent.id))
    assert reply is not None and reply.status == CommentStatus.PENDING
    told = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == parent_author.id, Notification.kind == "comment.replied")
    )
    assert session.scalar(told) == 0
    client.get(f"/konto/bekrafta/{_token(app, tokens.CONFIRM, user)}")
    session.expire_all()
    assert session.get(Comment, reply.id).status == CommentStatus.PUBLISHED
    assert session.scalar(told) == 1


def test_send_the_link_again(client, auth, session):
    user = auth.login(confirmed=False)
    response = client.post("/konto/skicka-lanken-igen", data={"next": "/mina-synpunkter"})
    assert response.status_code == 302 and response.headers["Location"] == "/mina-synpunkter"
    [mail] = _mails(session, user.email)
    assert "/konto/bekrafta/" in mail.body


def test_a_confirmed_person_gets_no_new_link(client, auth, session):
    auth.login()
    response = client.post("/konto/skicka-lanken-igen", follow_redirects=True)
    assert "redan bekräftad" in response.get_data(as_text=True)
    assert _mails(session) == []


# Rounds for confirmed addresses only


@pytest.fixture
def confirmed_round(session, open_round):
    open_round.confirmed_email_only = True
    session.commit()
    return open_round


def test_a_confirmed_only_round_refuses_an_unconfirmed_person_and_says_how_to_confirm(
    client, auth, session, confirmed_round
):
    auth.login(confirmed=False)
    page = client.get(_comment_url(confirmed_round)).get_data(as_text=True)
    assert "write-refusal" in page and 'name="doc-body"' not in page
    assert "bekräftat sin e-postadress" in page and "/konto/skicka-lanken-igen" in page

    response = _comment(client, confirmed_round, body="Får inte skickas")
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert "Får inte skickas" in body and "bekräftat sin e-postadress" in body
    assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_confirmed_only_round_accepts_a_confirmed_person(client, auth, session, confirmed_round):
    auth.login()
    assert 'name="doc-body"' in client.get(_comment_url(confirmed_round)).get_data(as_text=True)
    _comment(client, confirmed_round)
    assert session.scalar(select(Comment)).status == CommentStatus.PUBLISHED


def test_an_administrator_sets_confirmed_only_beside_verified_only(
    client, auth, session, admin, scheduled_round
):
    auth.login(admin)
    form = client.get(f"/admin/omgang/{scheduled_round.id}/redigera").get_data(as_text=True)
    assert 'name="confirmed_email_only"' in form and 'name="commenters"' in form
    response = client.post(
        f"/admin/omgang/{scheduled_round.id}/redigera",
        data={
            "title": scheduled_round.title,
            "opens_at": "2027-03-02T12:00",
            "closes_at": "2027-03-31T12:00",
            "moderation": "post",
            "commenters": "registered",
            "confirmed_email_only": "y",
            "report_threshold": "3",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(scheduled_round), scheduled_round.id).confirmed_email_only


# A forgotten password


def test_forgot_password_answers_the_same_whether_or_not_the_address_has_an_account(
    client, session
):
    user = factories.make_user(session, email="finns@example.se")
    known = client.post("/konto/glomt-losenord", data={"email": "finns@example.se"})
    unknown = client.post("/konto/glomt-losenord", data={"email": "saknas@example.se"})
    assert known.status_code == unknown.status_code == 200

    def text(response, address):
        page = response.get_data(as_text=True).replace(address, "ADDRESS")
        # The CSRF token differs (in hidden fields and in the htmx headers).
        page = re.sub(r'value="[^"]+"', "", page)
        return re.sub(r'"X-CSRFToken": *"[^"]+"', "", page)

    assert text(known, "finns@example.se") == text(unknown, "saknas@example.se")
    assert [m.to_address for m in _mails(session)] == [user.email]


def test_a_reset_link_sets_a_new_password_and_signs_out_every_session(app, client, session):
    user = factories.make_user(session)
    elsewhere = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    _login(elsewhere, user, remember=True)
    assert _signed_in(elsewhere)
    client.post("/konto/glomt-losenord", data={"email": user.email})
    link = _link(_mails(session, user.email)[0])
    assert "Välj ett nytt lösenord" in client.get(link).get_data(as_text=True)

    response = client.post(link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/konto/logga-in"
    assert not _signed_in(elsewhere)
    assert _login(client, user).status_code == 422
    assert _login(client, user, NEW_PASSWORD).status_code == 302
    # Used once, the link is dead.
    assert client.get(link).status_code == 410


def test_a_reset_link_dies_when_the_password_changes_another_way(app, client, auth, session):
    user = auth.login()
    token = _token(app, tokens.RESET, user)
    client.post(
        "/konto/losenord",
        data={
            "current_password": factories.PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    response = client.get(f"/konto/nytt-losenord/{token}")
    assert response.status_code == 410
    assert "/konto/glomt-losenord" in response.get_data(as_text=True)


def test_a_reset_link_expires_after_an_hour(app, client, session, now):
    user = factories.make_user(session)
    token = _token(app, tokens.RESET, user)
    now.set(now.get() + timedelta(minutes=61))
    response = client.post(
        f"/konto/nytt-losenord/{token}",
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert response.status_code == 410
    assert _fresh(session, user).password_hash == factories.PASSWORD_HASH


def test_a_reset_confirms_an_unconfirmed_address(app, client, session):
    user = factories.make_user(session, confirmed=False)
    client.post(
        f"/konto/nytt-losenord/{_token(app, tokens.RESET, user)}",
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert _fresh(session, user).is_confirmed


def test_a_reset_does_not_publish_what_was_written_before_it(
    app, client, auth, session, open_round
):
    # Someone registers the victim's address and writes in their name; the comment is held.
    user = auth.login(confirmed=False)
    _comment(client, open_round, body="Skrivet av någon annan")
    comment = session.scalar(select(Comment))
    assert comment.status == CommentStatus.PENDING
    client.post("/konto/logga-ut")
    victim = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    response = victim.post(
        f"/konto/nytt-losenord/{_token(app, tokens.RESET, user)}",
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 synpunkt som skrevs innan du valde ditt lösenord publicerades inte" in page
    assert _fresh(session, user).is_confirmed
    assert session.get(Comment, comment.id).status == CommentStatus.WITHDRAWN
    reader = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    assert "Skrivet av någon annan" not in reader.get(_comment_url(open_round)).get_data(
        as_text=True
    )


def test_a_short_new_password_is_refused_next_to_the_field(app, client, session):
    user = factories.make_user(session)
    response = client.post(
        f"/konto/nytt-losenord/{_token(app, tokens.RESET, user)}",
        data={"password": "kort", "password_confirm": "kort"},
    )
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)


# Changing the password


def test_changing_the_password_needs_the_current_one(client, auth, session):
    user = auth.login()
    response = client.post(
        "/konto/losenord",
        data={
            "current_password": "fel",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    assert _fresh(session, user).password_hash == factories.PASSWORD_HASH


def test_changing_the_password_signs_out_other_sessions_and_renews_this_one(
    app, client, auth, session
):
    user = auth.login()
    elsewhere = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    _login(elsewhere, user, remember=True)
    before = client.get_cookie("session").value
    response = client.post(
        "/konto/losenord",
        data={
            "current_password": factories.PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert client.get_cookie("session").value != before
    # The other browser is out, even with its remember cookie.
    assert not _signed_in(elsewhere)
    # A copy of this browser's session cookie from before the change is out too.
    copy = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    copy.set_cookie("session", before)
    assert not _signed_in(copy)


# Changing the address


def test_changing_the_address_mails_both_and_moves_only_when_the_link_is_opened(
    client, auth, session
):
    user = auth.login(email="gammal@example.se")
    response = client.post(
        "/konto/e-post",
        data={"email": "Ny@Example.se", "current_password": factories.PASSWORD},
    )
    assert response.status_code == 302
    [to_new] = _mails(session, "ny@example.se")
    [to_old] = _mails(session, "gammal@example.se")
    assert "/konto/ny-e-post/" in to_new.body
    assert "ny@example.se" in to_old.body and "/konto/" not in _link_or_empty(to_old)
    assert _fresh(session, user).email == "gammal@example.se"

    response = client.get(_link(to_new))
    assert response.status_code == 302
    assert _fresh(session, user).email == "ny@example.se"
    assert client.get(_link(to_new)).status_code == 410
    client.post("/konto/logga-ut")
    assert _login(client, _fresh(session, user)).status_code == 302


def test_mail_follows_the_account_not_the_address_into_my_data(client, auth, session):
    """Anna moves to a new address; Mallory registers the old one. Anna's mail (also the
    link to her new address) is in Anna's export, and none of it in Mallory's."""
    anna = auth.login(email="anna@example.se")
    client.post(
        "/konto/e-post",
        data={"email": "anna.ny@example.se", "current_password": factories.PASSWORD},
    )
    [to_new] = _mails(session, "anna.ny@example.se")
    assert client.get(_link(to_new)).status_code == 302
    client.post("/konto/logga-ut")
    assert _register(client, "anna@example.se").status_code == 302
    mallory = session.scalar(select(User).where(User.email == "anna@example.se"))

    def exported(user):
        data = my_data.collect(session, user, user, now=clock.now(), base_url="http://x")
        return json.dumps(data["emails"], ensure_ascii=False)

    theirs = exported(mallory)
    assert "anna.ny@example.se" not in theirs and anna.display_name not in theirs
    assert "Bekräfta din e-postadress" in theirs
    mine = exported(_fresh(session, anna))
    assert "anna.ny@example.se" in mine and "Bekräfta din nya e-postadress" in mine


def test_only_the_latest_change_request_link_moves_the_account(client, auth, session):
    user = auth.login(email="ratt@example.se")
    for address in ("typo@evil.se", "right@example.se"):
        response = client.post(
            "/konto/e-post", data={"email": address, "current_password": factories.PASSWORD}
        )
        assert response.status_code == 302
    assert _fresh(session, user).pending_email == "right@example.se"
    [earlier] = _mails(session, "typo@evil.se")
    [latest] = _mails(session, "right@example.se")

    assert client.get(_link(earlier)).status_code == 410
    assert _fresh(session, user).email == "ratt@example.se"
    assert client.get(_link(latest)).status_code == 302
    moved = _fresh(session, user)
    assert moved.email == "right@example.se" and moved.pending_email is None
    assert client.get(_link(earlier)).status_code == 410


def _link_or_empty(mail: OutboxEmail) -> str:
    found = LINK.search(mail.body)
    path = found.group(1) if found else ""
    return path if path != "/konto" else ""


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("tagen@example.se", factories.PASSWORD, "email"),
        ("ledig@example.se", "fel lösenord", "current_password"),
        ("inte en adress", factories.PASSWORD, "email"),
    ],
)
def test_changing_the_address_is_refused_next_to_the_field(
    client, auth, session, email, password, field
):
    factories.make_user(session, email="tagen@example.se")
    auth.login()
    response = client.post("/konto/e-post", data={"email": email, "current_password": password})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _mails(session) == []


def test_a_new_address_taken_meanwhile_gets_a_clear_page(app, client, session):
    user = factories.make_user(session)
    token = _token(app, tokens.NEW_EMAIL, user, email="omstridd@example.se")
    factories.make_user(session, email="omstridd@example.se")
    response = client.get(f"/konto/ny-e-post/{token}")
    assert response.status_code == 409
    assert "Ett annat konto" in response.get_data(as_text=True)


def test_a_new_address_taken_just_before_saving_gets_the_same_clear_page(
    app, client, session, monkeypatch
):
    """Another account takes the address between the check and the save: the unique index
    refuses it, and the person sees why instead of a server error."""
    user = factories.make_user(session, email="forst@example.se")
    token = _token(app, tokens.NEW_EMAIL, user, email="omstridd@example.se")
    factories.make_user(session, email="omstridd@example.se")
    monkeypatch.setattr(recovery, "_taken", lambda *args: False)
    response = client.get(f"/konto/ny-e-post/{token}")
    assert response.status_code == 409
    assert "Ett annat konto" in response.get_data(as_text=True)
    assert _fresh(session, user).email == "forst@example.se"


# Sessions


def test_sign_out_everywhere_ends_every_session(app, client, auth, session):
    user = auth.login()
    elsewhere = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    _login(elsewhere, user, remember=True)
    response = client.post("/konto/logga-ut-overallt")
    assert response.status_code == 302 and response.headers["Location"] == "/konto/logga-in"
    assert not _signed_in(client) and not _signed_in(elsewhere)
    assert _fresh(session, user).session_epoch == 1
    assert _login(client, user).status_code == 302 and _signed_in(client)


def test_the_session_is_renewed_at_login(app, client, session):
    user = factories.make_user(session)
    client.get("/konto/logga-in")
    planted = client.get_cookie("session").value
    _login(client, user)
    assert client.get_cookie("session").value != planted
    # Someone holding the cookie from before the login is not signed in by it.
    copy = CsrfClient(app, response_wrapper=app.response_class, use_cookies=True)
    copy.set_cookie("session", planted)
    assert not _signed_in(copy)


def test_a_session_id_from_an_older_epoch_is_refused(session):
    user = factories.make_user(session)
    assert sessions.load(session, f"{user.id}:0").id == user.id
    assert sessions.load(session, str(user.id)).id == user.id  # kept from before epochs
    user.session_epoch = 2
    session.commit()
    assert sessions.load(session, f"{user.id}:0") is None
    assert sessions.load(session, str(user.id)) is None
    assert sessions.load(session, f"{user.id}:2").id == user.id
    assert sessions.load(session, "x:2") is None


# Who may use what


ACCOUNT_ROUTES = [
    ("get", "/konto"),
    ("get", "/konto/losenord"),
    ("post", "/konto/losenord"),
    ("get", "/konto/e-post"),
    ("post", "/konto/e-post"),
    ("post", "/konto/logga-ut-overallt"),
    ("post", "/konto/skicka-lanken-igen"),
]


@pytest.mark.parametrize(("method", "path"), ACCOUNT_ROUTES)
def test_anonymous_visitors_are_sent_to_log_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert "/konto/logga-in" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF, Role.ADMIN])
@pytest.mark.parametrize("path", ["/konto", "/konto/losenord", "/konto/e-post"])
def test_everyone_signed_in_sees_their_own_settings(client, auth, session, role, path):
    user = auth.login(role=role)
    factories.make_user(session, email="nagon.annan@example.se")
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "nagon.annan@example.se" not in text
    if path == "/konto":
        assert user.email in text


def test_the_recovery_pages_are_open_to_anonymous_visitors(client):
    assert client.get("/konto/glomt-losenord").status_code == 200
    for path in ("/konto/bekrafta/x", "/konto/nytt-losenord/x", "/konto/ny-e-post/x"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Länken kan inte användas" in response.get_data(as_text=True)


# Rate limits


RATE_LIMITED = [
    ("RESEND_CONFIRMATION_RATE_LIMIT", "/konto/skicka-lanken-igen", {}, True),
    ("FORGOT_PASSWORD_RATE_LIMIT", "/konto/glomt-losenord", {"email": "a@b.se"}, False),
    ("RESET_PASSWORD_RATE_LIMIT", "/konto/nytt-losenord/x", {"password": "x"}, False),
    ("CHANGE_PASSWORD_RATE_LIMIT", "/konto/losenord", {"current_password": "fel"}, True),
    ("CHANGE_EMAIL_RATE_LIMIT", "/konto/e-post", {"email": "x@y.se"}, True),
    ("SIGN_OUT_EVERYWHERE_RATE_LIMIT", "/konto/logga-ut-overallt", {}, True),
]


@pytest.mark.parametrize(
    ("key", "path", "data", "signed_in"), RATE_LIMITED, ids=[r[1] for r in RATE_LIMITED]
)
def test_every_account_post_is_rate_limited_with_a_clear_page(
    database_url, now, key, path, data, signed_in
):
    app = create_app(make_config(database_url, RATELIMIT_ENABLED=True, **{key: "2 per hour"}))
    app.test_client_class = CsrfClient
    client = app.test_client()
    try:
        with app.app_context():
            limiter.reset()
            from consult.db import get_session

            user = factories.make_user(get_session(), confirmed=False)
            if signed_in:
                _login(client, user)
            codes = []
            for _ in range(3):
                if signed_in and not _signed_in(client):
                    _login(client, user)  # signing out everywhere ends the session each time
                codes.append(client.post(path, data=data).status_code)
            refused = client.post(path, data=data)
        assert codes[:2] != [429, 429] and codes[2] == 429
        page = refused.get_data(as_text=True)
        assert refused.status_code == 429 and "För många försök" in page
    finally:
        with app.app_context():
            limiter.reset()
        from .conftest import empty_tables

        empty_tables(app.extensions["db_engine"])
        app.extensions["db_engine"].dispose()


def test_one_mailbox_cannot_be_flooded_from_many_addresses(database_url, now):
    app = create_app(
        make_config(
            database_url,
            RATELIMIT_ENABLED=True,
            PROXY_HOPS=1,
            FORGOT_PASSWORD_RATE_LIMIT="2 per hour",
        )
    )
    app.test_client_class = CsrfClient
    client = app.test_client()
    try:
        with app.app_context():
            limiter.reset()
        codes = [
            client.post(
                "/konto/glomt-losenord",
                data={"email": "offer@example.se"},
                headers={"X-Forwarded-For": f"10.0.0.{n}"},
            ).status_code
            for n in range(1, 4)
        ]
        other = client.post(
            "/konto/glomt-losenord",
            data={"email": "annan@example.se"},
            headers={"X-Forwarded-For": "10.0.0.9"},
        )
        assert codes == [200, 200, 429] and other.status_code == 200
    finally:
        with app.app_context():
            limiter.reset()
        app.extensions["db_engine"].dispose()
