"""Sending the outbox: the file and SMTP backends, retries, and no e-mail sent twice."""

from __future__ import annotations

import email
import email.policy
import mailbox
import smtplib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from consult import db
from consult.models import OutboxEmail, Round
from consult.notifications import notify, sending, worker

from . import factories


@pytest.fixture
def mail_log(app, tmp_path):
    path = tmp_path / "mail.log"
    app.config["MAIL_LOG"] = str(path)
    return path


def _queue(app, session, now, n=1, **user):
    people = [factories.make_user(session, **user) for _ in range(n)]
    with app.test_request_context():
        for person in people:
            notify(
                session,
                person,
                "round.closed",
                now=now.get(),
                url="/samrad/rus/",
                consultation="Regional utvecklingsstrategi",
                round_title="Regional utvecklingsstrategi – Remissomgång 1",
            )
    session.commit()
    return people


def _send(app, session, now, backend):
    with app.test_request_context():
        return sending.send_pending(session, backend, now=now.get())


def _read_log(path):
    """Return the messages of a mail log, parsed with the modern e-mail policy."""
    box = mailbox.mbox(
        str(path), factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default)
    )
    try:
        return list(box)
    finally:
        box.close()


def _emails(session):
    session.expire_all()
    return list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


class Recorder:
    """A backend that keeps what it was asked to send, failing while ``failures`` is set."""

    transfer_encoding = "quoted-printable"

    def __init__(self, failures=0, pause=None):
        self.sent, self.failures, self.pause = [], failures, pause
        self._lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return None

    def send(self, message):
        if self.pause is not None:
            self.pause()
        if self.failures:
            self.failures -= 1
            raise smtplib.SMTPRecipientsRefused({message["To"]: (450, b"try later")})
        with self._lock:
            self.sent.append(message)


def test_file_backend_appends_rfc5322_messages(app, session, now, mail_log):
    (person,) = _queue(app, session, now)
    result = _send(app, session, now, sending.backend_from_config(app.config))
    assert (result.sent, result.failed) == (1, 0)
    _queue(app, session, now)
    _send(app, session, now, sending.backend_from_config(app.config))

    messages = _read_log(mail_log)
    assert len(messages) == 2
    first = messages[0]
    assert first["To"] == person.email
    assert first["From"] == app.config["MAIL_FROM"]
    assert first["Subject"] == "En remissomgång har stängt – Regional utvecklingsstrategi"
    assert first["Message-ID"].startswith("<outbox.")
    body = first.get_content()
    # The file reads as plain text, without transfer encoding.
    assert "Remissomgång 1" in mail_log.read_text(encoding="utf-8")
    assert "Regional utvecklingsstrategi – Remissomgång 1" in body
    assert "http://127.0.0.1:5000/samrad/rus/" in body
    (email, _second) = _emails(session)
    assert email.sent_at == now.get() and email.attempts == 1 and email.last_error is None


def test_nothing_is_sent_twice(app, session, now, mail_log):
    _queue(app, session, now)
    backend = Recorder()
    assert _send(app, session, now, backend).sent == 1
    assert _send(app, session, now, backend).sent == 0
    assert len(backend.sent) == 1


class FakeSMTP:
    """Stands in for smtplib.SMTP and records the conversation."""

    instances: list[FakeSMTP] = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.calls, self.messages = [], []
        FakeSMTP.instances.append(self)

    def ehlo(self):
        self.calls.append("ehlo")

    def starttls(self, context=None):
        assert context is not None
        self.calls.append("starttls")

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        self.messages.append(message)

    def quit(self):
        self.calls.append("quit")

    def close(self):
        self.calls.append("close")


def test_smtp_backend_when_configured(app, session, now, monkeypatch):
    FakeSMTP.instances = []
    monkeypatch.setattr(sending.smtplib, "SMTP", FakeSMTP)
    app.config.update(
        SMTP_HOST="smtp.example.se", SMTP_PORT=2525, SMTP_USER="consult", SMTP_PASSWORD="hemligt"
    )
    people = _queue(app, session, now, n=2)
    backend = sending.backend_from_config(app.config)
    assert isinstance(backend, sending.SmtpBackend)

    assert _send(app, session, now, backend).sent == 2

    (smtp,) = FakeSMTP.instances  # one connection for the whole batch
    assert (smtp.host, smtp.port) == ("smtp.example.se", 2525)
    assert smtp.calls == ["ehlo", "starttls", "ehlo", ("login", "consult", "hemligt"), "quit"]
    assert [m["To"] for m in smtp.messages] == [p.email for p in people]
    # 7-bit safe on the wire, whatever the server supports.
    assert smtp.messages[0]["Content-Transfer-Encoding"] == "quoted-printable"


def test_smtp_without_starttls_or_login(app, session, now, monkeypatch):
    FakeSMTP.instances = []
    monkeypatch.setattr(sending.smtplib, "SMTP", FakeSMTP)
    app.config.update(SMTP_HOST="localhost", SMTP_PORT=25, SMTP_STARTTLS=False)
    _queue(app, session, now)
    _send(app, session, now, sending.backend_from_config(app.config))
    assert FakeSMTP.instances[0].calls == ["ehlo", "quit"]


