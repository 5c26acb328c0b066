"""Beginning and ending a signed-in session, and reading one back.

The session is a signed cookie. At login, and when a password changes, it is emptied before
the user is put in it, so nothing carried from before (a planted cookie, its CSRF token)
becomes part of the signed-in session; only the chosen language is kept. The user id kept in
the session and the remember cookie is "<id>:<epoch>" (``User.get_id``): raising the account's
``session_epoch`` ends every session begun before.
"""

from __future__ import annotations

from flask import current_app, g, request, session
from flask_login import login_user, logout_user

from ..models import User
from ..web import parse_int

KEPT_KEYS = ("lang",)


def _clear() -> None:
    kept = {key: session[key] for key in KEPT_KEYS if key in session}
    session.clear()
    session.update(kept)
    # The CSRF token Flask-WTF cached for this request belonged to the old session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start(user: User, *, remember: bool = False) -> None:
    """Sign ``user`` in on a session that starts empty (no fixation)."""
    _clear()
    login_user(user, remember=remember, fresh=True)


def restart(user: User) -> None:
    """Renew this browser's session after its account's epoch was raised (password changed).

    A remember cookie the browser had is renewed too; any other session is now stale.
    """
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    start(user, remember=remembered)


def end() -> None:
    """Sign out this browser and forget everything in its session but the language."""
    logout_user()
    _clear()


def load(session_db, user_id: str) -> User | None:
    """Return the user a session id "<id>:<epoch>" belongs to, or None if it is stale."""
    number_text, _, epoch_text = (user_id or "").partition(":")
    number = parse_int(number_text)
    # An id kept before epochs existed ("<id>") counts as epoch 0.
    epoch = parse_int(epoch_text) if epoch_text else 0
    if number is None or epoch is None:
        return None
    user = session_db.get(User, number)
    if user is None or (user.session_epoch or 0) != epoch:
        return None
    return None if user.erased_at is not None else user
