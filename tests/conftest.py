"""Fixtures: an app per test on a database migrated once per run (SQLite or PostgreSQL).

Set ``CONSULT_TEST_DATABASE_URL`` to run the suite on PostgreSQL; by default it runs on a
SQLite file in a temporary folder.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import make_url, text

from consult import clock, create_app, db
from consult.analysis import jobs, placement, queue, services
from consult.extensions import limiter
from consult.models import ModerationMode, Role

from . import compiled, factories
from .analysis_seed import reuse_engine_results, seed_round

FIXED_NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
CSRF_INPUT = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
# Files that take a minute or more: started first, so that under pytest-xdist (one file per
# worker at a time, see the Makefile) no worker is left with one of them at the end.
SLOW_FILES = ("test_imports.py", "test_staff_journey.py", "test_analysis_reliability.py")


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the database (the PostgreSQL pass: the others "
        "do not depend on which database runs)",
    )


def pytest_collection_modifyitems(config, items):
    """Start the slow files first; with --database-tests-only, leave out the tests that
    never touch the database."""
    if config.getoption("--database-tests-only"):
        uses, others = [], []
        for item in items:
            (uses if "database_url" in getattr(item, "fixturenames", ()) else others).append(item)
        config.hook.pytest_deselected(items=others)
        items[:] = uses
    items.sort(key=lambda item: item.path.name not in SLOW_FILES)


def _database_of_this_worker(url: str) -> str:
    """Return the PostgreSQL database this test process uses, created if it is missing.

    Under pytest-xdist each worker has a database of its own, named after the configured
    one and the worker (``test_gw0``); a SQLite file is already per worker (tmp_path).
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = make_url(url)
    if not worker or base.get_backend_name() != "postgresql":
        return url
    own = base.set(database=f"{base.database}_{worker}")
    engine = db.make_engine(base.render_as_string(hide_password=False))
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own.database}
            ).first()
            if exists is None:
                connection.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("CONSULT_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    try:
        url = _database_of_this_worker(url)
    except Exception as error:  # noqa: BLE001
        pytest.exit(f"Test database {url} is not reachable: {error}", returncode=3)
    engine = db.make_engine(url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    except Exception as error:  # noqa: BLE001
        pytest.exit(f"Test database {url} is not reachable: {error}", returncode=3)
    finally:
        engine.dispose()
    db.upgrade(url)
    return url


def make_config(database_url: str, **overrides) -> dict:
    """Return the configuration the tests run with."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        "SERVER_NAME": "localhost",
        # The worker loop's retention pass: off unless a test turns it on (it would prune
        # the mail log file, which tests leave at instance/mail.log unless they move it).
        "RETENTION_INTERVAL": 0,
        # Placing passes start at once, so tests that wait for one do not wait 2 s more.
        "ANALYSIS_PLACING_DELAY_SECONDS": 0,
    }
    config.update(overrides)
    return config


def empty_tables(engine) -> None:
    """Delete every row, keeping the schema (faster than migrating again).

    On PostgreSQL the ids start again from 1 as on a new database. DELETE, not TRUNCATE:
    truncating the 49 tables took 160-250 ms a test (each gets new files), deleting the few
    rows a test leaves about 20.
    """
    with engine.begin() as connection:
        for table in reversed(db.Base.metadata.sorted_tables):
            connection.execute(table.delete())
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    "SELECT setval(oid, 1, false) FROM pg_class "
                    "WHERE relkind = 'S' AND relnamespace = 'public'::regnamespace"
                )
            )


class CsrfClient(FlaskClient):
    """A test client that sends the session's CSRF token with every form post."""

    def csrf_token(self) -> str:
        # A signed-in page holds the log-out form; a visitor's pages hold no form but the
        # login page's.
        page = self.get("/").get_data(as_text=True)
        found = CSRF_INPUT.search(page)
        if found is None:
            found = CSRF_INPUT.search(self.get("/konto/logga-in").get_data(as_text=True))
        return found.group(1)

    def post(self, *args, csrf: bool = True, **kwargs):
        if csrf and "json" not in kwargs:
            data = dict(kwargs.pop("data", None) or {})
            if "csrf_token" not in data:  # (a page that gives one may be down in the test)
                data["csrf_token"] = self.csrf_token()
            kwargs["data"] = data
        return super().post(*args, **kwargs)


@pytest.fixture
def now(monkeypatch):
    """Freeze the app's clock; returns a setter for moving it."""
    current = {"value": FIXED_NOW}
    monkeypatch.setattr(clock, "now", lambda: current["value"])

    class Clock:
        value = FIXED_NOW

        def set(self, value: datetime) -> None:
            current["value"] = value

        def get(self) -> datetime:
            return current["value"]

    return Clock()


@pytest.fixture
def app(database_url, now):
    app = create_app(make_config(database_url))
    app.test_client_class = CsrfClient
    compiled.share_with(app)
    yield app
    # Background work (placing new comments) ends before the next test's rows arrive.
    queue.shutdown(app)
    placement.forget_models()
    engine = app.extensions["db_engine"]
    empty_tables(engine)
    engine.dispose()
    if app.config["RATELIMIT_ENABLED"]:
        with app.app_context():
            limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.get_session()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def open_round(session, now):
    """A consultation whose round opened a week ago and closes in a week."""
    return factories.make_round(
        session, opens_at=now.get() - timedelta(days=7), closes_at=now.get() + timedelta(days=7)
    )


class Auth:
    def __init__(self, client, session):
        self.client = client
        self.session = session

    def login(self, user=None, password=factories.PASSWORD, **kwargs):
        if user is None:
            user = factories.make_user(self.session, **kwargs)
        response = self.client.post(
            "/konto/logga-in", data={"email": user.email, "password": password}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user


@pytest.fixture
def auth(client, session):
    return Auth(client, session)


@pytest.fixture
def placed(app, session):
    """Return a function that waits until the app's background has placed the comments
    handed to it so far (new comments join an analysis's themes in the background)."""

    def wait() -> None:
        queue.round_tasks_done(app)
        session.commit()  # end the test's transaction, to read what the background wrote

    return wait


@pytest.fixture
def analysed(session, open_round, monkeypatch):
    """The small seeded round of tests/analysis_seed.py, analysed (the engine's answer reused)."""
    reuse_engine_results(monkeypatch)
    seeded = seed_round(session, open_round)
    job = services.start(
        session, seeded.staff, open_round.id, now=clock.now(), stale_after=timedelta(hours=1)
    )
    jobs.run(session, job.id)
    session.expire_all()
    return seeded


@pytest.fixture
def admin(session):
    """An administrator."""
    return factories.make_user(session, role=Role.ADMIN, name="Ada Admin")


@pytest.fixture
def scheduled_round(session, now):
    """A round that opens tomorrow and closes in a month."""
    return factories.make_round(
        session, opens_at=now.get() + timedelta(days=1), closes_at=now.get() + timedelta(days=30)
    )


@pytest.fixture
def pre_round(session, now):
    """A pre-moderated round that opened a week ago and closes in a week."""
    return factories.make_round(
        session,
        opens_at=now.get() - timedelta(days=7),
        closes_at=now.get() + timedelta(days=7),
        moderation=ModerationMode.PRE,
    )
