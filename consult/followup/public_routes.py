"""Routes of the follow-up (being written)."""

from . import bp  # noqa: F401