def test_unreachable_smtp_server_keeps_the_email_for_later(app, session, now, monkeypatch):
    def refuse(*_args, **_kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(sending.smtplib, "SMTP", refuse)
    app.config.update(SMTP_HOST="localhost")
    _queue(app, session, now)
    result = _send(app, session, now, sending.backend_from_config(app.config))
    assert (result.sent, result.failed) == (0, 1)
    (email,) = _emails(session)
    assert email.sent_at is None and email.attempts == 1
    assert "Connection refused" in email.last_error


def test_failures_are_retried_later_and_up_to_the_cap(app, session, now):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    _queue(app, session, now)
    backend = Recorder(failures=10)

    assert _send(app, session, now, backend).failed == 1
    (email,) = _emails(session)
    assert (email.attempts, email.sent_at) == (1, None)
    assert "try later" in email.last_error
    # Not again at once: the next try waits.
    assert _send(app, session, now, backend).failed == 0
    now.set(now.get() + sending.RETRY_AFTER[1])
    assert _send(app, session, now, backend).failed == 1
    now.set(now.get() + sending.RETRY_AFTER[2])
    assert _send(app, session, now, backend).failed == 1
    # Three attempts made: no more, however long it waits.
    now.set(now.get() + timedelta(days=30))
    assert _send(app, session, now, backend).failed == 0
    (email,) = _emails(session)
    assert (email.attempts, email.sent_at) == (3, None)


def test_a_retry_that_succeeds_clears_the_error(app, session, now):
    _queue(app, session, now)
    backend = Recorder(failures=1)
    _send(app, session, now, backend)
    now.set(now.get() + sending.RETRY_AFTER[1])
    assert _send(app, session, now, backend).sent == 1
    (email,) = _emails(session)
    assert email.attempts == 2 and email.sent_at == now.get() and email.last_error is None


def test_two_concurrent_senders_send_each_email_once(app, session, now):
    _queue(app, session, now, n=6)
    barrier = threading.Barrier(2)
    # Both senders read the same pending e-mails before either claims one.
    original = sending._claim

    def claim_together(*args, **kwargs):
        if not getattr(local, "waited", False):
            local.waited = True
            barrier.wait(10)
        return original(*args, **kwargs)

    local = threading.local()
    backend = Recorder()
    results, errors = [], []

    def sender():
        try:
            with app.test_request_context():
                results.append(sending.send_pending(db.get_session(), backend, now=now.get()))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    sending._claim = claim_together
    try:
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sending._claim = original
    assert errors == []
    assert sum(r.sent for r in results) == 6
    assert sorted(m["To"] for m in backend.sent) == sorted({m["To"] for m in backend.sent})
    assert len(backend.sent) == 6
    assert all(e.attempts == 1 and e.sent_at is not None for e in _emails(session))


def test_tick_announces_and_sends_in_one_pass(app, session, now, mail_log):
    round_ = factories.make_round(
        session, opens_at=now.get() - timedelta(minutes=1), closes_at=now.get() + timedelta(days=3)
    )
    follower = factories.make_user(session)
    from consult.models import Follow

    session.add(Follow(user_id=follower.id, consultation_id=round_.consultation_id))
    session.commit()

    result = worker.tick(app)

    assert (result.opened, result.sent) == (1, 1)
    (message,) = _read_log(mail_log)
    assert message["To"] == follower.email
    body = message.get_content()
    assert f"http://127.0.0.1:5000/samrad/{round_.consultation.slug}/omgang/1/" in body
    session.expire_all()
    assert session.get(Round, round_.id).opening_announced_at is not None


def test_cli_send_reports_what_it_did(app, session, now, mail_log, runner):
    _queue(app, session, now, n=2)
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 2 e-mails, 0 failed" in result.output
    assert len(_read_log(mail_log)) == 2


def _app_with_worker(database_url, **overrides):
    from consult import create_app

    from .conftest import make_config

    config = make_config(database_url, TESTING=False, MAIL_WORKER_INTERVAL=3600, **overrides)
    return create_app(config)


def test_the_in_process_worker_starts_with_the_first_request(database_url, now, tmp_path):
    app = _app_with_worker(database_url, MAIL_LOG=str(tmp_path / "mail.log"))
    assert "notifications_worker" not in app.extensions
    try:
        app.test_client().get("/healthz")
        thread, _stop = app.extensions["notifications_worker"]
        assert thread.name == worker.THREAD_NAME and thread.daemon and thread.is_alive()
    finally:
        worker.stop_thread(app)
        app.extensions["db_engine"].dispose()


def test_the_in_process_worker_can_be_turned_off(database_url, now):
    app = _app_with_worker(database_url, MAIL_WORKER=False)
    app.test_client().get("/healthz")
    assert "notifications_worker" not in app.extensions
    app.extensions["db_engine"].dispose()


def test_the_worker_loop_survives_a_failed_pass_and_stops_when_asked(app, monkeypatch):
    stop = threading.Event()
    passes = []

    def tick(app_):
        passes.append(app_)
        if len(passes) == 1:
            raise RuntimeError("database restarting")
        stop.set()
        return worker.Tick(opened=0, closed=0, queues=0, sent=2, failed=0)

    monkeypatch.setattr(worker, "tick", tick)
    reported = []
    worker.run(app, stop, interval=0, report=reported.append)
    assert passes == [app, app]
    assert [r.sent for r in reported] == [2]
