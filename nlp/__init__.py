"""Consult's theme engine: Swedish-first text analysis with no web framework in sight.

Plain strings in, plain values and dataclasses out; nothing is downloaded at run time.
"""

from .discovery import Theme, ThemeModel, discover_themes
from .duplicates import duplicate_labels, find_duplicates
from .stance import StanceModel, stance, stance_with_confidence
from .tagging import ThemeTagger
from .text import language, lemmas, normalise

__all__ = [
    "StanceModel",
    "Theme",
    "ThemeModel",
    "ThemeTagger",
    "discover_themes",
    "duplicate_labels",
    "find_duplicates",
    "language",
    "lemmas",
    "normalise",
    "stance",
    "stance_with_confidence",
]
