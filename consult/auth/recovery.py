"""Accounts people can recover: confirming the address, a forgotten password, changing the
password or the address, and signing out everywhere.

Every change commits in one transaction with the e-mail it sends (the outbox). Signing out
is done by raising ``User.session_epoch``: sessions and remember cookies carry the epoch they
began in, and ``auth.routes.load_user`` refuses an older one.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from ..analysis.placement import place_quietly
from ..consultations.comments import release_held
from ..errors import Invalid, WrongState
from ..models import Comment, CommentStatus, User
from ..permissions import require_user
from . import mails, tokens
from .services import _dummy_hash, hash_password

TokenError = tokens.TokenError


def _max_age(purpose: str) -> int:
    return current_app.config[tokens.MAX_AGE_KEYS[purpose]]


def _fresh(session: Session, user_id: int) -> User | None:
    return session.scalar(
        select(User).where(User.id == user_id).execution_options(populate_existing=True)
    )


def _locked(session: Session, user_id: int) -> User | None:
    """Read an account under a row lock: two uses of one link at once, only one succeeds."""
    return session.scalar(
        select(User)
        .where(User.id == user_id)
        .with_for_update(of=User)
        .execution_options(populate_existing=True)
    )


def _end_sessions(user: User) -> None:
    user.session_epoch = (user.session_epoch or 0) + 1


# Confirming the address


def send_confirmation(session: Session, user: User, *, now: datetime) -> bool:
    """Queue a confirmation link for ``user`` (in the caller's transaction, not committed).

    Returns False, sending nothing, when the address is confirmed already.
    """
    if user.is_confirmed:
        return False
    token = tokens.make(tokens.CONFIRM, user)
    mails.confirm(session, user, token, _max_age(tokens.CONFIRM), now)
    return True


def resend_confirmation(session: Session, actor: User, *, now: datetime) -> None:
    """Send the signed-in ``actor`` a new confirmation link; WrongState if already confirmed."""
    require_user(actor)
    user = _fresh(session, actor.id)
    if not send_confirmation(session, user, now=now):
        raise WrongState("confirmed")
    session.commit()


def _confirm(session: Session, user: User, now: datetime) -> list[Comment]:
    user.email_confirmed_at = now
    return release_held(session, user, now=now)


def _commit(session: Session, published: list[Comment], now: datetime) -> None:
    session.commit()
    for comment in published:
        # In a round already analysed, a comment published now joins the themes.
        place_quietly(session, comment, now)


def confirm_email(session: Session, token: str, *, now: datetime) -> tuple[User, int]:
    """Confirm the address a link was sent to; return the user and how many comments were
    published by it.

    Raises TokenError: "invalid", "expired", or "used" (confirmed already, or the address
    changed since the link was sent).
    """
    claim, mark = tokens.read(tokens.CONFIRM, token)
    user = _locked(session, claim.user_id)
    tokens.check(tokens.CONFIRM, user, mark)
    published = _confirm(session, user, now)
    _commit(session, published, now)
    return user, len(published)


def held_count(session: Session, actor: User) -> int:
    """Count what ``actor`` wrote that waits for their address to be confirmed."""
    if actor is None or actor.is_confirmed:
        return 0
    return session.scalar(
        select(func.count())
        .select_from(Comment)
        .where(Comment.author_id == actor.id, Comment.status == CommentStatus.PENDING)
    )


# A forgotten password


def request_reset(session: Session, email: str, *, now: datetime) -> None:
    """Queue a reset link if an account has this address; otherwise do the same work, silently.

    The caller answers the same either way, so the answer never tells whether an address has
    an account. For an unknown address the token and the mail are made too, for nobody, and
    thrown away, so that both answers take about as long.
    """
    address = (email or "").strip().lower()
    user = session.scalar(select(User).where(User.email == address, User.erased_at.is_(None)))
    known = user is not None
    if not known:
        user = User(id=0, email=address, display_name="", password_hash=_dummy_hash())
    token = tokens.make(tokens.RESET, user)
    mails.reset(session, user, token, _max_age(tokens.RESET), now)
    if known:
        session.commit()
    else:
        session.rollback()


def check_reset(session: Session, token: str) -> User:
    """Return the user a reset link is for, or raise TokenError."""
    claim, mark = tokens.read(tokens.RESET, token)
    user = session.get(User, claim.user_id)
    tokens.check(tokens.RESET, user, mark)
    return user


def reset_password(
    session: Session, token: str, password: str, *, now: datetime
) -> tuple[User, int]:
    """Set a new password from a reset link; every session of the account is signed out.

    Following the link proves the address works, so an unconfirmed one is confirmed too. But
    what was written before is not published: whoever registered the address may not be the
    person who now resets its password. Those held comments are withdrawn instead; returns
    the user and how many. Raises TokenError, or Invalid for a short password.
    """
    claim, mark = tokens.read(tokens.RESET, token)
    user = _locked(session, claim.user_id)
    tokens.check(tokens.RESET, user, mark)
    _check_new_password(password)
    user.password_hash = hash_password(password)
    _end_sessions(user)
    withdrawn = 0
    if not user.is_confirmed:
        withdrawn = _withdraw_held(session, user, now)
        user.email_confirmed_at = now
    session.commit()
    return user, withdrawn


def _withdraw_held(session: Session, user: User, now: datetime) -> int:
    held = session.scalars(
        select(Comment).where(Comment.author_id == user.id, Comment.status == CommentStatus.PENDING)
    ).all()
    for comment in held:
        comment.status = CommentStatus.WITHDRAWN
        comment.updated_at = now
    return len(held)


# Settings of a signed-in account


MIN_PASSWORD = 10
MAX_PASSWORD = 200


def _check_new_password(password: str) -> None:
    if not password or len(password) < MIN_PASSWORD or len(password) > MAX_PASSWORD:
        raise Invalid({"password": "length"})


def change_password(
    session: Session, actor: User, *, current: str, new: str, now: datetime
) -> User:
    """Change ``actor``'s password; the current one is required. Other sessions end.

    The caller starts a new session for this browser (the epoch was raised).
    """
    require_user(actor)
    user = _fresh(session, actor.id)
    if not check_password_hash(user.password_hash, current or ""):
        raise Invalid({"current_password": "wrong"})
    _check_new_password(new)
    if check_password_hash(user.password_hash, new):
        raise Invalid({"password": "same"})
    user.password_hash = hash_password(new)
    _end_sessions(user)
    session.commit()
    return user


def request_email_change(
    session: Session, actor: User, *, new_email: str, password: str, now: datetime
) -> str:
    """Send a link to ``new_email`` that moves ``actor``'s account there; tell the old address.

    The current address stays in use until the link is opened. Returns the new address.
    """
    require_user(actor)
    user = _fresh(session, actor.id)
    if not check_password_hash(user.password_hash, password or ""):
        raise Invalid({"current_password": "wrong"})
    address = (new_email or "").strip().lower()
    if address == user.email:
        raise Invalid({"email": "same"})
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Invalid({"email": "taken"})
    user.pending_email = address
    token = tokens.make(tokens.NEW_EMAIL, user, email=address)
    mails.new_address(session, user, address, token, _max_age(tokens.NEW_EMAIL), now)
    session.commit()
    return address


def confirm_new_email(session: Session, token: str, *, now: datetime) -> User:
    """Move the account to the address a change link was sent to, which is thereby confirmed.

    Raises TokenError, or WrongState("taken") if another account took the address meanwhile.
    """
    claim, mark = tokens.read(tokens.NEW_EMAIL, token)
    if not claim.email:
        raise TokenError("invalid")
    user = _locked(session, claim.user_id)
    tokens.check(tokens.NEW_EMAIL, user, mark)
    if _taken(session, claim.email, user.id):
        session.rollback()
        raise WrongState("taken")
    try:
        was_confirmed = user.is_confirmed
        user.email = claim.email
        user.pending_email = None
        if was_confirmed:
            user.email_confirmed_at = now
            published = []
        else:
            published = _confirm(session, user, now)
        session.flush()
    except IntegrityError:
        # Another account took the address after the check above: the unique index says so.
        session.rollback()
        raise WrongState("taken") from None
    _commit(session, published, now)
    return user


def _taken(session: Session, email: str, user_id: int) -> bool:
    """Whether an account other than ``user_id`` has ``email``."""
    found = select(User.id).where(User.email == email, User.id != user_id)
    return session.scalar(found) is not None


def sign_out_everywhere(session: Session, actor: User, *, now: datetime) -> None:
    """End every session and remember cookie of ``actor``'s account, this one included."""
    require_user(actor)
    user = _fresh(session, actor.id)
    _end_sessions(user)
    session.commit()
