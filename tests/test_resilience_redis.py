"""A Redis outage: rate limits count in each process's memory (and say so in the log), jobs
and splits answer 503 "the job queue is unavailable" and leave nothing waiting for ever, and a
new comment is saved all the same (its placing is caught up by the round's next pass).

Redis is pointed at a port nothing listens on, so the real server keeps running."""

from __future__ import annotations

import logging
import uuid

import pytest
from sqlalchemy import func, select

from consult import create_app
from consult.analysis import placement, queue, split
from consult.extensions import limiter
from consult.models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    Comment,
    CommentStatus,
    Theme,
)

from . import factories, local_redis
from .analysis_helpers import BASE, current_themes, english, members
from .analysis_seed import reuse_engine_results, seed_round
from .conftest import CsrfClient, make_config

DOWN = "redis://127.0.0.1:6390/0"  # nothing listens here


@pytest.fixture
def redis_down(app):
    """Hand the app's jobs to a Redis that cannot be reached."""
    app.config["ANALYSIS_REDIS_URL"] = DOWN
    yield
    app.config["ANALYSIS_REDIS_URL"] = ""
    app.extensions.pop(queue.REDIS_KEY, None)


def redis_back(app) -> None:
    """The queue works again (here: the in-process one)."""
    app.config["ANALYSIS_REDIS_URL"] = ""
    app.extensions.pop(queue.REDIS_KEY, None)


@pytest.fixture
def seeded(session, open_round, monkeypatch):
    reuse_engine_results(monkeypatch)
    return seed_round(session, open_round)


# Rate limits


@pytest.fixture
def limited_app(database_url):
    app = create_app(
        make_config(
            database_url,
            RATELIMIT_ENABLED=True,
            RATELIMIT_STORAGE_URI=DOWN,
            LOGIN_RATE_LIMIT="3 per minute",
        )
    )
    app.test_client_class = CsrfClient
    yield app
    # The limiter is one object for every app of the run: forget the outage and its counts.
    limiter._storage_dead = False
    if limiter._fallback_storage is not None:
        limiter._fallback_storage.reset()
    app.extensions["db_engine"].dispose()


def test_rate_limits_fall_back_to_memory_and_warn_when_redis_is_down(limited_app, caplog):
    client = limited_app.test_client()
    with caplog.at_level(logging.WARNING):
        codes = [
            client.post("/konto/logga-in", data={"email": "a@b.se", "password": "x"}).status_code
            for _ in range(4)
        ]
    # Still limited (the fourth attempt is refused), never a 500.
    assert codes == [422, 422, 422, 429]
    assert any("falling back to in-memory storage" in r.getMessage() for r in caplog.records)
    # Pages without limits are served as usual.
    assert client.get("/").status_code == 200


def test_the_fallback_is_on_by_default_and_gives_up_on_redis_quickly(database_url):
    app = create_app(make_config(database_url))
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_OPTIONS"]["socket_connect_timeout"] <= 1
    app.extensions["db_engine"].dispose()


# Analysis jobs


def test_starting_an_analysis_without_the_queue_answers_503_and_marks_the_job_failed(
    app, client, auth, session, seeded, redis_down, caplog
):
    auth.login(seeded.staff)
    english(session, seeded.staff)
    url = f"/analys/omgang/{seeded.round.id}"

    with caplog.at_level(logging.WARNING):
        response = client.post(url + "/starta")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "The job queue is unavailable, so the work could not be started." in page
    assert "Nothing was changed" in page
    assert any("job queue is unavailable" in r.getMessage() for r in caplog.records)
    session.expire_all()
    job = session.scalars(select(Analysis)).one()
    assert (job.status, job.error) == (AnalysisStatus.FAILED, "queue_unavailable")
    round_page = client.get(url + "/").get_data(as_text=True)
    assert "The job queue was unavailable when the analysis was started." in round_page
    # With htmx: the same 503 (the page's error notice shows), nothing left queued.
    assert client.post(url + "/starta", headers={"HX-Request": "true"}).status_code == 503
    session.expire_all()
    assert session.scalar(select(func.count()).where(Analysis.status == AnalysisStatus.QUEUED)) == 0

    # Once the queue is back, starting again is not held up by the failed attempts.
    redis_back(app)
    assert client.post(url + "/starta").status_code == 302
    queue.shutdown(app)
    session.expire_all()
    statuses = session.scalars(select(Analysis.status).order_by(Analysis.id)).all()
    assert statuses == [AnalysisStatus.FAILED, AnalysisStatus.FAILED, AnalysisStatus.DONE]


