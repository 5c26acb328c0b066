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
        # No X-RateLimit-* headers on every limited answer: each costs two more trips to
        # Redis (a post in a rush pays for them); a 429 says when to retry (error_pages).
        "RATELIMIT_HEADERS_ENABLED": False,
        # When Redis cannot be reached, each process counts rate limits in its own memory
        # (and logs a warning) until Redis answers again, instead of failing every request.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": _flag("CONSULT_RATELIMIT_FALLBACK", True),
        # Give up on an unreachable Redis quickly (seconds), so no request waits for it long.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        # Seconds a page answering 503 (database or job queue briefly unavailable) asks
        # clients to wait before trying again (the Retry-After header).
        "RETRY_AFTER_SECONDS": int(os.environ.get("CONSULT_RETRY_AFTER", "5")),
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
        # Logs: "text" (development, tests) or "json" (one object a line, for production).
        "LOG_FORMAT": os.environ.get("CONSULT_LOG_FORMAT", "text"),
        # Bearer token Prometheus sends to /metrics; empty: /metrics answers 404.
        "METRICS_TOKEN": os.environ.get("CONSULT_METRICS_TOKEN", ""),
        "LOGIN_RATE_LIMIT": "10 per minute",
        "REGISTER_RATE_LIMIT": "10 per hour",
        # Account recovery and settings: each POST has its own limit (per address or account).
        "RESEND_CONFIRMATION_RATE_LIMIT": "3 per hour",
        "FORGOT_PASSWORD_RATE_LIMIT": "5 per hour",
        "RESET_PASSWORD_RATE_LIMIT": "10 per hour",
        "CHANGE_PASSWORD_RATE_LIMIT": "10 per hour",
        "CHANGE_EMAIL_RATE_LIMIT": "5 per hour",
        "SIGN_OUT_EVERYWHERE_RATE_LIMIT": "10 per hour",
        # Closing one's account: each try checks the password (per account).
        "CLOSE_ACCOUNT_RATE_LIMIT": "5 per hour",
        # How long the links sent by e-mail work, in seconds.
        "CONFIRM_LINK_MAX_AGE": 7 * 24 * 60 * 60,
        "RESET_LINK_MAX_AGE": 60 * 60,
        "NEW_EMAIL_LINK_MAX_AGE": 24 * 60 * 60,
        "COMMENT_RATE_LIMIT": "20 per minute",
        # Downloads of "my data", per account (each one reads everything the person wrote).
        "MY_DATA_RATE_LIMIT": "10 per hour",
        "COMMENT_MAX_CHARS": int(os.environ.get("CONSULT_COMMENT_MAX_CHARS", "5000")),
        "COMMENTS_PER_PAGE": 50,
        # The public comment search (/sok): results per page, and searches per visitor.
        "SEARCH_PER_PAGE": 20,
        "SEARCH_RATE_LIMIT": os.environ.get("CONSULT_SEARCH_RATE_LIMIT", "60 per minute"),
        "API_MAX_PER_PAGE": 200,
        # Cached figures (draft page counts, theme board): Redis shared by the app servers when
        # set, else a bounded LRU in each process; entries also expire after the TTL.
        "CACHE_REDIS_URL": os.environ.get("CONSULT_REDIS_URL", ""),
        "CACHE_TTL_SECONDS": int(os.environ.get("CONSULT_CACHE_TTL_SECONDS", "300")),
        "CACHE_MAX_ENTRIES": int(os.environ.get("CONSULT_CACHE_MAX_ENTRIES", "1000")),
        # Pages of a round as visitors (not signed in) see them are kept this long at most
        # (seconds; 0: never): comments and edits of the draft show at once, other changes
        # (working groups, a strategy's publication) within this time.
        "PAGE_CACHE_SECONDS": int(os.environ.get("CONSULT_PAGE_CACHE_SECONDS", "30")),
        # Such a page without a form (no CSRF token, no cookie) may be kept this long by the
        # proxy in front (nginx's micro-cache, deploy/nginx/consult.conf; 0: never).
        "PROXY_CACHE_SECONDS": int(os.environ.get("CONSULT_PROXY_CACHE_SECONDS", "1")),
        "CACHE_KEY_PREFIX": "consult:figures:",
        # Analysis jobs: an RQ queue on this Redis when set, else a thread pool in the app.
        "ANALYSIS_REDIS_URL": os.environ.get("CONSULT_REDIS_URL", ""),
        "ANALYSIS_QUEUE": "consult-analysis",
        "ANALYSIS_THREADS": 1,
        "ANALYSIS_JOB_TIMEOUT": 60 * 60,
        # A job waiting this long for a worker is given up (its worker is gone).
        "ANALYSIS_STALE_MINUTES": int(os.environ.get("CONSULT_ANALYSIS_STALE_MINUTES", "60")),
        # A running job writes a heartbeat this often; one silent for DEAD_SECONDS has died
        # (its worker was killed, ran out of memory, the machine restarted).
        "ANALYSIS_HEARTBEAT_SECONDS": float(
            os.environ.get("CONSULT_ANALYSIS_HEARTBEAT_SECONDS", "15")
        ),
        "ANALYSIS_DEAD_SECONDS": float(os.environ.get("CONSULT_ANALYSIS_DEAD_SECONDS", "120")),
        # Load the theme engine's language data when the background runner starts (not in a
        # request), so the first new comment of an analysed round is placed without delay.
        "ANALYSIS_WARM": _flag("CONSULT_ANALYSIS_WARM", True),
        "ANALYSIS_COMMENTS_PER_PAGE": 25,
        # A placing pass waits this long before it reads the round's new comments: those
        # posted meanwhile join it, and in a deadline rush it runs after the wave of posts,
        # not on the cores answering them (0: at once).
        "ANALYSIS_PLACING_DELAY_SECONDS": float(
            os.environ.get("CONSULT_PLACING_DELAY_SECONDS", "2")
        ),
        # Notifications: links in e-mails start with BASE_URL; mail goes through SMTP when
        # SMTP_HOST is set, else it is appended to MAIL_LOG (default instance/mail.log).
        "BASE_URL": os.environ.get("CONSULT_BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_FROM": os.environ.get("CONSULT_MAIL_FROM", "Consult <noreply@consult.invalid>"),
        "MAIL_LOG": os.environ.get("CONSULT_MAIL_LOG", str(Path(instance_path) / "mail.log")),
        "SMTP_HOST": os.environ.get("CONSULT_SMTP_HOST", ""),
        "SMTP_PORT": int(os.environ.get("CONSULT_SMTP_PORT", "587")),
        "SMTP_USER": os.environ.get("CONSULT_SMTP_USER", ""),
        "SMTP_PASSWORD": os.environ.get("CONSULT_SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _flag("CONSULT_SMTP_STARTTLS", True),
        "SMTP_TIMEOUT": 30,
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("CONSULT_MAIL_MAX_ATTEMPTS", "5")),
        # The in-process worker (announcements and sending) of each app server process.
        "MAIL_WORKER": _flag("CONSULT_MAIL_WORKER", True),
        "MAIL_WORKER_INTERVAL": int(os.environ.get("CONSULT_MAIL_WORKER_INTERVAL", "30")),
        # The same worker applies the retention periods this often (seconds; 0: never).
        "RETENTION_INTERVAL": int(os.environ.get("CONSULT_RETENTION_INTERVAL", "3600")),
        # The largest file a follow-up import (actions, milestones, indicator values) takes.
        "FOLLOWUP_IMPORT_MAX_BYTES": int(
            os.environ.get("CONSULT_FOLLOWUP_IMPORT_MAX_BYTES", str(5 * 1024 * 1024))
        ),
    }
