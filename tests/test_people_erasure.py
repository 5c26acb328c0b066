"""Closing an account: personal data erased, the public record and everything else intact.

The person closes their own account with their password; staff close one on request with a
reason, audited; nobody else can. Afterwards the address appears nowhere in the database but
the erasure's audit entry, and threads, counts, themes and exports still work.
"""

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from consult import create_app
from consult.errors import Invalid, NotAllowed, WrongState
from consult.extensions import limiter
from consult.models import (
    Agreement,
    AuditEntry,
    Category,
    Comment,
    CommentStatus,
    Follow,
    NameShown,
    Notification,
    OutboxEmail,
    Role,
    ThemeAssignment,
    User,
)
from consult.people import erasure

from . import factories
from .conftest import CsrfClient, make_config
from .stored_data import where_stored

EMAIL = "kerstin.vikstrom@example.se"
NAME = "Kerstin Vikström"


@pytest.fixture
def kerstin(session):
    user = factories.make_user(session, category=Category.INDIVIDUAL, name=NAME, email=EMAIL)
    user.municipality = "Umeå"
    user.pending_email = "kerstin.ny@example.se"  # she asked to move; the link is unopened
    session.commit()
    return user


@pytest.fixture
def thread(session, open_round, kerstin):
    """Kerstin's comment with a reply from someone else and an agreement; her own reply to a
    comment of someone else; mail, a notification and a follow that mention her."""
    other = factories.make_user(session, name="Olle Ström")
    comment = factories.make_comment(session, open_round, kerstin, body="Mer cykelvägar.")
    reply = factories.make_comment(session, open_round, other, parent=comment, body="Ja!")
    theirs = factories.make_comment(session, open_round, other, body="Fler bussar.")
    own_reply = factories.make_comment(session, open_round, kerstin, parent=theirs, body="Bra.")
    session.add(Agreement(comment_id=theirs.id, user_id=kerstin.id))
    theirs.agreement_count = 1
    session.add(Follow(user_id=kerstin.id, consultation_id=open_round.consultation_id))
    note = Notification(
        user_id=other.id,
        kind="comment.replied",
        params=json.dumps(
            {"replier": NAME, "round_title": "x", "reply_id": own_reply.id}, ensure_ascii=False
        ),
    )
    session.add(note)
    session.flush()
    session.add_all(
        [
            OutboxEmail(to_address=EMAIL, subject="Hej", body=f"Hej {NAME}"),
            # Her mail to an address she asked to move to: hers by account, not by address.
            OutboxEmail(
                user_id=kerstin.id,
                to_address="kerstin.ny@example.se",
                subject="Bekräfta din nya e-postadress",
                body="Öppna länken.",
            ),
            OutboxEmail(
                notification_id=note.id,
                to_address=other.email,
                subject="Nytt svar",
                body=f"{NAME} svarade på din synpunkt.",
            ),
        ]
    )
    session.commit()
    return {"comment": comment, "reply": reply, "theirs": theirs, "own_reply": own_reply}


def _close(client, password=factories.PASSWORD, withdraw=False):
    data = {"password": password}
    if withdraw:
        data["withdraw_comments"] = "y"
    return client.post("/konto/avsluta", data=data)


def _main(response) -> str:
    return response.get_data(as_text=True).split("<main")[1].split("</main>")[0]


def test_the_page_explains_what_happens_before_asking(client, auth, kerstin):
    auth.login(kerstin)
    page = _main(client.get("/konto/avsluta"))
    assert "Det här händer" in page
    assert "”Privatperson, Umeå”" in page
    assert "Dra också tillbaka mina synpunkter och svar" in page
    assert 'autocomplete="current-password"' in page


def test_a_wrong_password_closes_nothing(client, auth, session, kerstin):
    auth.login(kerstin)
    response = _close(client, password="inte mitt lösenord")
    assert response.status_code == 422
    assert "Lösenordet är fel." in response.get_data(as_text=True)
    session.expire_all()
    assert kerstin.email == EMAIL and kerstin.erased_at is None
    assert client.get("/konto/synlighet").status_code == 200


