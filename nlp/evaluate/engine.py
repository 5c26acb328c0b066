"""The engine's modules, which may not exist yet when a section is evaluated."""

from __future__ import annotations

import importlib


def optional(module: str, *names: str):
    """Return the named attributes of ``nlp.<module>`` as a tuple, or None if unavailable."""
    try:
        loaded = importlib.import_module(f"nlp.{module}")
        return tuple(getattr(loaded, name) for name in names)
    except (ImportError, AttributeError):
        return None
