"""The public search of published comments."""

from . import bp  # noqa: F401