def test_the_503_page_for_the_queue_is_in_swedish_by_default(client, auth, seeded, redis_down):
    auth.login(seeded.staff)
    response = client.post(f"/analys/omgang/{seeded.round.id}/starta")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Jobbkön går inte att nå just nu" in page


def largest_theme(session, round_id) -> Theme:
    return max(current_themes(session, round_id), key=lambda t: len(members(session, t.id)))


def test_a_background_split_without_the_queue_answers_503_and_changes_nothing(
    client, auth, session, analysed, redis_down, monkeypatch
):
    monkeypatch.setattr(split, "INLINE_MAX", 1)
    theme = largest_theme(session, analysed.round.id)
    auth.login(analysed.staff)
    english(session, analysed.staff)
    url = BASE.format(round=analysed.round.id, theme=theme.id)

    response = client.post(url + "/dela", data={"parts": "2", "version": str(theme.version)})

    assert response.status_code == 503
    assert "The job queue is unavailable" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Theme, theme.id).retired_at is None
    page = client.get(url).get_data(as_text=True)
    assert "The job queue was unavailable. Try again in a moment." in page
    assert "Nothing was changed." in page
    assert 'hx-trigger="every 2s"' not in page  # not shown as under way


def test_proposals_without_the_queue_keep_the_theme_and_say_why_none_came(
    app, client, auth, session, analysed, redis_down
):
    theme = largest_theme(session, analysed.round.id)
    auth.login(analysed.staff)
    english(session, analysed.staff)

    assert queue.dispatch_proposals(app, theme.id) is None  # no exception: the theme exists

    page = client.get(BASE.format(round=analysed.round.id, theme=theme.id)).get_data(as_text=True)
    assert "The job queue was unavailable. Try again in a moment." in page


# Placing new comments


def test_a_comment_is_saved_without_the_queue_and_placed_by_the_next_pass(
    app, client, auth, session, analysed, redis_down, placed, caplog
):
    author = factories.make_user(session)
    auth.login(author)
    round_ = analysed.round
    anchor = round_.document.paragraphs[0].anchor
    url = f"/samrad/{round_.consultation.slug}/omgang/{round_.number}/synpunkter/{anchor}"

    def send(body: str, key: str):
        data = {
            f"{anchor}-kind": "comment",
            f"{anchor}-body": body,
            f"{anchor}-stance": "",
            f"{anchor}-submission_key": key,
        }
        return client.post(url, data=data)

    with caplog.at_level(logging.WARNING):
        response = send("Skolan behöver fler lärare, lärarbristen i skolan är stor.", "k1")

    assert response.status_code == 302
    first = session.scalars(select(Comment).where(Comment.author_id == author.id)).one()
    assert first.status == CommentStatus.PUBLISHED
    assert any("a later pass places it" in r.getMessage() for r in caplog.records)
    waiting = placement.unread(round_.id, placement.last_analysis(session, round_.id))
    assert first.id in session.scalars(waiting).all()

    # The round's next pass (here: the next comment's, with the queue back) places both.
    redis_back(app)
    assert send("Bredbandet på landsbygden måste byggas ut snabbare.", "k2").status_code == 302
    placed()
    readings = session.scalars(
        select(AnalysedComment.comment_id).where(AnalysedComment.comment_id >= first.id)
    ).all()
    assert len(set(readings)) == 2


REDIS_UP = "redis://127.0.0.1:6379/4"


def test_when_redis_answers_again_the_next_start_is_queued_there(
    app, client, auth, session, seeded, redis_down
):
    local_redis.connect_or_skip(REDIS_UP)
    auth.login(seeded.staff)
    url = f"/analys/omgang/{seeded.round.id}/starta"
    assert client.post(url).status_code == 503

    app.config["ANALYSIS_REDIS_URL"] = REDIS_UP
    app.config["ANALYSIS_QUEUE"] = f"resilience-{uuid.uuid4().hex}"
    app.extensions.pop(queue.REDIS_KEY, None)
    try:
        assert client.post(url).status_code == 302
        waiting = queue.rq_queue(app)
        session.expire_all()
        job = session.scalars(select(Analysis).order_by(Analysis.id.desc())).first()
        assert job.status == AnalysisStatus.QUEUED
        assert waiting.job_ids == [queue.analysis_job_id(app, job.id)]
    finally:
        queue.rq_queue(app).delete(delete_jobs=True)