def test_closing_erases_the_person_and_keeps_the_public_record(
    client, auth, session, open_round, kerstin, thread
):
    auth.login(kerstin)
    before = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    response = _close(client)
    assert response.status_code == 302
    assert "Ditt konto är avslutat" in client.get("/").get_data(as_text=True)

    session.expire_all()
    user = session.get(User, kerstin.id)
    assert user.email == f"erased-{user.id}@invalid"
    assert user.display_name != NAME and user.name_shown == NameShown.HIDDEN
    assert user.erased_at is not None and user.session_epoch == 1
    assert user.pending_email is None

    # The address and the name are nowhere but in the erasure's audit entry.
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.erase"))
    assert {(t, key) for t, _c, key in where_stored(session, EMAIL)} == {("audit_entry", entry.id)}
    assert {(t, key) for t, _c, key in where_stored(session, NAME)} == {("audit_entry", entry.id)}
    assert entry.actor_id == kerstin.id and json.loads(entry.before)["email"] == EMAIL

    # The thread is whole: her comment, the reply to it, her reply, the agreement.
    page = _main(client.get(f"/synpunkter/{thread['comment'].id}", follow_redirects=True))
    assert "<strong>Privatperson, Umeå</strong>" in page and "Mer cykelvägar." in page
    assert "Ja!" in page and "Kerstin" not in page
    page = _main(client.get(f"/synpunkter/{thread['theirs'].id}", follow_redirects=True))
    assert "Bra." in page and "Privatperson, Umeå" in page
    assert session.get(Comment, thread["theirs"].id).agreement_count == 1
    assert session.scalar(select(func.count()).select_from(Agreement)) == 1
    after = client.get(f"/samrad/{open_round.consultation.slug}/").get_data(as_text=True)
    assert "2 synpunkter" in _counts(before) and _counts(before) == _counts(after)

    # Follows, her notifications and her mail are gone.
    assert session.scalar(select(func.count()).select_from(Follow)) == 0
    assert session.scalar(select(func.count()).where(OutboxEmail.to_address == EMAIL)) == 0
    assert session.scalar(select(func.count()).where(OutboxEmail.user_id == kerstin.id)) == 0


def _counts(page: str) -> list[str]:
    """The comment counts a round page shows (the numbers in its count badges)."""
    import re

    return re.findall(r'class="count"[^>]*>([^<]*)<', page)


def test_the_open_data_shows_the_anonymous_form(client, auth, session, open_round, kerstin, thread):
    auth.login(kerstin)
    _close(client)
    url = f"/api/v1/samrad/{open_round.consultation.slug}/omgang/1/synpunkter"
    data = client.get(url).get_json()
    assert data["total"] == 4
    mine = {i["id"]: i for i in data["items"]}[thread["comment"].id]
    assert mine["author"] == "Privatperson, Umeå" and mine["text"] == "Mer cykelvägar."
    assert NAME not in json.dumps(data, ensure_ascii=False)


def test_withdrawing_too_hides_the_comments_and_keeps_the_replies(
    client, auth, session, open_round, kerstin, thread
):
    auth.login(kerstin)
    assert _close(client, withdraw=True).status_code == 302
    session.expire_all()
    assert session.get(Comment, thread["comment"].id).status == CommentStatus.WITHDRAWN
    assert session.get(Comment, thread["own_reply"].id).status == CommentStatus.WITHDRAWN
    slug = open_round.consultation.slug
    page = _main(client.get(f"/samrad/{slug}/omgang/1/synpunkter/doc"))
    assert "Mer cykelvägar." not in page and "Bra." not in page
    assert "Ja!" in page and "Synpunkten drogs tillbaka" in page


def test_a_closed_account_cannot_log_in_and_its_sessions_end(app, client, auth, session, kerstin):
    auth.login(kerstin)
    other_device = app.test_client()
    other_device.post("/konto/logga-in", data={"email": EMAIL, "password": factories.PASSWORD})
    assert other_device.get("/konto/synlighet").status_code == 200
    _close(client)
    # The other device's session ends at its next request.
    response = other_device.get("/konto/synlighet")
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]
    for email in (EMAIL, f"erased-{kerstin.id}@invalid"):
        response = client.post(
            "/konto/logga-in", data={"email": email, "password": factories.PASSWORD}
        )
        assert response.status_code == 422


# Staff, on request


