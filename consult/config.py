"""Configuration defaults, read from the environment.

Precedence: these defaults < ``instance/config.py`` < the ``test_config`` dict given to
``create_app``.
"""

import os
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def defaults(instance_path: str) -> dict:
    """Return the configuration defaults for an app whose instance folder is ``instance_path``."""
    sqlite_path = Path(instance_path) / "consult.sqlite3"
    return {
        "SECRET_KEY": os.environ.get("CONSULT_SECRET_KEY", ""),
        "DATABASE_URL": os.environ.get("CONSULT_DATABASE_URL", f"sqlite:///{sqlite_path}"),
        # Rate-limit storage: memory by default, Redis when configured (several app servers).
        "RATELIMIT_STORAGE_URI": os.environ.get("CONSULT_REDIS_URL", "memory://"),
        "RATELIMIT_ENABLED": _flag("CONSULT_RATELIMIT", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SESSION_COOKIE_SECURE": _flag("CONSULT_SECURE_COOKIES", True),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _flag("CONSULT_SECURE_COOKIES", True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "sv",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Stockholm",
        "LANGUAGES": ("sv", "en"),
        "PASSWORD_HASH_METHOD": "scrypt",
        # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
        "PROXY_HOPS": int(os.environ.get("CONSULT_PROXY_HOPS", "0")),
        "LOGIN_RATE_LIMIT": "10 per minute",
        "REGISTER_RATE_LIMIT": "10 per hour",
        "COMMENT_RATE_LIMIT": "20 per minute",
        "COMMENT_MAX_CHARS": int(os.environ.get("CONSULT_COMMENT_MAX_CHARS", "5000")),
        "COMMENTS_PER_PAGE": 50,
        "API_MAX_PER_PAGE": 200,
    }
