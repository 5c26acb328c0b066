"""Database engine and session per app, the declarative base, and the ``flask db`` commands."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask.cli import with_appcontext
from sqlalchemy import MetaData, create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base for every model, with a constraint naming convention for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# How long a SQLite writer waits for another one to finish before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 15_000
# How long a request waits for a PostgreSQL server that does not answer (seconds).
PG_CONNECT_TIMEOUT_S = 5
# Requests with these methods only read (a few write a little, after reading nothing).
READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _enable_sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the driver, begin transactions (see _begin_sqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def expect_writes() -> None:
    """Say that the current app context's transactions will write (see ``_begin_sqlite``).

    Background work that writes (the notification worker, jobs) calls this before its first
    query; state-changing requests (POST and the like) need not: they are writers already.
    """
    g.db_writes = True


def writes(view):
    """Mark a view that writes although it answers GET (e.g. opening a notification marks it
    read): its transactions begin IMMEDIATE like those of a POST."""
    view.writes_database = True
    return view


def reads(view):
    """Mark a view that only reads although it answers POST (logging in checks a password):
    its transactions begin deferred, so it never holds writers up while it works."""
    view.writes_database = False
    return view


def writes_briefly(view):
    """Mark a form view that reads first (the user, the page's objects), writes in one short
    ``writing`` block and then renders its answer: its transactions begin deferred but for
    that block's, so on SQLite it holds the write lock only while it writes."""
    view.writes_database = False
    return view


@contextmanager
def writing(session: Session) -> Iterator[None]:
    """Run the block as the writing part of the request (in a ``writes_briefly`` view) or of
    a background job's ``reading`` block.

    On SQLite the reading transaction before it ends (what it loaded stays loaded: re-read
    under a lock what must be checked) and the block's first statement begins the writer's
    (BEGIN IMMEDIATE, waiting for the write lock); on PostgreSQL, whose transactions read
    each statement afresh and lock rows only when asked, the transaction goes on. An error
    rolls it back before it leaves the block, so no lock is held while the answer is
    rendered. After the block, the request's transactions read again.
    """
    with _transactions(session, writes=True):
        yield


@contextmanager
def reading(session: Session) -> Iterator[None]:
    """Run the block's transactions as readers in background work whose transactions write
    (``expect_writes``): on SQLite they begin deferred and hold no lock while the job reads
    and computes; its writes go in ``writing`` blocks inside, which hold the lock for the
    write alone. (A job's transaction that read first could not wait for the lock later.)"""
    with _transactions(session, writes=False):
        yield


@contextmanager
def _transactions(session: Session, writes: bool) -> Iterator[None]:
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        session.commit()
    previous = g.get("db_writes")
    g.db_writes = writes
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    finally:
        if not writes and session.in_transaction():
            session.commit()  # the block's reading ends with it (nothing to write is in it)
        if previous is None:
            g.pop("db_writes", None)
        else:
            g.db_writes = previous


def only_reads() -> None:
    """Say that the rest of the current request only reads, whatever its method (an error
    page after a failed write: on SQLite it must not wait for the write lock again)."""
    g.db_only_reads = True


def _writes_expected() -> bool:
    if has_app_context() and g.get("db_only_reads"):
        return False
    if has_app_context() and g.get("db_writes"):
        return True
    if not has_request_context():
        return False
    view = current_app.view_functions.get(request.endpoint)
    marked = getattr(view, "writes_database", None)
    if marked is not None:
        return marked
    return request.method not in READING_METHODS


def _begin_sqlite(connection) -> None:
    # pysqlite would only begin at the first write, so a check read before it would not be
    # part of the writing transaction. Beginning here makes every unit of work one snapshot.
    #
    # A writer begins IMMEDIATE: it takes SQLite's write lock at once, waiting (busy_timeout)
    # while another writer holds it. A deferred transaction that reads first and writes later
    # cannot wait: if another writer committed since its snapshot was taken, SQLite refuses its
    # first write at once with "database is locked" (SQLITE_BUSY_SNAPSHOT in WAL mode).
    # Readers stay deferred, so pages are never held up by writers.
    if _writes_expected():
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and
    immediate write transactions (writers wait for each other instead of failing)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
    else:
        # A pooled connection the server dropped meanwhile (PostgreSQL restarted, an idle
        # connection ended) is noticed before use and replaced, so no request fails on it.
        # A server that does not answer at all is given up after a few seconds (libpq would
        # wait for the operating system's TCP timeout), unless the URL says otherwise.
        connect_args = {}
        if "connect_timeout" not in make_url(url).query:
            connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
        engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    return engine


def refresh_statistics(session: Session, *models) -> None:
    """Have PostgreSQL's planner re-read the tables of ``models`` after a bulk write.

    Until autovacuum gets to them (a minute at best, never where it is off), the planner
    would plan on the tables' old sizes: on a freshly analysed round of 40,000 comments a
    theme's page took minutes instead of a fraction of a second. SQLite plans without
    statistics: nothing to do there.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    tables = ", ".join(model.__table__.name for model in models)
    session.execute(text(f"ANALYZE {tables}"))
    session.commit()


def init_app(app: Flask) -> None:
    """Attach an engine and session factory to ``app`` and register the ``flask db`` commands."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)
    app.cli.add_command(db_cli)


def get_engine() -> Engine:
    """Return the current app's engine."""
    return current_app.extensions["db_engine"]


def get_session() -> Session:
    """Return the session of the current request or app context, opening it on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def alembic_config(url: str):
    """Return an Alembic config for the project's migrations, pointed at ``url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


@click.group("db")
def db_cli() -> None:
    """Database migrations."""


@db_cli.command("upgrade")
@with_appcontext
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@with_appcontext
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Revert migrations down to REVISION."""
    from alembic import command

    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("revision")
@with_appcontext
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    command.revision(
        alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=True
    )