def test_staff_close_an_account_on_request_with_a_reason(client, auth, session, kerstin, thread):
    staff = auth.login(role=Role.STAFF)
    url = f"/admin/anvandare/{kerstin.id}/avsluta"
    response = client.post(url, data={f"u{kerstin.id}-erase-reason": ""})
    assert response.status_code == 422
    session.expire_all()
    assert session.get(User, kerstin.id).erased_at is None

    response = client.post(url, data={f"u{kerstin.id}-erase-reason": "Bad om det per telefon 3/12"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, kerstin.id).email == f"erased-{kerstin.id}@invalid"
    (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.erase"))
    assert entry.actor_id == staff.id and entry.object_id == kerstin.id
    assert entry.reason == "Bad om det per telefon 3/12"
    assert {(t, key) for t, _c, key in where_stored(session, EMAIL)} == {("audit_entry", entry.id)}
    page = _main(client.get(f"/admin/anvandare/{kerstin.id}"))
    assert "Kontot avslutat, personuppgifterna raderade" in page
    assert "Avsluta kontot</button>" not in page
    # Staff still see which comments the closed account wrote.
    page = _main(client.get(f"/synpunkter/{thread['comment'].id}", follow_redirects=True))
    assert f'<a href="/admin/anvandare/{kerstin.id}">Avslutat konto</a>' in page


def test_a_participant_cannot_close_someone_elses_account(client, auth, session, kerstin):
    auth.login()
    response = client.post(
        f"/admin/anvandare/{kerstin.id}/avsluta", data={f"u{kerstin.id}-erase-reason": "x"}
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(User, kerstin.id).erased_at is None


def test_the_service_refuses_anyone_but_the_person_and_staff(session, now, kerstin, admin):
    other = factories.make_user(session)
    with pytest.raises(NotAllowed):
        erasure.erase_account(
            session, actor=other, user_id=kerstin.id, password=factories.PASSWORD, now=now.get()
        )
    with pytest.raises(NotAllowed):
        erasure.erase_account(session, actor=None, user_id=kerstin.id, now=now.get())
    staff = factories.make_user(session, role=Role.STAFF)
    # Staff close participants' accounts, not an administrator's.
    with pytest.raises(NotAllowed):
        erasure.erase_account(session, actor=staff, user_id=admin.id, reason="x", now=now.get())
    # The person themself needs their password, staff a reason.
    with pytest.raises(Invalid):
        erasure.erase_account(session, actor=kerstin, user_id=kerstin.id, now=now.get())
    with pytest.raises(Invalid):
        erasure.erase_account(session, actor=staff, user_id=kerstin.id, now=now.get())
    session.rollback()
    assert session.get(User, kerstin.id).erased_at is None


def test_the_last_administrator_cannot_close_their_account(session, now, admin):
    with pytest.raises(WrongState):
        erasure.erase_account(
            session, actor=admin, user_id=admin.id, password=factories.PASSWORD, now=now.get()
        )


def test_an_account_is_closed_only_once(session, now, kerstin):
    staff = factories.make_user(session, role=Role.STAFF)
    erasure.erase_account(session, actor=staff, user_id=kerstin.id, reason="Begäran", now=now.get())
    with pytest.raises(WrongState):
        erasure.erase_account(
            session, actor=staff, user_id=kerstin.id, reason="Igen", now=now.get()
        )


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/konto/avsluta"),
        ("post", "/konto/avsluta"),
        ("get", "/konto/synlighet"),
        ("post", "/konto/synlighet"),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, method, url):
    response = client.get(url) if method == "get" else client.post(url, data={"password": "x"})
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.STAFF, Role.ADMIN])
def test_every_role_reaches_only_their_own_settings(client, auth, session, role, kerstin):
    user = auth.login(role=role)
    assert client.get("/konto/avsluta").status_code == 200
    assert client.get("/konto/synlighet").status_code == 200
    # The forms have no user to name: a post changes the signed-in account, nobody else's.
    client.post("/konto/synlighet", data={"name_shown": "hidden", "user_id": kerstin.id})
    session.expire_all()
    assert session.get(User, kerstin.id).name_shown == NameShown.FULL
    assert session.get(User, user.id).name_shown == NameShown.HIDDEN


# Themes and exports


