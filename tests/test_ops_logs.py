"""Structured logs and the request id: JSON lines, the access line, and the id carried from a
request into the analysis job it started and the e-mail it queued."""

from __future__ import annotations

import io
import json
import logging
import mailbox
import re
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from consult import clock, create_app
from consult.analysis import queue
from consult.models import Analysis, OutboxEmail
from consult.notifications.sending import FileBackend, send_pending
from consult.ops import context, logs

from . import factories, local_redis
from .analysis_seed import reuse_engine_results, seed_round
from .conftest import make_config

GOOD_ID = "nginx-4f0c2a9e.b_7"
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines():
    """Collect what the "consult" loggers write, formatted by the app's JSON formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("consult")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def _messages(path) -> list:
    box = mailbox.mbox(str(path))
    try:
        return list(box)
    finally:
        box.close()


@pytest.fixture
def proxied(app):
    """The app behind one trusted proxy (whose X-Request-ID it takes)."""
    app.config["PROXY_HOPS"] = 1
    return app


def test_each_request_writes_one_json_access_line_with_its_id(client, json_lines, session):
    response = client.get("/healthz")
    request_id = response.headers["X-Request-ID"]
    assert NEW_ID.fullmatch(request_id)

    access = [line for line in json_lines() if line["logger"] == "consult.access"]
    assert len(access) == 1
    line = access[0]
    assert set(line) == {
        "timestamp",
        "level",
        "logger",
        "message",
        "request_id",
        "user_id",
        "route",
        "endpoint",
        "method",
        "status",
        "duration_ms",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])
    assert (line["level"], line["request_id"], line["user_id"]) == ("INFO", request_id, "anonymous")
    assert (line["route"], line["endpoint"], line["method"], line["status"]) == (
        "/healthz",
        "ops.healthz",
        "GET",
        200,
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


def test_the_access_line_names_the_route_not_the_path_and_the_signed_in_user(
    client, auth, json_lines
):
    user = auth.login()
    client.get("/konto/bekrafta/a-secret-token-in-the-path")
    line = [x for x in json_lines() if x["logger"] == "consult.access"][-1]
    assert line["route"] == "/konto/bekrafta/<token>"
    assert "a-secret-token" not in json.dumps(line)
    assert line["user_id"] == user.id
    missing = client.get("/no-such-page")
    line = [x for x in json_lines() if x["logger"] == "consult.access"][-1]
    assert (line["route"], line["endpoint"], line["status"]) == (None, None, 404)
    assert line["request_id"] == missing.headers["X-Request-ID"]


def test_a_proxys_well_formed_request_id_is_taken_and_echoed(proxied, json_lines):
    response = proxied.test_client().get("/healthz", headers={"X-Request-ID": GOOD_ID})
    assert response.headers["X-Request-ID"] == GOOD_ID
    assert json_lines()[-1]["request_id"] == GOOD_ID


@pytest.mark.parametrize(
    "bad", ["short", "has space inside", "x" * 65, "semi;colon-12345", "åäö-12345678"]
)
def test_a_malformed_request_id_is_replaced_by_a_new_one(proxied, bad):
    response = proxied.test_client().get("/healthz", headers={"X-Request-ID": bad})
    assert NEW_ID.fullmatch(response.headers["X-Request-ID"])


def test_without_a_trusted_proxy_the_clients_request_id_is_not_taken(client):
    response = client.get("/healthz", headers={"X-Request-ID": GOOD_ID})
    assert NEW_ID.fullmatch(response.headers["X-Request-ID"])


def test_error_lines_during_a_request_carry_its_id_and_the_traceback(app, json_lines):
    @app.get("/test-fails-loudly")
    def fails_loudly():
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("consult.test").exception("It went wrong")
        return "handled"

    response = app.test_client().get("/test-fails-loudly")
    error = next(line for line in json_lines() if line["logger"] == "consult.test")
    assert error["level"] == "ERROR" and error["message"] == "It went wrong"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "ValueError: boom" in error["exception"]


def test_outside_a_request_there_is_no_id_unless_a_worker_sets_one(app):
    with app.app_context():
        assert context.current_request_id() is None
        with context.request_id_scope(GOOD_ID):
            assert context.current_request_id() == GOOD_ID
        assert context.current_request_id() is None


def test_an_analysis_started_by_a_request_keeps_its_id_and_its_job_logs_it(
    proxied, session, open_round, json_lines, monkeypatch
):
    reuse_engine_results(monkeypatch)
    seeded = seed_round(session, open_round)
    client = proxied.test_client()
    client.post(
        "/konto/logga-in", data={"email": seeded.staff.email, "password": factories.PASSWORD}
    )
    response = client.post(
        f"/analys/omgang/{open_round.id}/starta", headers={"X-Request-ID": GOOD_ID}
    )
    assert response.status_code == 302
    # The app's single job thread runs its work first in, first out.
    queue.executor(proxied).submit(lambda: None).result(timeout=120)

    session.rollback()
    job = session.scalars(select(Analysis)).one()
    assert job.request_id == GOOD_ID
    job_lines = [line for line in json_lines() if line["logger"] == "consult.analysis.queue"]
    assert [line["message"] for line in job_lines] == [
        f"Analysis job {job.id} starts",
        f"Analysis job {job.id} ends (ran)",
    ]
    assert {line["request_id"] for line in job_lines} == {GOOD_ID}


def test_a_theme_split_runs_under_the_id_of_the_request_that_asked_for_it(app, monkeypatch):
    from consult.analysis import split

    seen = []

    def run_in_background(_session, *_args):
        seen.append(context.current_request_id())

    monkeypatch.setattr(split, "run_in_background", run_in_background)
    with app.test_request_context():
        g.request_id = GOOD_ID
        queue.dispatch_split(app, 1, 2, 3).result(timeout=60)
    assert seen == [GOOD_ID]


def test_an_email_queued_by_a_request_keeps_its_id_into_the_sent_message(
    proxied, session, json_lines, tmp_path
):
    user = factories.make_user(session, email="glomsk@example.se")
    response = proxied.test_client().post(
        "/konto/glomt-losenord",
        data={"email": user.email},
        headers={"X-Request-ID": GOOD_ID},
    )
    assert response.status_code == 200
    session.rollback()
    email = session.scalars(select(OutboxEmail)).one()
    assert email.request_id == GOOD_ID

    path = tmp_path / "mail.log"
    assert send_pending(session, FileBackend(str(path)), now=clock.now()).sent == 1
    (message,) = _messages(path)
    assert message["X-Request-ID"] == GOOD_ID
    sent = [line for line in json_lines() if line["message"] == f"E-mail {email.id} sent"]
    assert [line["request_id"] for line in sent] == [GOOD_ID]


def test_an_email_queued_outside_a_request_has_no_id_and_no_header(session, tmp_path):
    user = factories.make_user(session)
    session.add(
        OutboxEmail(
            user_id=user.id, to_address=user.email, subject="S", body="B", created_at=clock.now()
        )
    )
    session.commit()
    assert session.scalars(select(OutboxEmail.request_id)).one() is None
    path = tmp_path / "mail.log"
    send_pending(session, FileBackend(str(path)), now=clock.now())
    (message,) = _messages(path)
    assert message["X-Request-ID"] is None


def test_json_format_is_switched_on_by_configuration(database_url):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        app = create_app(make_config(database_url, LOG_FORMAT="json"))
        ours = [h for h in root.handlers if getattr(h, "consult_json", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, logs.JsonFormatter)
        # A second app in the same process (a worker's) adds no second handler.
        create_app(make_config(database_url, LOG_FORMAT="json")).extensions["db_engine"].dispose()
        assert len([h for h in root.handlers if getattr(h, "consult_json", False)]) == 1
        app.extensions["db_engine"].dispose()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


REDIS_URL = "redis://127.0.0.1:6379/2"


@pytest.fixture
def rq_app(database_url, now):
    """An app behind a trusted proxy whose jobs go to a fresh RQ queue on the local Redis."""
    import uuid

    from rq import Queue

    from .conftest import CsrfClient, empty_tables

    connection = local_redis.connect_or_skip(REDIS_URL)
    name = f"consult-ops-test-{uuid.uuid4().hex}"
    app = create_app(
        make_config(database_url, ANALYSIS_REDIS_URL=REDIS_URL, ANALYSIS_QUEUE=name, PROXY_HOPS=1)
    )
    app.test_client_class = CsrfClient
    yield app
    Queue(name, connection=connection).delete(delete_jobs=True)
    Queue(queue.placement_queue_name(app), connection=connection).delete(delete_jobs=True)
    empty_tables(app.extensions["db_engine"])
    app.extensions["db_engine"].dispose()


def test_an_rq_worker_logs_the_id_of_the_request_that_started_its_job(
    rq_app, json_lines, monkeypatch
):
    from rq import SimpleWorker

    from consult import db

    reuse_engine_results(monkeypatch)
    with rq_app.app_context():
        session = db.get_session()
        round_ = factories.make_round(
            session,
            opens_at=clock.now() - timedelta(days=1),
            closes_at=clock.now() + timedelta(days=1),
        )
        seeded = seed_round(session, round_)
        staff_email, round_id = seeded.staff.email, round_.id
    client = rq_app.test_client()
    client.post("/konto/logga-in", data={"email": staff_email, "password": factories.PASSWORD})
    response = client.post(f"/analys/omgang/{round_id}/starta", headers={"X-Request-ID": GOOD_ID})
    assert response.status_code == 302

    with rq_app.app_context():
        rq_queue = queue.rq_queue(rq_app)
        assert rq_queue.count == 1
        SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
        job = db.get_session().scalars(select(Analysis)).one()
        assert job.request_id == GOOD_ID
    job_lines = [line for line in json_lines() if line["logger"] == "consult.analysis.queue"]
    assert len(job_lines) == 2 and {line["request_id"] for line in job_lines} == {GOOD_ID}
