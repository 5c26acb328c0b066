"""Sending the e-mail outbox: through SMTP when configured, else appended to a log file.

Each e-mail is claimed before it is sent with a conditional UPDATE (``sent_at IS NULL`` and
the attempt count that was read), in a transaction of its own: of several workers running
at once exactly one wins the claim, on PostgreSQL and SQLite alike, so no e-mail goes out
twice. A failed send gives the e-mail back (``sent_at`` NULL again) with its error kept;
it is tried again later, waiting longer after each failure, up to ``MAIL_MAX_ATTEMPTS``.
A process that dies between claiming and sending loses that one e-mail rather than sending
it twice.
"""

from __future__ import annotations

import logging
import mailbox
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..models import OutboxEmail
from ..ops.context import request_id_scope

log = logging.getLogger(__name__)

# How long after its creation an e-mail that failed n times is tried again (n = index).
RETRY_AFTER = (
    timedelta(0),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
    timedelta(hours=24),
)
BATCH = 100


class FileBackend:
    """Append each message to an mbox-style text file (the default: works offline)."""

    # Plain UTF-8 text, so that the file reads as it is (SMTP gets quoted-printable).
    transfer_encoding = "8bit"
    _lock = threading.Lock()

    def __init__(self, path: str):
        self.path = path

    def __enter__(self) -> FileBackend:
        return self

    def __exit__(self, *_exc) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        """Append ``message`` to the file, locked against other threads and processes."""
        with self._lock:
            box = mailbox.mbox(self.path, create=True)
            box.lock()
            try:
                box.add(message)
                box.flush()
            finally:
                box.unlock()
                box.close()


class SmtpBackend:
    """Send through an SMTP server, one connection per batch, STARTTLS and login if set."""

    transfer_encoding = "quoted-printable"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        timeout: float = 30,
    ):
        self.host, self.port = host, port
        self.user, self.password = user, password
        self.starttls, self.timeout = starttls, timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpBackend:
        return self

    def __exit__(self, *_exc) -> None:
        self._disconnect(quit_=True)

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
        except Exception:
            smtp.close()
            raise
        return smtp

    def _disconnect(self, quit_: bool) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit() if quit_ else smtp.close()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: EmailMessage) -> None:
        """Send ``message``; a broken connection is dropped and opened again next time."""
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self._disconnect(quit_=False)
            raise


def backend_from_config(config) -> FileBackend | SmtpBackend:
    """Return the SMTP backend when ``SMTP_HOST`` is set, else the file backend."""
    if config["SMTP_HOST"]:
        return SmtpBackend(
            config["SMTP_HOST"],
            config["SMTP_PORT"],
            user=config["SMTP_USER"],
            password=config["SMTP_PASSWORD"],
            starttls=config["SMTP_STARTTLS"],
            timeout=config["SMTP_TIMEOUT"],
        )
    return FileBackend(config["MAIL_LOG"])


def build_message(
    email: OutboxEmail, sender: str, transfer_encoding: str = "quoted-printable"
) -> EmailMessage:
    """Return the RFC 5322 message for an outbox row."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "consult.invalid"
    # The same id on every attempt, so a receiving server can spot a repeat.
    message["Message-ID"] = f"<outbox.{email.id}.{int(email.created_at.timestamp())}@{domain}>"
    if email.request_id:
        # The request that queued it, to find its log lines (see consult.ops.context).
        message["X-Request-ID"] = email.request_id
    message.set_content(email.body, cte=transfer_encoding)
    if email.attachment_data is not None:
        maintype, _, subtype = (email.attachment_type or "application/octet-stream").partition("/")
        message.add_attachment(
            email.attachment_data,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=email.attachment_name or "attachment",
        )
    return message


def _due(now: datetime, max_attempts: int):
    """SQL condition: not sent, attempts left, and waited long enough since the last failure."""
    waits = [
        and_(OutboxEmail.attempts == n, OutboxEmail.created_at <= now - RETRY_AFTER[n])
        for n in range(min(max_attempts, len(RETRY_AFTER)))
    ]
    return and_(OutboxEmail.sent_at.is_(None), or_(*waits))


def _claim(session: Session, email_id: int, attempts: int, now: datetime) -> bool:
    """Mark one e-mail as being sent by this worker; False if another worker has it."""
    claimed = session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.attempts == attempts,
        )
        .values(sent_at=now, attempts=attempts + 1)
    ).rowcount
    session.commit()
    return claimed == 1


def _give_back(session: Session, email_id: int, error: Exception) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(sent_at=None, last_error=message)
    )
    session.commit()


@dataclass
class Result:
    sent: int = 0
    failed: int = 0


def send_pending(session: Session, backend, *, now: datetime, limit: int = BATCH) -> Result:
    """Send the e-mails that are due, each claimed first; return how many went and failed."""
    config = current_app.config
    candidates = session.execute(
        select(OutboxEmail.id, OutboxEmail.attempts)
        .where(_due(now, config["MAIL_MAX_ATTEMPTS"]))
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    # End the reading transaction: each claim below starts its own with a write.
    session.rollback()
    result = Result()
    with backend:
        for email_id, attempts in candidates:
            if not _claim(session, email_id, attempts, now):
                continue
            email = session.get(OutboxEmail, email_id, populate_existing=True)
            message = build_message(email, config["MAIL_FROM"], backend.transfer_encoding)
            had_error = email.last_error
            request_id = email.request_id
            # No transaction stays open while the server is talking.
            session.rollback()
            with request_id_scope(request_id):
                try:
                    backend.send(message)
                except Exception as error:  # noqa: BLE001 - any failure is kept and retried
                    log.warning("E-mail %s not sent: %s", email_id, error)
                    _give_back(session, email_id, error)
                    result.failed += 1
                    continue
                log.info("E-mail %s sent", email_id)
            if had_error is not None:
                session.execute(
                    update(OutboxEmail).where(OutboxEmail.id == email_id).values(last_error=None)
                )
                session.commit()
            result.sent += 1
    return result