def test_erasure_keeps_the_themes_and_the_export_has_no_personal_data(
    client, auth, session, now, analysed
):
    author = analysed.comments[0].author
    email, name, round_id = author.email, author.display_name, analysed.round.id
    bodies = {c.body for c in analysed.comments}
    tagged = session.scalar(
        select(func.count())
        .select_from(ThemeAssignment)
        .where(ThemeAssignment.removed_at.is_(None))
    )
    erasure.erase_account(
        session, actor=analysed.staff, user_id=author.id, reason="Begäran", now=now.get()
    )
    assert (
        session.scalar(
            select(func.count())
            .select_from(ThemeAssignment)
            .where(ThemeAssignment.removed_at.is_(None))
        )
        == tagged
    )
    auth.login(analysed.staff)
    text = client.get(f"/sammanstallning/omgang/{round_id}/synpunkter.csv").get_data(as_text=True)
    cells = {cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row}
    assert bodies <= cells
    assert email not in text and name not in text


def test_a_closed_account_gets_no_role_or_block_and_the_log_names_the_erasure(
    client, auth, session, now, kerstin, admin
):
    from consult.people import services

    erasure.erase_account(session, actor=admin, user_id=kerstin.id, reason="Begäran", now=now.get())
    with pytest.raises(WrongState):
        services.set_role(session, actor=admin, user_id=kerstin.id, role="staff", now=now.get())
    session.rollback()
    with pytest.raises(WrongState):
        services.block_user(
            session, actor=admin, user_id=kerstin.id, reason="x", hide_comments=False, now=now.get()
        )
    session.rollback()
    auth.login(admin)
    page = _main(client.get(f"/admin/anvandare/{kerstin.id}"))
    assert "/roll" not in page and "/sparra" not in page and "/avsluta" not in page
    log = _main(client.get("/admin/logg"))
    assert "Kontot avslutat, personuppgifterna raderade" in log and "Anledning: Begäran" in log


def test_a_remembered_login_of_a_closed_account_signs_nobody_in(app, client, session, now, kerstin):
    client.post(
        "/konto/logga-in", data={"email": EMAIL, "password": factories.PASSWORD, "remember": "y"}
    )
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    staff = factories.make_user(session, role=Role.STAFF)
    erasure.erase_account(session, actor=staff, user_id=kerstin.id, reason="Begäran", now=now.get())
    # A new browser session with only the remember-me cookie.
    fresh = app.test_client()
    fresh.set_cookie("remember_token", remembered.value)
    response = fresh.get("/konto/synlighet")
    assert response.status_code == 302 and "/konto/logga-in" in response.headers["Location"]


def test_only_whole_copies_of_the_address_and_name_are_erased(session, now, open_round, kerstin):
    lookalike = factories.make_user(
        session, email="anna." + EMAIL, name="Kerstin Vikströmsson", category=Category.INDIVIDUAL
    )
    mentioned = factories.make_comment(
        session, open_round, lookalike, body=f"Fråga {EMAIL}. Eller anna.{EMAIL}!"
    )
    note = Notification(
        user_id=lookalike.id,
        kind="x",
        params=json.dumps({"name": "Kerstin Vikströmsson"}, ensure_ascii=False),
    )
    session.add(note)
    session.commit()
    staff = factories.make_user(session, role=Role.STAFF)
    erasure.erase_account(session, actor=staff, user_id=kerstin.id, reason="Begäran", now=now.get())
    session.expire_all()
    assert session.get(User, lookalike.id).email == "anna." + EMAIL
    placeholder = f"erased-{kerstin.id}@invalid"
    assert session.get(Comment, mentioned.id).body == f"Fråga {placeholder}. Eller anna.{EMAIL}!"
    assert "Kerstin Vikströmsson" in session.get(Notification, note.id).params


