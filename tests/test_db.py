"""The embedded SQLite database under concurrent writers: they wait for each other, none fails."""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from consult import create_app, db
from consult.consultations import comments
from consult.consultations.services import Target
from consult.models import Comment, Round, User

from . import factories
from .conftest import make_config
from .statements import this_threads_statements

WRITERS = 6
WRITES_EACH = 8


@pytest.fixture
def sqlite_only(session):
    if session.bind.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has row locks")


def _post_comments(app, user_id: int, round_id: int, now, barrier: threading.Barrier) -> int:
    """Write WRITES_EACH comments as one user, each in a POST request's own session."""
    barrier.wait()
    written = 0
    for n in range(WRITES_EACH):
        with app.test_request_context("/", method="POST"):
            session = db.get_session()
            user = session.get(User, user_id)
            round_ = session.get(Round, round_id)
            paragraph = round_.document.paragraphs[n % 2]
            comments.create_comment(
                session,
                author=user,
                round_id=round_id,
                target=Target(paragraph.anchor, paragraph=paragraph),
                kind="comment",
                body=f"Synpunkt {n} från {user.display_name}.",
                submission_key=f"{user_id}-{n}",
                now=now,
                max_chars=5000,
            )
            written += 1
    return written


def test_sqlite_writers_in_requests_wait_for_each_other_instead_of_failing(
    app, session, sqlite_only, open_round, now
):
    users = [factories.make_user(session).id for _ in range(WRITERS)]
    barrier = threading.Barrier(WRITERS)
    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [
            pool.submit(_post_comments, app, user_id, open_round.id, now.get(), barrier)
            for user_id in users
        ]
        # Before writers began IMMEDIATE, several raised "database is locked" here.
        written = [future.result() for future in futures]
    assert written == [WRITES_EACH] * WRITERS
    session.rollback()
    assert session.scalar(select(func.count(Comment.id))) == WRITERS * WRITES_EACH


def test_sqlite_agreements_from_concurrent_requests_are_all_counted(
    app, session, sqlite_only, open_round, now
):
    author = factories.make_user(session)
    target = factories.make_comment(session, open_round, author)
    users = [factories.make_user(session).id for _ in range(WRITERS * 2)]
    barrier = threading.Barrier(len(users))

    def agree(user_id: int) -> bool:
        barrier.wait()
        with app.test_request_context("/", method="POST"):
            session_ = db.get_session()
            user = session_.get(User, user_id)
            return comments.toggle_agreement(
                session_, user=user, comment_id=target.id, now=now.get()
            )

    with ThreadPoolExecutor(len(users)) as pool:
        agreed = list(pool.map(agree, users))
    assert agreed == [True] * len(users)
    session.expire_all()
    assert session.get(Comment, target.id).agreement_count == len(users)


def test_sqlite_keeps_wal_foreign_keys_and_a_busy_timeout(app, session, sqlite_only):
    assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_reading_requests_do_not_take_the_write_lock(app, sqlite_only):
    # A page being read must not hold up writers: GET requests begin deferred transactions.
    with app.test_request_context("/", method="GET"):
        reader = db.get_session()
        reader.execute(text("SELECT 1"))
        with app.test_request_context("/", method="POST"):
            # A new app context: its own session and connection.
            with app.app_context():
                writer = db.get_session()
                writer.execute(text("SELECT 1"))
                writer.execute(text("UPDATE consultation SET title = title WHERE id = -1"))
                writer.commit()
        reader.rollback()


def test_concurrent_comment_posts_to_the_served_app_all_succeed(
    database_url, session, sqlite_only, open_round
):
    from werkzeug.serving import make_server

    users = [factories.make_user(session) for _ in range(WRITERS)]
    paragraph = open_round.document.paragraphs[0]
    slug = open_round.consultation.slug
    served = create_app(make_config(database_url, SERVER_NAME=None, WTF_CSRF_ENABLED=False))
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    barrier = threading.Barrier(WRITERS)

    def post_as(user) -> list[int]:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

        def post(path: str, fields: dict) -> int:
            data = urllib.parse.urlencode(fields).encode()
            try:
                with opener.open(base + path, data=data, timeout=60) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        post("/konto/logga-in", {"email": user.email, "password": factories.PASSWORD})
        barrier.wait()
        path = f"/samrad/{slug}/omgang/1/synpunkter/{paragraph.anchor}"
        key = paragraph.anchor
        return [
            post(path, {f"{key}-kind": "comment", f"{key}-body": f"Nr {n}"})
            for n in range(WRITES_EACH)
        ]

    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            statuses = [s for result in pool.map(post_as, users) for s in result]
    finally:
        server.shutdown()
        server.server_close()
        served.extensions["db_engine"].dispose()
    # Each post redirects to the thread, which answers 200 (urllib follows the redirect).
    assert statuses == [200] * (WRITERS * WRITES_EACH)
    session.rollback()
    assert session.scalar(select(func.count(Comment.id))) == WRITERS * WRITES_EACH


