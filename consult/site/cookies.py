"""The cookies the site sets: every one is necessary, so no consent banner is shown.

The privacy page lists exactly these; tests/test_site_cookies.py walks the main paths and
fails when a response sets a cookie that is not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str


def documented() -> list[Cookie]:
    """The cookies this installation may set, with their purpose and how long they last."""
    config = current_app.config
    remember_days = _remember_days(config.get("REMEMBER_COOKIE_DURATION"))
    return [
        Cookie(
            config["SESSION_COOKIE_NAME"],
            str(
                _l(
                    "Set only when you log in, choose a language or open a form (reading sets "
                    "no cookie): keeps you logged in during your visit, protects the forms "
                    "against forged requests (CSRF) and remembers the language you chose."
                )
            ),
            str(_l("Until you close the browser")),
        ),
        Cookie(
            config.get("REMEMBER_COOKIE_NAME", "remember_token"),
            str(
                _l(
                    "Set only when you choose “Keep me logged in”: "
                    "keeps you logged in between visits."
                )
            ),
            str(_l("%(days)s days, or until you log out", days=remember_days)),
        ),
    ]


def names() -> set[str]:
    """The names of the documented cookies."""
    return {cookie.name for cookie in documented()}


def _remember_days(duration) -> int:
    # Flask-Login keeps the remember-me cookie for 365 days unless configured otherwise.
    if duration is None:
        return 365
    if hasattr(duration, "days"):
        return duration.days
    return int(duration) // 86400
