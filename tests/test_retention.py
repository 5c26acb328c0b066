"""Retention: what the pass deletes, what it keeps, how it is run and what it records."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from consult.models import (
    Agreement,
    AuditEntry,
    Comment,
    CommentStatus,
    Follow,
    Notification,
    OutboxEmail,
    Report,
    RetentionSetting,
    User,
)
from consult.notifications import worker
from consult.site import retention

from . import factories

MAX_ATTEMPTS = 5


@pytest.fixture(autouse=True)
def mail_file(app, tmp_path):
    """The file backend's mail log, in a folder of this test's own."""
    path = tmp_path / "mail.log"
    app.config["MAIL_LOG"] = str(path)
    return path


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _user(session, now, *, days_old, confirmed=False, **kwargs) -> User:
    user = factories.make_user(session, confirmed=confirmed, **kwargs)
    user.created_at = now.get() - timedelta(days=days_old)
    if confirmed:
        user.email_confirmed_at = user.created_at
    session.commit()
    return user


def _mail(session, to, *, sent_at=None, created_at, attempts=1, notification=None, user=None):
    email = OutboxEmail(
        user_id=user.id if user else None,
        to_address=to,
        subject="Ämne",
        body="Text",
        created_at=created_at,
        sent_at=sent_at,
        attempts=attempts,
        notification=notification,
    )
    session.add(email)
    session.commit()
    return email


def _run(session, now):
    return retention.run(session, now=now.get(), max_attempts=MAX_ATTEMPTS)


def test_an_old_unconfirmed_account_without_published_comments_goes_with_what_it_left(
    session, now, open_round
):
    gone = _user(session, now, days_old=31, email="glomd@example.se")
    other = factories.make_user(session)
    published = factories.make_comment(session, open_round, other)
    held = factories.make_comment(session, open_round, gone, status=CommentStatus.PENDING)
    session.add_all(
        [
            Agreement(comment_id=published.id, user_id=gone.id),
            Follow(user_id=gone.id, consultation_id=open_round.consultation_id),
        ]
    )
    published.agreement_count = 1
    note = Notification(user_id=gone.id, kind="comment.approved")
    session.add(note)
    session.commit()
    _mail(session, "glomd@example.se", created_at=now.get(), notification=note)
    _mail(session, "glomd@example.se", created_at=now.get())  # e.g. the confirmation link
    # The link to an address it asked to move to: the account's mail, at another address.
    _mail(session, "glomd.ny@example.se", created_at=now.get(), user=gone)
    held_id, gone_id = held.id, gone.id

    deleted = _run(session, now)

    session.expire_all()
    assert session.get(User, gone_id) is None
    assert session.get(Comment, held_id) is None
    assert _count(session, Agreement) == _count(session, Follow) == 0
    assert _count(session, Notification) == _count(session, OutboxEmail) == 0
    assert session.get(Comment, published.id).agreement_count == 0
    assert (deleted.unconfirmed_accounts, deleted.held_comments, deleted.agreements) == (1, 1, 1)
    assert (deleted.follows, deleted.notifications, deleted.outbox_emails) == (1, 1, 3)


def test_confirmed_young_and_published_accounts_stay(session, now, open_round):
    confirmed = _user(session, now, days_old=400, confirmed=True)
    young = _user(session, now, days_old=29)
    author = _user(session, now, days_old=400)
    factories.make_comment(session, open_round, author)
    hidden = _user(session, now, days_old=400)
    factories.make_comment(session, open_round, hidden, status=CommentStatus.HIDDEN)
    reporter = _user(session, now, days_old=400)
    target = factories.make_comment(session, open_round, confirmed)
    session.add(Report(comment_id=target.id, reporter_id=reporter.id, reason="spam"))
    session.commit()
    kept = {confirmed.id, young.id, author.id, hidden.id, reporter.id}

    deleted = _run(session, now)

    assert deleted.unconfirmed_accounts == 0
    assert set(session.scalars(select(User.id))) == kept


def test_an_account_whose_held_comment_has_a_reply_stays(session, now, open_round):
    """Replies go to published comments only; should one exist, the thread is not broken."""
    lone = _user(session, now, days_old=60)
    held = factories.make_comment(session, open_round, lone, status=CommentStatus.PENDING)
    factories.make_comment(session, open_round, factories.make_user(session), parent=held)

    assert _run(session, now).unconfirmed_accounts == 0
    assert session.get(User, lone.id) is not None


def test_the_period_comes_from_the_settings(session, now, admin):
    user = _user(session, now, days_old=10)
    assert _run(session, now).unconfirmed_accounts == 0
    retention.save(
        session,
        admin,
        {
            "unconfirmed_account_days": 7,
            "outbox_email_days": 30,
            "read_notification_days": 90,
            "event_needs_days": 30,
        },
    )
    assert _run(session, now).unconfirmed_accounts == 1
    assert session.get(User, user.id) is None


def test_old_sent_and_failed_mail_goes_young_and_waiting_mail_stays(session, now):
    old = now.get() - timedelta(days=31)
    young = now.get() - timedelta(days=29)
    sent_old = _mail(session, "a@example.se", sent_at=old, created_at=old)
    failed_old = _mail(session, "b@example.se", created_at=old, attempts=MAX_ATTEMPTS)
    sent_young = _mail(session, "c@example.se", sent_at=young, created_at=old)
    waiting_old = _mail(session, "d@example.se", created_at=old, attempts=2)
    failed_young = _mail(session, "e@example.se", created_at=young, attempts=MAX_ATTEMPTS)
    gone = {sent_old.id, failed_old.id}
    kept = {sent_young.id, waiting_old.id, failed_young.id}

    assert _run(session, now).outbox_emails == 2

    assert set(session.scalars(select(OutboxEmail.id))) == kept
    assert not gone & kept


def test_read_notifications_go_after_their_period_unread_ones_stay(session, now):
    user = factories.make_user(session)
    read_old = Notification(user_id=user.id, kind="x", read_at=now.get() - timedelta(days=91))
    read_young = Notification(user_id=user.id, kind="x", read_at=now.get() - timedelta(days=89))
    unread_old = Notification(user_id=user.id, kind="x", created_at=now.get() - timedelta(days=900))
    session.add_all([read_old, read_young, unread_old])
    session.commit()
    mail = _mail(session, user.email, created_at=now.get(), notification=read_old)

    assert _run(session, now).notifications == 1

    assert set(session.scalars(select(Notification.id))) == {read_young.id, unread_old.id}
    session.refresh(mail)
    assert mail.notification_id is None  # the e-mail has its own period


def test_a_pass_records_numbers_only_in_the_audit_log(session, now):
    _user(session, now, days_old=31, email="hemlig@example.se", name="Hemlig Person")

    _run(session, now)

    entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "retention.run" and entry.actor_id is None
    assert json.loads(entry.after)["unconfirmed_accounts"] == 1
    text = f"{entry.before} {entry.after} {entry.reason}"
    assert "hemlig" not in text.lower()


def test_a_pass_that_deletes_nothing_writes_nothing(session, now):
    factories.make_user(session)
    _run(session, now)
    assert _count(session, AuditEntry) == 0


def test_the_cli_command_runs_a_pass(runner, session, now):
    _user(session, now, days_old=31)
    result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 unconfirmed accounts" in result.output
    assert _count(session, User) == 0
    assert session.scalars(select(AuditEntry.action)).one() == "retention.run"


def test_the_notification_worker_runs_the_pass(app, session, now):
    app.config["RETENTION_INTERVAL"] = 3600
    _user(session, now, days_old=31)
    session.commit()
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(app, stop, 0.05))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            session.rollback()
            if _count(session, AuditEntry):
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert _count(session, User) == 0
    assert session.scalars(select(AuditEntry.action)).one() == "retention.run"


def test_the_worker_does_not_run_the_pass_when_turned_off(app, session, now):
    app.config["RETENTION_INTERVAL"] = 0
    _user(session, now, days_old=31)
    stop = threading.Event()
    stop_soon = threading.Timer(0.3, stop.set)
    stop_soon.start()
    worker.run(app, stop, 0.05)
    session.rollback()
    assert _count(session, User) == 1


def test_defaults_apply_until_an_administrator_saves_periods(session, admin):
    assert retention.settings(session) == retention.Settings(30, 30, 90, 30)
    assert _count(session, RetentionSetting) == 0
    saved = retention.save(
        session,
        admin,
        {
            "unconfirmed_account_days": 14,
            "outbox_email_days": 60,
            "read_notification_days": 365,
            "event_needs_days": 30,
        },
    )
    assert (saved.unconfirmed_account_days, saved.outbox_email_days) == (14, 60)
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "retention.settings" and entry.actor_id == admin.id
    assert json.loads(entry.before) == {
        "unconfirmed_account_days": 30,
        "outbox_email_days": 30,
        "read_notification_days": 90,
    }


@pytest.mark.parametrize("days", [0, 3651, None])
def test_periods_out_of_range_are_refused(session, admin, days):
    from consult.errors import Invalid

    with pytest.raises(Invalid) as refused:
        retention.save(
            session,
            admin,
            {
                "unconfirmed_account_days": days,
                "outbox_email_days": 30,
                "read_notification_days": 1,
                "event_needs_days": 30,
            },
        )
    assert refused.value.errors == {"unconfirmed_account_days": "range"}


def test_only_administrators_save_periods(session):
    from consult.errors import NotAllowed
    from consult.models import Role

    staff = factories.make_user(session, role=Role.STAFF)
    with pytest.raises(NotAllowed):
        retention.save(
            session,
            staff,
            {
                "unconfirmed_account_days": 1,
                "outbox_email_days": 1,
                "read_notification_days": 1,
                "event_needs_days": 1,
            },
        )


def test_old_messages_leave_the_mail_log_file_young_ones_stay(app, session, now, mail_file):
    from consult.notifications.sending import FileBackend, build_message

    backend = FileBackend(str(mail_file))
    for days, subject in ((31, "Gammal"), (29, "Ny")):
        email = _mail(
            session, "x@example.se", created_at=now.get() - timedelta(days=days), sent_at=now.get()
        )
        email.subject = subject
        backend.send(build_message(email, "Consult <noreply@example.se>", "8bit"))

    result = app.test_cli_runner().invoke(args=["retention", "run"])

    assert result.exit_code == 0, result.output
    assert "1 e-mails from the mail log file" in result.output
    text = mail_file.read_text(encoding="utf-8")
    assert "Subject: Ny" in text and "Subject: Gammal" not in text
    entry = session.scalars(select(AuditEntry)).one()
    assert json.loads(entry.after)["mail_file_messages"] == 1


def test_a_missing_mail_log_file_is_no_error(session, now, mail_file):
    assert retention.prune_mail_file(str(mail_file), now.get()) == 0
    assert not mail_file.exists()


def test_administrators_read_the_pass_in_the_audit_log(client, auth, session, now, admin):
    _user(session, now, days_old=31)
    _run(session, now)
    auth.login(admin)
    log = client.get("/admin/logg").get_data(as_text=True)
    assert "Personuppgifter gallrade enligt lagringstiderna" in log
    assert "Obekräftade konton" in log and "systemet" in log


@pytest.mark.parametrize(
    "table, goes, keeps",
    [
        ("user_account", retention.GOES_WITH_ACCOUNT, retention.KEEPS_ACCOUNT),
        ("comment", retention.GOES_WITH_COMMENT, retention.KEEPS_COMMENT),
    ],
)
def test_every_reference_to_an_account_or_comment_is_decided(table, goes, keeps):
    """A new table pointing at accounts or comments must be listed as going with an expired
    account or as keeping it (retention.py); until then this fails."""
    from consult.db import Base

    references = {
        (other.name, key.parent.name)
        for other in Base.metadata.sorted_tables
        for key in other.foreign_keys
        if key.column.table.name == table
    }
    assert references == goes | keeps
    assert not goes & keeps
