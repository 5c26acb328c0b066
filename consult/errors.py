"""The refusals every service raises, shared by all areas of the product.

A service refuses by raising one of these; ``code`` is the HTTP status a route answers with.
Routes catch the refusals they render a form or a message for (``Invalid``, ``WrongState``,
``Conflict``); any other refusal reaches the app's error handler, which rolls the session back
and answers with the status page for ``code``.
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """Base for refusals; ``key`` names the rule that refused, for the message shown."""

    code = 400

    def __init__(self, key: str | None = None):
        super().__init__(key)
        self.key = key


class NotAllowed(Refusal):
    """The actor may not do this (``key`` may name the rule, e.g. "admin")."""

    code = 403


class NotFound(Refusal):
    """The object does not exist, or the actor may not know that it does."""

    code = 404


class WrongState(Refusal):
    """The action does not fit the object's current state; ``key`` says why.

    ``context`` holds what a page needs to explain it (e.g. the job that is already running).
    """

    code = 409

    def __init__(self, key: str, **context: Any):
        super().__init__(key)
        self.context = context


class Conflict(Refusal):
    """The object changed since the form was loaded; ``current`` is its saved state."""

    code = 409

    def __init__(self, current: Any):
        super().__init__("conflict")
        self.current = current


class Invalid(Refusal):
    """Input refused; ``errors`` maps form fields to message keys."""

    code = 422

    def __init__(self, errors: dict[str, str]):
        super().__init__(None)
        self.errors = errors


class Unavailable(Refusal):
    """A service the action needs (the job queue, the database) cannot be reached just now;
    nothing was changed, and the same action can be tried again in a moment. ``key`` names
    the service ("queue", "database")."""

    code = 503
