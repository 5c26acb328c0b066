"""WTForms' own messages ("Not a valid choice") in the page's language, read once per process.

Flask-WTF reads WTForms' translations from their file for the first form of every request:
found, read and parsed each time, about a millisecond, and every post builds a form. Each
request gets a stand-in instead (``request.wtforms_translations``, where Flask-WTF looks
first) that looks its language up in a cache kept by the process, when a form asks.
"""

from __future__ import annotations

from babel import support
from flask import Flask, request
from flask_babel import get_locale
from wtforms.i18n import messages_path

_loaded: dict[str, support.Translations] = {}


def translations() -> support.Translations:
    """WTForms' messages in the current request's language (loaded on first use)."""
    locale = str(get_locale())
    found = _loaded.get(locale)
    if found is None:
        found = support.Translations.load(messages_path(), [locale], domain="wtforms")
        _loaded[locale] = found
    return found


class _RequestTranslations:
    """What Flask-WTF calls for a message: the cached translations of the request's language."""

    def ugettext(self, string: str) -> str:
        return translations().ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return translations().ungettext(singular, plural, n)


def _attach() -> None:
    request.wtforms_translations = _RequestTranslations()


def init_app(app: Flask) -> None:
    """Give every request the stand-in (nothing is read until a form needs a message)."""
    app.before_request(_attach)