def test_sqlite_get_views_that_write_wait_for_other_writers(app, session, sqlite_only, now):
    # Opening a notification (GET) marks it read: it must wait like a POST, not fail.
    from consult.notifications import notify
    from consult.notifications import services as notifications

    people = [factories.make_user(session) for _ in range(WRITERS)]
    with app.test_request_context():
        made = [
            [notify(session, person, "round.closed", now=now.get(), round_title="R")]
            for person in people
            for _ in range(WRITES_EACH)
        ]
    session.commit()
    ids = [n.id for [n] in made]
    barrier = threading.Barrier(WRITERS)

    def open_all(index: int) -> int:
        person_id = people[index].id
        mine = ids[index * WRITES_EACH : (index + 1) * WRITES_EACH]
        barrier.wait()
        for notification_id in mine:
            with app.test_request_context(f"/notiser/{notification_id}"):
                session_ = db.get_session()
                person = session_.get(User, person_id)
                notifications.mark_read(session_, person, notification_id, now=now.get())
        return len(mine)

    with ThreadPoolExecutor(WRITERS) as pool:
        opened = list(pool.map(open_all, range(WRITERS)))
    assert opened == [WRITES_EACH] * WRITERS


def test_sqlite_logging_in_does_not_wait_for_a_writer(app, client, session, sqlite_only):
    # Logging in only reads (and checks a password): it must not queue for the write lock.
    email = factories.make_user(session).email
    token = client.csrf_token()
    session.rollback()  # the request's own transaction begins with the login (shared session)
    # Another writer holds SQLite's write lock for as long as the login takes.
    writer = app.extensions["db_engine"].connect().execution_options(sqlite_immediate=True)
    writer.execute(text("SELECT 1"))
    try:
        response = client.post(
            "/konto/logga-in",
            data={"email": email, "password": factories.PASSWORD, "csrf_token": token},
            csrf=False,
        )
    finally:
        writer.rollback()
        writer.close()
    assert response.status_code == 302


def test_background_work_that_reads_then_writes_waits_for_another_writer(
    app, session, sqlite_only, open_round
):
    # An analysis job reads, then writes its progress while requests write. Begun deferred,
    # its write would be refused at once ("database is locked") after another writer's
    # commit; background work begins IMMEDIATE instead, and the other writer waits.
    from consult.analysis import queue

    session.commit()
    job_has_read, other_tried = threading.Event(), threading.Event()

    def job() -> None:
        with queue.background_context(app):
            job_session = db.get_session()
            job_session.execute(select(func.count()).select_from(Round)).scalar_one()
            job_has_read.set()
            other_tried.wait(5)
            job_session.execute(
                text("UPDATE round SET title = 'Ändrad av jobbet' WHERE id = :id"),
                {"id": open_round.id},
            )
            job_session.commit()

    def other_writer() -> None:
        job_has_read.wait(5)
        with app.test_request_context("/", method="POST"):
            other = db.get_session()
            threading.Timer(0.5, other_tried.set).start()
            other.execute(text("UPDATE consultation SET title = title || ' (ny)'"))
            other.commit()

    with ThreadPoolExecutor(2) as pool:
        results = [pool.submit(job), pool.submit(other_writer)]
        for result in results:
            result.result(timeout=60)  # re-raises "database is locked" if either failed
    session.expire_all()
    assert session.get(Round, open_round.id).title == "Ändrad av jobbet"


def test_sqlite_comment_post_holds_the_write_lock_only_while_it_writes(
    app, client, auth, session, sqlite_only, open_round
):
    # In a deadline rush every post waits for SQLite's one write lock: the post's reads (its
    # user, round and paragraph) and its answer must not hold it, only the write itself.
    auth.login()
    key = open_round.document.paragraphs[0].anchor
    url = f"/samrad/{open_round.consultation.slug}/omgang/1/synpunkter/{key}"
    token = client.csrf_token()
    session.rollback()  # the post's own transactions begin with it (shared session)
    with this_threads_statements(app.extensions["db_engine"]) as seen:
        response = client.post(
            url,
            data={
                f"{key}-kind": "comment",
                f"{key}-body": "I tid",
                f"{key}-submission_key": "a",
                "csrf_token": token,
            },
            csrf=False,
        )
    assert response.status_code == 302
    assert seen.count("BEGIN IMMEDIATE") == 1
    writer = seen[seen.index("BEGIN IMMEDIATE") :]
    writer = writer[: writer.index("COMMIT")]
    read_first = seen[: seen.index("BEGIN IMMEDIATE")]
    assert any(s.startswith("SELECT user_account.id") for s in read_first)
    assert any("FROM round" in s for s in read_first)
    assert any(s.startswith("INSERT INTO comment ") for s in writer)
