"""Who may do what: the role checks every service starts with."""

from __future__ import annotations

from .errors import NotAllowed


def signed_in(actor) -> bool:
    """Whether ``actor`` is a signed-in user (not None, not Flask-Login's anonymous user)."""
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def require_user(actor) -> None:
    """Raise NotAllowed unless ``actor`` is signed in."""
    if not signed_in(actor):
        raise NotAllowed()


def require_staff(actor) -> None:
    """Raise NotAllowed unless ``actor`` is signed-in staff or an administrator."""
    if not signed_in(actor) or not getattr(actor, "is_staff", False):
        raise NotAllowed()


def require_admin(actor) -> None:
    """Raise NotAllowed unless ``actor`` is a signed-in administrator."""
    if not signed_in(actor) or not getattr(actor, "is_admin", False):
        raise NotAllowed("admin")
