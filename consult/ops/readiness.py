"""Readiness: can this app server take traffic? Database, Redis and migrations.

- ``database``: a ``SELECT 1`` answers;
- ``redis``: a ``PING`` answers within a second (only when ``CONSULT_REDIS_URL`` is set);
- ``migrations``: the database's Alembic revision is the head of the migration scripts,
  read once when the app starts (an app server started before ``flask db upgrade`` finished,
  or rolled back to older code, is not ready).

Each check gives ``"ok"`` or a short word (``"unreachable"``, ``"behind"``), never an
address, a password or an error message, so the answer may be shown publicly.
"""

from __future__ import annotations

import logging
from functools import cache

from flask import Flask
from sqlalchemy import text

from .. import db

log = logging.getLogger(__name__)
HEAD_KEY = "ops_migration_heads"


@cache
def script_heads() -> frozenset[str]:
    """Return the head revision(s) of the project's migration scripts (read once a process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(db.alembic_config("")).get_heads())


def init_app(app: Flask) -> None:
    """Read the migration scripts' head once, when the app starts."""
    app.extensions[HEAD_KEY] = script_heads()


def check(app: Flask) -> dict[str, str]:
    """Return each check's result (``"ok"`` when it passed)."""
    checks = {"database": "ok", "migrations": "ok"}
    try:
        with db.get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["migrations"] = _migrations(connection, app.extensions[HEAD_KEY])
    except Exception:  # noqa: BLE001 - any failure means not ready
        log.warning("Readiness: the database is unreachable", exc_info=True)
        checks["database"] = checks["migrations"] = "unreachable"
    if app.config.get("ANALYSIS_REDIS_URL"):
        checks["redis"] = _redis(app.config["ANALYSIS_REDIS_URL"])
    return checks


def _migrations(connection, heads: frozenset[str]) -> str:
    """Compare the database's Alembic revision with the scripts' head (a plain query: no
    migration context, which would log a line at every check)."""
    try:
        query = text("SELECT version_num FROM alembic_version")
        current = frozenset(connection.execute(query).scalars())
    except Exception:  # noqa: BLE001 - no table: never migrated
        return "missing"
    return "ok" if current == heads else "behind"


def _redis(url: str) -> str:
    from redis import Redis

    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except Exception:  # noqa: BLE001 - any failure means not ready
        log.warning("Readiness: Redis is unreachable")
        return "unreachable"
    finally:
        client.close()
    return "ok"
