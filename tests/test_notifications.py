"""Notifications: what each event tells whom, in the in-app list and the e-mail outbox."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from consult import db
from consult.admin import round_actions
from consult.errors import Invalid
from consult.models import (
    Category,
    CommentStatus,
    Follow,
    ModerationMode,
    NameShown,
    Notification,
    OutboxEmail,
    Role,
    Round,
)
from consult.moderation import queue as moderation_queue
from consult.notifications import events, messages, notify
from consult.notifications.messages import MESSAGES

from . import factories


def _notifications(session, user=None, kind=None):
    query = select(Notification).order_by(Notification.id)
    if user is not None:
        query = query.where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(session.scalars(query))


def _outbox(session, to=None):
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if to is not None:
        query = query.where(OutboxEmail.to_address == to.email)
    return list(session.scalars(query))


def _follow(session, user, round_):
    session.add(Follow(user_id=user.id, consultation_id=round_.consultation_id))
    session.commit()


# The texts of every kind


PARAMS = {
    "round_title": "RUS 2030 – Remissomgång 1",
    "reason": "Personuppgifter",
    "replier": "Anna Berg",
    "closes_at": "2027-03-15T22:59:00+00:00",
    "count": 4,
    "event_title": "Uppstartsdag",
}


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_kind_renders_in_swedish_and_english(app, session, now, kind):
    swede = factories.make_user(session)
    english = factories.make_user(session)
    english.locale = "en"
    session.commit()
    with app.test_request_context():
        notify(session, swede, kind, now=now.get(), url="/mina-synpunkter", **PARAMS)
        notify(session, english, kind, now=now.get(), url="/mina-synpunkter", **PARAMS)
    session.commit()

    sv, en = _outbox(session, swede)[0], _outbox(session, english)[0]
    assert sv.subject != en.subject
    for email in (sv, en):
        assert "{" not in email.body and "}" not in email.body
        assert "http://127.0.0.1:5000/mina-synpunkter" in email.body
    assert "inställningar" in sv.body
    assert sv.body.endswith("http://127.0.0.1:5000/notiser/installningar")
    assert "settings" in en.body
    if kind.startswith("round."):
        assert "RUS 2030" in sv.body
    if kind in ("round.opened", "round.deadline_changed"):
        # The deadline in the reader's language and in Stockholm time (23.59 CET).
        assert "15 mars 2027 kl. 23.59" in sv.body
        assert "March 15, 2027" in en.body or "15 March 2027" in en.body


def test_opted_out_user_gets_the_in_app_notification_but_no_email(app, session, now):
    user = factories.make_user(session)
    user.email_notifications = False
    session.commit()
    with app.test_request_context():
        notify(session, user, "round.closed", now=now.get(), round_title="RUS")
    session.commit()
    assert len(_notifications(session, user)) == 1
    assert _outbox(session) == []


# Replies


def _reply(client, parent, body="Tack, bra poäng."):
    return client.post(f"/synpunkter/{parent.id}/svara", data={f"reply-{parent.id}-body": body})


def test_reply_tells_the_parents_author_in_their_language(client, auth, session, open_round):
    author = factories.make_user(session, name="Karin Ek")
    author.locale = "en"
    session.commit()
    parent = factories.make_comment(session, open_round, author)
    replier = auth.login(name="Olle Ström")

    assert _reply(client, parent).status_code == 302

    (notification,) = _notifications(session, author, "comment.replied")
    assert json.loads(notification.params)["replier"] == "Olle Ström"
    assert notification.url == f"/synpunkter/{parent.id}"
    (email,) = _outbox(session, author)
    assert email.subject == f"New reply to your comment – {open_round.consultation.title}"
    assert "Olle Ström replied to your comment" in email.body
    assert _notifications(session, replier) == []


def test_replying_to_oneself_tells_nobody(client, auth, session, open_round):
    author = auth.login()
    parent = factories.make_comment(session, open_round, author)
    assert _reply(client, parent).status_code == 302
    assert _notifications(session, kind="comment.replied") == []


def test_a_reply_waiting_for_review_is_not_told_yet(client, auth, session, now):
    round_ = factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=1),
        closes_at=now.get() + timedelta(days=1),
        moderation=ModerationMode.PRE,
    )
    parent = factories.make_comment(session, round_, factories.make_user(session))
    auth.login()
    assert _reply(client, parent).status_code == 302
    assert _notifications(session, kind="comment.replied") == []


def test_writing_a_comment_follows_the_consultation(client, auth, session, open_round):
    user = auth.login()
    response = client.post(
        f"/samrad/{open_round.consultation.slug}/omgang/1/synpunkter/doc",
        data={"doc-kind": "comment", "doc-body": "Viktigt.", "doc-submission_key": "k1"},
    )
    assert response.status_code == 302
    follows = session.scalars(select(Follow).where(Follow.user_id == user.id)).all()
    assert [f.consultation_id for f in follows] == [open_round.consultation_id]

    # A second comment keeps the one follow.
    client.post(
        f"/samrad/{open_round.consultation.slug}/omgang/1/synpunkter/doc",
        data={"doc-kind": "comment", "doc-body": "Och en sak till.", "doc-submission_key": "k2"},
    )
    assert session.scalar(select(func.count()).select_from(Follow)) == 1


# Deadline changes from the administration


def test_extending_a_deadline_tells_followers_at_once(session, now, open_round):
    administrator = factories.make_user(session, role=Role.ADMIN)
    follower, other = factories.make_user(session), factories.make_user(session)
    _follow(session, follower, open_round)
    new_deadline = open_round.closes_at + timedelta(days=7)

    round_actions.extend(
        session, administrator, open_round.id, closes_at=new_deadline, now=now.get()
    )

    (notification,) = _notifications(session, follower)
    assert notification.kind == "round.deadline_changed"
    assert json.loads(notification.params)["closes_at"] == new_deadline.isoformat()
    assert notification.url == f"/samrad/{open_round.consultation.slug}/omgang/1/"
    (email,) = _outbox(session, follower)
    assert email.subject == (
        f"Sista dag för synpunkter har ändrats – {open_round.consultation.title}"
    )
    assert "15 mars 2027" in email.body
    assert _notifications(session, other) == []


def test_a_refused_extension_tells_nobody(session, now, open_round):
    administrator = factories.make_user(session, role=Role.ADMIN)
    _follow(session, factories.make_user(session), open_round)
    with pytest.raises(Invalid):
        round_actions.extend(
            session, administrator, open_round.id, closes_at=open_round.closes_at, now=now.get()
        )
    session.rollback()
    assert _notifications(session) == []


def test_reopening_tells_followers_and_announces_the_next_closing(session, now, open_round):
    administrator = factories.make_user(session, role=Role.ADMIN)
    follower = factories.make_user(session)
    _follow(session, follower, open_round)
    round_actions.close_now(session, administrator, open_round.id, now=now.get())
    assert events.announce_rounds(session, now=now.get()).closed == 1

    now.set(now.get() + timedelta(minutes=5))
    round_actions.reopen(session, administrator, open_round.id, now=now.get())
    now.set(open_round.closes_at + timedelta(minutes=1))
    assert events.announce_rounds(session, now=now.get()).closed == 1

    kinds = [n.kind for n in _notifications(session, follower)]
    assert kinds == ["round.closed", "round.deadline_changed", "round.closed"]


# Announcements computed from the dates


@pytest.fixture
def scheduled(session, now):
    return factories.make_round(
        session, opens_at=now.get() + timedelta(hours=1), closes_at=now.get() + timedelta(days=5)
    )


def test_opening_and_closing_are_announced_once_each(app, session, now, scheduled):
    follower = factories.make_user(session)
    _follow(session, follower, scheduled)

    assert events.announce_rounds(session, now=now.get()).opened == 0
    now.set(scheduled.opens_at)
    assert events.announce_rounds(session, now=now.get()).opened == 1
    assert events.announce_rounds(session, now=now.get()).opened == 0
    now.set(scheduled.closes_at + timedelta(seconds=1))
    assert events.announce_rounds(session, now=now.get()).closed == 1
    assert events.announce_rounds(session, now=now.get()).closed == 0

    notifications = _notifications(session, follower)
    assert [n.kind for n in notifications] == ["round.opened", "round.closed"]
    emails = _outbox(session, follower)
    title = scheduled.consultation.title
    assert emails[0].subject == f"En remissomgång har öppnat – {title}"
    assert emails[1].subject == f"En remissomgång har stängt – {title}"
    session.expire_all()
    round_ = session.get(Round, scheduled.id)
    assert round_.opening_announced_at == scheduled.opens_at
    assert round_.closing_announced_at == scheduled.closes_at + timedelta(seconds=1)


def test_old_closings_are_not_announced(session, now):
    follower = factories.make_user(session)
    old = factories.make_round(
        session, opens_at=now.get() - timedelta(days=60), closes_at=now.get() - timedelta(days=30)
    )
    _follow(session, follower, old)
    assert events.announce_rounds(session, now=now.get()).closed == 0
    assert _notifications(session) == []


def test_draft_rounds_are_not_announced(session, now):
    draft = factories.make_round(session, opens_at=None, closes_at=None)
    _follow(session, factories.make_user(session), draft)
    assert events.announce_rounds(session, now=now.get()) == events.Announced()


def test_two_workers_announce_an_opening_once(app, session, now, scheduled):
    followers = [factories.make_user(session) for _ in range(3)]
    for person in followers:
        _follow(session, person, scheduled)
    now.set(scheduled.opens_at + timedelta(minutes=1))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.test_request_context():
                own = db.get_session()
                barrier.wait()
                results.append(events.announce_rounds(own, now=now.get()).opened)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert len(_notifications(session, kind="round.opened")) == 3


# The moderation queue


@pytest.fixture
def pre_round(session, now):
    return factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=1),
        closes_at=now.get() + timedelta(days=5),
        moderation=ModerationMode.PRE,
    )


def _pending(session, round_, now):
    return factories.make_comment(
        session,
        round_,
        factories.make_user(session),
        status=CommentStatus.PENDING,
        created_at=now.get(),
    )


def test_staff_hear_of_the_first_waiting_comment_then_at_most_hourly(session, now, pre_round):
    staff = factories.make_user(session, role=Role.STAFF)
    administrator = factories.make_user(session, role=Role.ADMIN)
    participant = factories.make_user(session)

    assert events.announce_queues(session, now=now.get()) == 0
    _pending(session, pre_round, now)
    assert events.announce_queues(session, now=now.get()) == 1
    assert events.announce_queues(session, now=now.get()) == 0

    now.set(now.get() + timedelta(minutes=20))
    _pending(session, pre_round, now)
    assert events.announce_queues(session, now=now.get()) == 0  # within the hour
    now.set(now.get() + timedelta(minutes=41))
    assert events.announce_queues(session, now=now.get()) == 1  # grown, an hour later
    now.set(now.get() + timedelta(hours=3))
    assert events.announce_queues(session, now=now.get()) == 0  # not grown since

    for person in (staff, administrator):
        told = _notifications(session, person, "queue.grew")
        assert [json.loads(n.params)["count"] for n in told] == [1, 2]
    assert _notifications(session, participant) == []
    (first, _second) = _outbox(session, staff)
    assert first.subject == f"Synpunkter väntar på granskning – {pre_round.consultation.title}"
    assert "Remissomgång 1" in first.body and ": 1." in first.body


def test_reported_comments_count_as_waiting_as_in_the_queue_staff_see(session, now, open_round):
    staff = factories.make_user(session, role=Role.STAFF)
    hidden = factories.make_comment(session, open_round, factories.make_user(session))
    hidden.status = CommentStatus.HIDDEN
    hidden.moderation_reason = "reports"
    hidden.moderated_at = now.get()
    hidden.open_report_count = 3
    reported = factories.make_comment(session, open_round, factories.make_user(session))
    reported.open_report_count = 1  # below the threshold: shown, but staff should look
    blocked = factories.make_comment(session, open_round, factories.make_user(session))
    blocked.status = CommentStatus.HIDDEN
    blocked.moderation_reason = "blocked"
    session.commit()
    assert events.announce_queues(session, now=now.get()) == 1
    (notification,) = _notifications(session, kind="queue.grew")
    assert json.loads(notification.params)["count"] == 2
    assert moderation_queue.queue_size(session, staff) == 2


def test_queues_of_different_rounds_are_told_separately(session, now, pre_round, open_round):
    factories.make_user(session, role=Role.STAFF)
    _pending(session, pre_round, now)
    other = factories.make_comment(session, open_round, factories.make_user(session))
    other.status = CommentStatus.PENDING
    session.commit()
    assert events.announce_queues(session, now=now.get()) == 2
    now.set(now.get() + timedelta(minutes=5))
    assert events.announce_queues(session, now=now.get()) == 0


def test_two_workers_tell_staff_of_a_grown_queue_once(app, session, now, pre_round):
    factories.make_user(session, role=Role.STAFF)
    _pending(session, pre_round, now)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            with app.test_request_context():
                own = db.get_session()
                barrier.wait()
                results.append(events.announce_queues(own, now=now.get()))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert len(_notifications(session, kind="queue.grew")) == 1


# Subjects and wording


@pytest.mark.parametrize("kind", sorted(messages.MESSAGES))
def test_every_email_subject_names_the_consultation_and_says_synpunkt(app, kind):
    params = {
        "consultation": "Regional utvecklingsstrategi 2030",
        "round_title": "Regional utvecklingsstrategi 2030 – Remissomgång 2",
        "reason": "Personuppgifter",
        "replier": "Olle",
        "count": 3,
        "closes_at": "2027-03-15T22:59:00+00:00",
        "event_title": "Uppstartsdag",
    }
    with app.test_request_context(), force_locale("sv"):
        subject, body = messages.render(kind, params, "/samrad/rus/")
    assert subject.endswith(" – Regional utvecklingsstrategi 2030")
    assert "kommentar" not in (subject + body).lower()


def test_subject_falls_back_to_the_round_title_and_is_cut_when_very_long(app):
    with app.test_request_context(), force_locale("sv"):
        old = messages.subject("comment.approved", {"round_title": "Strategi 9"})
        long = messages.subject("round.closed", {"consultation": "Lång " * 60})
    assert old == "Din synpunkt har publicerats – Strategi 9"
    assert len(long) < 160 and long.endswith("…")


def test_the_list_names_the_replier_as_they_choose_to_be_seen_now(
    client, auth, session, open_round
):
    author = factories.make_user(session, name="Karin Ek")
    parent = factories.make_comment(session, open_round, author)
    replier = auth.login(name="Olle Ström", category=Category.INDIVIDUAL)
    replier.municipality = "Umeå"
    session.commit()
    assert _reply(client, parent).status_code == 302
    (notification,) = _notifications(session, author, "comment.replied")
    assert json.loads(notification.params)["reply_id"] is not None

    replier.name_shown = NameShown.HIDDEN
    session.commit()
    client.post("/konto/logga-ut")
    auth.login(author)
    page = client.get("/notiser").get_data(as_text=True)
    assert "Privatperson, Umeå har svarat på din synpunkt" in page
    assert "Olle Ström" not in page


def test_an_older_reply_notification_keeps_its_stored_name(client, auth, session, now):
    author = auth.login()
    notify(session, author, "comment.replied", now=now.get(), replier="Olle S.", round_title="R")
    session.commit()
    assert "Olle S. har svarat på din synpunkt" in client.get("/notiser").get_data(as_text=True)