def test_closing_one_account_leaves_a_namesakes_records_alone(session, now, open_round, kerstin):
    closed = factories.make_user(
        session, email="kerstin.v@example.se", name=NAME, category=Category.INDIVIDUAL
    )
    namesake = factories.make_user(session, name=NAME, category=Category.INDIVIDUAL)
    other = factories.make_user(session, name="Olle Ström")
    staff = factories.make_user(session, role=Role.STAFF)
    theirs = factories.make_comment(session, open_round, other, body="Fler bussar.")
    namesakes_reply = factories.make_comment(session, open_round, namesake, parent=theirs)
    kerstins_reply = factories.make_comment(session, open_round, kerstin, parent=theirs)
    notes = {}
    for reply in (namesakes_reply, kerstins_reply):
        note = Notification(
            user_id=other.id,
            kind="comment.replied",
            params=json.dumps({"replier": NAME, "reply_id": reply.id}, ensure_ascii=False),
        )
        session.add(note)
        session.flush()
        mail = OutboxEmail(
            notification_id=note.id, to_address=other.email, subject="Svar", body=f"{NAME} svarade."
        )
        session.add(mail)
        notes[reply.author_id] = (note, mail)
    to_namesake = Notification(
        user_id=namesake.id, kind="x", params=json.dumps({"name": NAME}, ensure_ascii=False)
    )
    session.add(to_namesake)
    session.commit()
    erasure.erase_account(session, actor=staff, user_id=closed.id, reason="Begäran", now=now.get())
    first = session.scalar(select(AuditEntry).where(AuditEntry.object_id == closed.id))
    logged = (first.before, first.after)
    erasure.erase_account(session, actor=staff, user_id=kerstin.id, reason="Begäran", now=now.get())
    session.expire_all()

    # The first erasure's entry still names whom it erased.
    first = session.get(AuditEntry, first.id)
    assert (first.before, first.after) == logged and NAME in first.before
    assert "kerstin.v@example.se" in first.before
    # The namesake's reply notification and its mail are not Kerstin's.
    note, mail = notes[namesake.id]
    assert NAME in session.get(Notification, note.id).params
    assert session.get(OutboxEmail, mail.id).body == f"{NAME} svarade."
    assert NAME in session.get(Notification, to_namesake.id).params
    # Kerstin's are scrubbed.
    note, mail = notes[kerstin.id]
    assert NAME not in session.get(Notification, note.id).params
    assert NAME not in session.get(OutboxEmail, mail.id).body


def test_a_closed_accounts_held_comment_stays_in_the_queue_or_is_withdrawn(
    session, now, open_round, kerstin
):
    from consult.moderation_queue import in_queue

    unconfirmed = factories.make_user(session, confirmed=False, category=Category.INDIVIDUAL)
    waiting = factories.make_comment(session, open_round, kerstin, status=CommentStatus.PENDING)
    held = factories.make_comment(session, open_round, unconfirmed, status=CommentStatus.PENDING)
    staff = factories.make_user(session, role=Role.STAFF)
    for user in (kerstin, unconfirmed):
        erasure.erase_account(
            session, actor=staff, user_id=user.id, reason="Begäran", now=now.get()
        )
    session.expire_all()
    queued = set(session.scalars(select(Comment.id).where(in_queue())))
    # The confirmed author's comment still reaches a moderator.
    assert waiting.id in queued
    # The never-confirmed author's comment was never public and now never will be.
    assert session.get(Comment, held.id).status == CommentStatus.WITHDRAWN
    assert held.id not in queued


def test_closing_clears_the_rest_of_the_browser_session(client, auth, session, kerstin):
    auth.login(kerstin)
    with client.session_transaction() as browser:
        browser["draft"] = "Mitt utkast"
    assert _close(client).status_code == 302
    with client.session_transaction() as browser:
        assert "draft" not in browser and "_user_id" not in browser


def test_closing_is_rate_limited_per_account(database_url, session, kerstin):
    app = create_app(
        make_config(database_url, RATELIMIT_ENABLED=True, CLOSE_ACCOUNT_RATE_LIMIT="2 per hour")
    )
    app.test_client_class = CsrfClient
    client = app.test_client()
    with app.app_context():
        limiter.reset()
    client.post("/konto/logga-in", data={"email": EMAIL, "password": factories.PASSWORD})
    codes = [_close(client, password="fel").status_code for _ in range(3)]
    # Two wrong passwords are refused with a message, the third try is not even checked.
    assert codes == [422, 422, 429]
    # The page itself still opens; only the tries are limited.
    assert client.get("/konto/avsluta").status_code == 200
    assert session.get(User, kerstin.id).erased_at is None
    with app.app_context():
        limiter.reset()
    # This second app's connections close here, not whenever they are collected.
    app.extensions["db_engine"].dispose()
