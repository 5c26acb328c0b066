"""Signed, expiring, single-use links for e-mail confirmation, password reset and a new address.

A token is signed with the app's secret and a salt per purpose, so a token made for one
purpose never passes as another. It carries the user's id and a fingerprint of the state it
may change (for a confirmation the address and that it is unconfirmed, for a reset the
current password hash, for a new address also the address last asked for): once used, or
once that state changed another way, the fingerprint no longer matches and the token is dead.
Fingerprints are keyed hashes, compared in constant time, and reveal nothing of the password
hash.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .. import clock
from ..models import User

CONFIRM = "confirm"
RESET = "reset"
NEW_EMAIL = "new-email"
# purpose -> the config key of its lifetime in seconds
MAX_AGE_KEYS = {
    CONFIRM: "CONFIRM_LINK_MAX_AGE",
    RESET: "RESET_LINK_MAX_AGE",
    NEW_EMAIL: "NEW_EMAIL_LINK_MAX_AGE",
}


class TokenError(Exception):
    """A link that cannot be used; ``reason`` is "invalid", "expired" or "used"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Claim:
    """What a valid token says: whose it is and, for a new address, which address."""

    user_id: int
    email: str | None = None


class _ClockSigner(TimestampSigner):
    """Timestamps from the app's clock, so that expiry follows it (and tests can move it)."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"consult.account.{purpose}", signer=_ClockSigner
    )


def _state(purpose: str, user: User) -> str:
    if purpose == CONFIRM:
        return f"{user.email}|{'confirmed' if user.is_confirmed else 'unconfirmed'}"
    if purpose == NEW_EMAIL:
        # A newer request replaces the pending address: only the latest request's link works.
        return f"{user.email}|{user.password_hash}|{user.pending_email or ''}"
    # A reset dies when the password or the address changes.
    return f"{user.email}|{user.password_hash}"


def fingerprint(purpose: str, user: User) -> str:
    """Return the keyed hash of the state a ``purpose`` token for ``user`` is bound to."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}|{user.id}|{_state(purpose, user)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def make(purpose: str, user: User, *, email: str | None = None) -> str:
    """Return a token for ``purpose`` bound to ``user``'s current state (and a new address)."""
    payload = {"u": user.id, "f": fingerprint(purpose, user)}
    if email is not None:
        payload["e"] = email
    return _serializer(purpose).dumps(payload)


def read(purpose: str, token: str) -> tuple[Claim, str]:
    """Check the signature, purpose and age of ``token``; return its claim and fingerprint.

    Raises TokenError("invalid") for a forged, damaged or other-purpose token and
    TokenError("expired") for one older than the purpose's lifetime.
    """
    max_age = current_app.config[MAX_AGE_KEYS[purpose]]
    try:
        payload = _serializer(purpose).loads(token or "", max_age=max_age)
    except SignatureExpired as error:
        raise TokenError("expired") from error
    except BadSignature as error:
        raise TokenError("invalid") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise TokenError("invalid")
    email = payload.get("e")
    if email is not None and not isinstance(email, str):
        raise TokenError("invalid")
    return Claim(payload["u"], email), str(payload.get("f", ""))


def check(purpose: str, user: User | None, mark: str) -> None:
    """Raise TokenError("used") unless ``user`` is still in the state the token was made for."""
    if user is None or getattr(user, "erased_at", None) is not None:
        raise TokenError("used")
    if not hmac.compare_digest(fingerprint(purpose, user), mark):
        raise TokenError("used")
