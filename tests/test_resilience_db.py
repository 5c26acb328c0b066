"""A database that drops the connection or stays locked answers 503 (JSON under /api/), says
the text was not lost and gives it back, writes nothing half-way, and the next request works."""

from __future__ import annotations

import gc
import sqlite3
import time
import warnings

import pytest
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from consult import create_app, db
from consult.models import Comment, Follow

from . import factories
from .conftest import CsrfClient, make_config

BODY = "Min synpunkt om  kollektivtrafiken,\nsom inte får gå förlorad."


def comment_url(round_, anchor: str) -> str:
    slug, number = round_.consultation.slug, round_.number
    return f"/samrad/{slug}/omgang/{number}/synpunkter/{anchor}"


def send_comment(client, round_, anchor: str, **kwargs):
    data = {
        f"{anchor}-kind": "comment",
        f"{anchor}-body": BODY,
        f"{anchor}-stance": "",
        f"{anchor}-submission_key": "k-resilience",
    }
    return client.post(comment_url(round_, anchor), data=data, **kwargs)


def stored_comments(session) -> tuple[int, int]:
    """How many comments and follows (a first comment follows its consultation) there are."""
    session.commit()  # a fresh snapshot: what the requests committed
    return (
        session.scalar(select(func.count()).select_from(Comment)),
        session.scalar(select(func.count()).select_from(Follow)),
    )


def assert_unavailable_page(response, *, english: bool = True) -> str:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    if english:
        assert "The service is briefly unavailable." in page
        assert "your text was not lost: go back and send it again" in page
    return page


def assert_text_given_back(page: str) -> None:
    # Escaped once in a read-only textarea, line breaks and double spaces intact.
    assert "Min synpunkt om  kollektivtrafiken,\nsom inte får gå förlorad." in page
    assert "<textarea" in page and "readonly" in page


@pytest.fixture(autouse=True)
def collect_ended_connections():
    """Collect what the ended connections leave behind before the next test starts.

    A connection whose server process a test ended is invalidated by the pool, but psycopg's
    object for it may wait in a reference cycle and, collected later during some other test,
    warn that it "was deleted while still open". It is collected here, where that is expected.
    """
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def on_sqlite(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")


@pytest.fixture
def on_postgresql(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set CONSULT_TEST_DATABASE_URL)")


@pytest.fixture
def participant(session):
    user = factories.make_user(session)
    user.locale = "en"
    session.commit()
    return user


def log_in(client, user) -> None:
    response = client.post(
        "/konto/logga-in", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302


# SQLite: a writer that waited its busy timeout out


def test_a_comment_sent_while_sqlite_stays_locked_is_answered_503_and_given_back(
    on_sqlite, database_url, session, open_round, participant, monkeypatch
):
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 100)
    app = create_app(make_config(database_url))
    app.test_client_class = CsrfClient
    client = app.test_client()
    log_in(client, participant)
    anchor = open_round.document.paragraphs[0].anchor
    path = database_url.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock for longer
    try:
        response = send_comment(client, open_round, anchor)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    page = assert_unavailable_page(response)
    assert_text_given_back(page)
    assert stored_comments(session) == (0, 0)
    # Once the lock is free, sending the same again works.
    assert send_comment(client, open_round, anchor).status_code == 302
    assert stored_comments(session) == (1, 1)
    app.extensions["db_engine"].dispose()


@pytest.fixture
def probe_app(database_url):
    app = create_app(make_config(database_url))

    @app.get("/api/v1/_probe")
    def api_probe():
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    @app.get("/_probe")
    def page_probe():
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    @app.get("/_mistake")
    def mistake():
        raise IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))

    @app.get("/_wrong_table")
    def wrong_table():
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    yield app
    app.extensions["db_engine"].dispose()


def test_the_api_answers_json_503_with_retry_after(probe_app):
    response = probe_app.test_client().get("/api/v1/_probe")
    assert response.status_code == 503
    assert response.json == {"error": 503}
    assert response.headers["Retry-After"] == "5"


def test_the_503_page_is_in_swedish_by_default(probe_app):
    response = probe_app.test_client().get("/_probe")
    page = assert_unavailable_page(response, english=False)
    assert "Tjänsten är tillfälligt otillgänglig." in page
    assert "din text har inte gått förlorad" in page


def test_a_mistake_in_a_statement_is_not_called_an_outage(probe_app):
    client = probe_app.test_client()
    with pytest.raises(IntegrityError):  # propagated in tests; a logged 500 in production
        client.get("/_mistake")
    with pytest.raises(OperationalError):
        client.get("/_wrong_table")
    # Outside tests: the usual 500 page, and the error in the log.
    probe_app.testing = False
    for path in ("/_mistake", "/_wrong_table", "/api/v1/_probe"):
        assert client.get(path).status_code == (503 if "probe" in path else 500)


# PostgreSQL: the session's server process ends in the middle of a request


