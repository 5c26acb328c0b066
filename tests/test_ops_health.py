"""Liveness (``/healthz``) and readiness (``/readyz``: database, Redis, migrations at head)."""

from __future__ import annotations

from sqlalchemy import text

from consult.ops import readiness

from . import local_redis

REDIS_URL = "redis://127.0.0.1:6379/5"
# Nothing listens on port 1 of this machine.
UNREACHABLE_REDIS = "redis://:a-secret-password@127.0.0.1:1/2"


def test_healthz_answers_alive_without_asking_the_database(app, client, monkeypatch):
    def no_database():
        raise AssertionError("the liveness check asked the database")

    monkeypatch.setattr("consult.db.get_session", no_database)
    monkeypatch.setattr("consult.db.get_engine", no_database)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "alive"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok"},
    }


def test_readyz_is_503_when_the_database_is_at_an_older_migration(app, client):
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert {head} == readiness.script_heads()
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0020'"))
        response = client.get("/readyz")
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready" and body["failed"] == ["migrations"]
    assert body["checks"] == {"database": "ok", "migrations": "behind"}
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_without_leaking_the_address_when_redis_is_unreachable(app, client):
    app.config["ANALYSIS_REDIS_URL"] = UNREACHABLE_REDIS
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["failed"] == ["redis"]
    assert body["checks"]["redis"] == "unreachable"
    text_ = response.get_data(as_text=True)
    assert "127.0.0.1" not in text_ and "a-secret-password" not in text_
    # Still alive: the process answers.
    assert client.get("/healthz").status_code == 200


def test_readyz_checks_redis_when_one_is_configured(app, client):
    local_redis.connect_or_skip(REDIS_URL)
    app.config["ANALYSIS_REDIS_URL"] = REDIS_URL
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


def test_readyz_says_migrations_are_missing_on_a_database_never_migrated(tmp_path):
    from consult import create_app

    from .conftest import make_config

    app = create_app(make_config(f"sqlite:///{tmp_path}/empty.sqlite3"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "missing"}
    app.extensions["db_engine"].dispose()


def test_a_new_worker_reads_a_page_before_its_first_request_and_never_fails_for_it(
    app, open_round, caplog, monkeypatch
):
    from consult.ops import warm

    read = []
    app.after_request(lambda response: read.append((response.status_code, response)) or response)
    warm.warm(app)
    assert [code for code, _ in read] == [200]  # the list of consultations, read
    # Every template is compiled: a rush's first post renders nothing new.
    compiled = {name for _, name in app.jinja_env.cache}
    assert {"consultations/_posted.html", "consultations/_unsent.html"} <= compiled
    assert len(compiled) >= len(app.jinja_env.list_templates(extensions=["html"]))

    def broken(*_args):
        raise RuntimeError("no database")

    monkeypatch.setattr(warm, "configure_mappers", broken)
    warm.warm(app)  # logged, not raised: the first request does the same work instead
    assert "Could not prepare the worker" in caplog.text


def test_a_new_worker_opens_its_redis_connection_before_its_first_post(app):
    """The first comment a fresh worker takes hands a placing pass to RQ: that request must
    not be the one to load RQ and connect (tens of milliseconds, in every worker of a rush)."""
    from consult.analysis import queue
    from consult.ops import warm

    local_redis.connect_or_skip(REDIS_URL)
    app.config["ANALYSIS_REDIS_URL"] = REDIS_URL
    warm.warm(app)
    connection = app.extensions.get(queue.REDIS_KEY)
    assert connection is not None, "warm left the Redis connection to the first request"
    assert connection.connection_pool._created_connections == 1  # connected, not only made

    app.config["ANALYSIS_REDIS_URL"] = UNREACHABLE_REDIS
    app.extensions.pop(queue.REDIS_KEY)
    warm.warm(app)  # an unreachable Redis is logged; the worker still starts