def terminate_backend_at(engine, admin_url: str, statement_start: str, nth: int = 1):
    """End the server process of the connection that is about to run the ``nth`` statement
    starting with ``statement_start`` (as a restart or a failover would), from another
    connection, and wait until it is gone. Returns the pids ended, the other connection's
    engine and the listener."""
    ended: list[int] = []
    seen = {"count": 0}
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    @event.listens_for(engine, "before_cursor_execute")
    def cut(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(statement_start) or ended:
            return
        seen["count"] += 1
        if seen["count"] < nth:
            return
        pid = conn.connection.dbapi_connection.info.backend_pid
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(100):
                gone = not other.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                )
                if gone:
                    break
                time.sleep(0.05)
        ended.append(pid)

    return ended, admin, cut


def test_a_connection_ended_between_two_inserts_writes_nothing_and_answers_503(
    on_postgresql, database_url, session, open_round, participant
):
    app = create_app(make_config(database_url))
    app.test_client_class = CsrfClient
    client = app.test_client()
    log_in(client, participant)
    anchor = open_round.document.paragraphs[0].anchor
    engine = app.extensions["db_engine"]
    # The follow of the consultation is inserted; the server goes away before the comment is.
    ended, admin, cut = terminate_backend_at(engine, database_url, "INSERT INTO COMMENT ")
    try:
        response = send_comment(client, open_round, anchor)
    finally:
        event.remove(engine, "before_cursor_execute", cut)
    assert ended, "the connection was not ended"
    page = assert_unavailable_page(response)
    assert_text_given_back(page)
    assert stored_comments(session) == (0, 0)
    # The pool replaced the lost connection: the next request works, and so does sending again.
    assert client.get("/").status_code == 200
    assert send_comment(client, open_round, anchor).status_code == 302
    assert stored_comments(session) == (1, 1)
    admin.dispose()
    engine.dispose()


def test_the_open_data_api_answers_json_503_when_its_connection_ends(
    on_postgresql, database_url, open_round
):
    app = create_app(make_config(database_url))
    client = app.test_client()
    engine = app.extensions["db_engine"]
    url = f"/api/v1/samrad/{open_round.consultation.slug}/omgang/{open_round.number}/synpunkter"
    ended, admin, cut = terminate_backend_at(engine, database_url, "SELECT")
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", cut)
    assert ended
    assert (response.status_code, response.json) == (503, {"error": 503})
    assert response.headers["Retry-After"] == "5"
    assert client.get(url).status_code == 200
    admin.dispose()
    engine.dispose()


def test_with_the_database_server_gone_pages_answer_503_and_keep_the_text(database_url):
    # A PostgreSQL server that does not answer at all (stopped, or its machine down).
    gone = "postgresql+psycopg://postgres@127.0.0.1:6391/consult?connect_timeout=2"
    app = create_app(make_config(database_url, DATABASE_URL=gone, WTF_CSRF_ENABLED=False))
    client = app.test_client()

    page = assert_unavailable_page(client.get("/"), english=False)
    assert "Tjänsten är tillfälligt otillgänglig" in page
    response = client.post(
        "/samrad/strategi/omgang/1/synpunkter/p1", data={"p1-body": BODY, "p1-kind": "comment"}
    )
    assert_text_given_back(assert_unavailable_page(response, english=False))
    api = client.get("/api/v1/samrad/strategi/omgang/1/synpunkter")
    assert (api.status_code, api.json) == (503, {"error": 503})
    app.extensions["db_engine"].dispose()


def test_a_signed_in_person_gets_the_503_page_when_the_server_goes_away(
    database_url, session, open_round, participant
):
    from sqlalchemy.orm import sessionmaker

    app = create_app(make_config(database_url))
    app.test_client_class = CsrfClient
    client = app.test_client()
    log_in(client, participant)
    anchor = open_round.document.paragraphs[0].anchor
    token = client.csrf_token()
    working = app.extensions["db_engine"]
    gone = db.make_engine("postgresql+psycopg://postgres@127.0.0.1:6391/consult")
    app.extensions["db_sessionmaker"] = sessionmaker(bind=gone, expire_on_commit=False)

    # The page cannot even read who is signed in: it is shown as to a visitor.
    page = assert_unavailable_page(client.get("/"), english=False)
    assert "Tjänsten är tillfälligt otillgänglig" in page
    data = {f"{anchor}-body": BODY, f"{anchor}-kind": "comment", "csrf_token": token}
    response = client.post(comment_url(open_round, anchor), data=data)
    assert_text_given_back(assert_unavailable_page(response, english=False))
    assert stored_comments(session) == (0, 0)
    gone.dispose()
    working.dispose()


def test_pooled_connections_the_server_ended_are_replaced_unnoticed(
    on_postgresql, database_url, open_round
):
    app = create_app(make_config(database_url))
    client = app.test_client()
    engine = app.extensions["db_engine"]
    pids: list[int] = []
    event.listen(engine, "connect", lambda dbapi, _record: pids.append(dbapi.info.backend_pid))
    assert client.get("/").status_code == 200
    assert pids
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as other:  # as a PostgreSQL restart between two requests would
        for pid in pids:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):
            alive = other.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": pids},
            )
            if not alive:
                break
            time.sleep(0.05)
    ended = list(pids)

    assert client.get("/").status_code == 200
    assert set(pids) - set(ended)  # a new connection took the ended one's place
    admin.dispose()
    engine.dispose()
