"""Reliability of the analysis under load and faults: posting never waits for the theme engine
(a cold server acknowledges the first comments at once and places them in the background),
and a job whose worker died is found dead, can be cancelled by staff and started again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_babel
import pytest
import requests
from sqlalchemy import func, select

from consult import clock, config
from consult.analysis import jobs, queue, services
from consult.analysis import saving as saving_module
from consult.models import (
    AnalysedComment,
    Analysis,
    AnalysisStatus,
    AuditEntry,
    Comment,
    CommentStatus,
    Role,
    Theme,
    ThemeAssignment,
)

from . import factories, local_redis
from .conftest import CSRF_INPUT

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LIMITS = {"stale_after": timedelta(minutes=60), "dead_after": timedelta(minutes=2)}
TOPICS = [
    [
        "Norrbotniabanan måste byggas snabbt, järnvägen är avgörande för länet.",
        "Bygg Norrbotniabanan hela vägen, järnvägen behövs för godstrafiken.",
        "Järnvägen Norrbotniabanan ger kortare restider mellan städerna.",
        "Utan Norrbotniabanan stannar näringslivet, prioritera järnvägen.",
        "Vi vill se mer godstrafik på järnväg och en snabb Norrbotniabana.",
        "Satsa på Norrbotniabanan, järnväg är bättre för klimatet än lastbil.",
        "Norrbotniabanan är en fråga om hela regionens järnvägsnät.",
        "Järnvägen längs kusten, Norrbotniabanan, bör komma först i planen.",
    ],
    [
        "Skolan i inlandet behöver fler behöriga lärare och bättre lärarlöner.",
        "Lärarbristen i glesbygdens skolor måste lösas, utbilda fler lärare.",
        "Fler lärare och mindre klasser i skolan, särskilt i små kommuner.",
        "Skolan är grunden för kompetensförsörjning, satsa på lärare.",
        "Våra skolor tappar lärare till kusten, inlandets skola behöver stöd.",
        "Behöriga lärare i varje skola borde vara ett mål i strategin.",
        "Lärarutbildningen vid universitetet bör ge fler lärare till länets skolor.",
        "Skolan och lärarna är viktigare än vägarna, satsa på utbildning.",
    ],
    [
        "Bredband i hela länet är en förutsättning för att bo på landsbygden.",
        "Utbyggnaden av bredband och fiber går för långsamt i byarna.",
        "Fiber till alla hushåll, bredbandet är lika viktigt som vägen.",
        "Utan fiber och bredband kan ingen arbeta på distans från byn.",
        "Stöd till byanätsföreningar som bygger fiber och bredband.",
        "Bredbandet i glesbygden ska ha samma kvalitet som i städerna.",
        "Digital infrastruktur med snabbt bredband behövs för företagen.",
        "Mobiltäckning och bredband saknas längs inlandsvägarna.",
    ],
]


def real_time(monkeypatch) -> None:
    """Let the app's clock run (a server or worker in another process keeps real time)."""
    monkeypatch.setattr(clock, "now", lambda: datetime.now(UTC))


def open_round_now(session):
    """A round open for comments now (in real time), with 24 published comments."""
    round_ = factories.make_round(
        session,
        opens_at=clock.now() - timedelta(days=1),
        closes_at=clock.now() + timedelta(days=1),
    )
    for texts in TOPICS:
        for body in texts:
            factories.make_comment(session, round_, factories.make_user(session), body=body)
    return round_


@pytest.fixture
def staff(session):
    user = factories.make_user(session, role=Role.STAFF)
    user.locale = "en"
    session.commit()
    return user


@pytest.fixture
def busy_round(session, now):
    """A round with comments, analysed at FIXED_NOW's clock."""
    round_ = factories.make_round(
        session, opens_at=now.get() - timedelta(days=7), closes_at=now.get() + timedelta(days=7)
    )
    for texts in TOPICS:
        for body in texts:
            factories.make_comment(session, round_, factories.make_user(session), body=body)
    return round_


def sign_in(auth, user) -> None:
    """Sign ``user`` in; the pages come in English (their language)."""
    auth.login(user)
    # The tests share one app context, where Flask-Babel keeps the locale it chose first.
    flask_babel.refresh()


def reload(session, job_id: int) -> Analysis:
    session.rollback()
    session.expire_all()
    return session.get(Analysis, job_id)


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Hold:
    """Hold the engine inside discovery until released, to look at a running job."""

    def __init__(self, monkeypatch):
        self.entered = threading.Event()
        self.release = threading.Event()
        real = jobs.nlp.discover_themes

        def held(texts, **kwargs):
            self.entered.set()
            assert self.release.wait(60), "test never released the job"
            return real(texts, **kwargs)

        monkeypatch.setattr(jobs.nlp, "discover_themes", held)


def start_held_job(app, session, staff, round_, monkeypatch) -> tuple[Analysis, Hold]:
    hold = Hold(monkeypatch)
    job = services.start(session, staff, round_.id, now=clock.now(), **LIMITS)
    queue.dispatch(app, job.id)
    assert hold.entered.wait(60), "the job never reached discovery"
    return job, hold


def finish(app) -> None:
    pool = app.extensions.pop(queue.EXECUTOR_KEY, None)
    if pool is not None:
        pool.shutdown(wait=True)


# A dead job in the in-process thread pool


def test_a_running_job_whose_heartbeat_stopped_is_shown_dead_and_can_be_started_again(
    app, client, auth, session, staff, busy_round, now, monkeypatch
):
    app.config["ANALYSIS_HEARTBEAT_SECONDS"] = 3600  # as good as dead: it never beats
    job, hold = start_held_job(app, session, staff, busy_round, monkeypatch)
    sign_in(auth, staff)
    page = f"/analys/omgang/{busy_round.id}/"
    assert "The analysis is under way" in client.get(page).get_data(as_text=True)

    # No heartbeat for longer than the limit (its process died, as far as anyone can tell).
    now.set(now.get() + LIMITS["dead_after"] + timedelta(seconds=1))
    shown = client.get(page).get_data(as_text=True)
    assert "The last analysis failed." in shown
    assert "stopped answering" in shown
    assert (reload(session, job.id).status, reload(session, job.id).error) == (
        AnalysisStatus.FAILED,
        "dead",
    )

    # The round is free: a new job starts, and the old one, when it wakes, saves nothing.
    hold.release.set()
    restarted = client.post(f"/analys/omgang/{busy_round.id}/starta")
    assert restarted.status_code == 302
    finish(app)
    jobs_now = session.scalars(select(Analysis).order_by(Analysis.id)).all()
    assert [(j.status, j.error) for j in jobs_now] == [
        (AnalysisStatus.FAILED, "dead"),
        (AnalysisStatus.DONE, None),
    ]
    assert session.scalar(select(func.count(Theme.id)).where(Theme.analysis_id == job.id)) == 0


def test_a_job_whose_heartbeat_goes_on_is_not_given_up_while_it_thinks(
    app, session, staff, busy_round, now, monkeypatch
):
    app.config["ANALYSIS_HEARTBEAT_SECONDS"] = 0.05
    job, hold = start_held_job(app, session, staff, busy_round, monkeypatch)
    try:
        # Far longer than the limit without progress, but the heartbeat keeps beating.
        later = now.get() + timedelta(minutes=30)
        now.set(later)
        wait_for(lambda: reload(session, job.id).heartbeat_at == later, 10, "a heartbeat")
        seen = services.job_status(session, staff, busy_round.id, now=later, **LIMITS)
        assert (seen.id, seen.status) == (job.id, AnalysisStatus.RUNNING)
        assert reload(session, job.id).progress == 25
    finally:
        hold.release.set()
        finish(app)
    assert reload(session, job.id).status == AnalysisStatus.DONE


def test_a_job_saving_its_results_is_not_given_up_meanwhile(
    app, session, staff, busy_round, now, monkeypatch
):
    app.config["ANALYSIS_HEARTBEAT_SECONDS"] = 3600  # no beat while it saves
    saving, release = threading.Event(), threading.Event()
    real = saving_module._save_campaigns

    def held(*args):
        saving.set()
        assert release.wait(60), "test never released the job"
        return real(*args)

    monkeypatch.setattr(saving_module, "_save_campaigns", held)
    job = services.start(session, staff, busy_round.id, now=clock.now(), **LIMITS)
    queue.dispatch(app, job.id)
    try:
        assert saving.wait(120), "the job never began to save"
        later = now.get() + timedelta(minutes=30)
        seen = services.job_status(session, staff, busy_round.id, now=later, **LIMITS)
        assert (seen.id, seen.status) == (job.id, AnalysisStatus.RUNNING)
    finally:
        release.set()
        finish(app)
    assert reload(session, job.id).status == AnalysisStatus.DONE


def test_staff_stop_a_running_job_after_confirming_and_start_it_again(
    app, client, auth, session, staff, busy_round, now, monkeypatch
):
    job, hold = start_held_job(app, session, staff, busy_round, monkeypatch)
    sign_in(auth, staff)
    round_page = f"/analys/omgang/{busy_round.id}/"
    cancel = f"/analys/omgang/{busy_round.id}/avbryt"
    assert f'href="{cancel}"' in client.get(round_page).get_data(as_text=True)

    # Without JavaScript the link leads to a question, which a bare post does not skip.
    question = client.get(cancel)
    assert question.status_code == 200
    assert "Stop the analysis?" in question.get_data(as_text=True)
    assert "Stop the analysis?" in client.post(cancel).get_data(as_text=True)
    assert reload(session, job.id).status == AnalysisStatus.RUNNING

    stopped = client.post(cancel, data={"confirmed": "yes"})
    assert stopped.status_code == 302
    page = client.get(round_page).get_data(as_text=True)
    assert "The analysis is stopped. You can start it again." in page
    assert "The last analysis was stopped." in page
    assert "A staff member stopped the analysis." in page
    assert (reload(session, job.id).status, reload(session, job.id).error) == (
        AnalysisStatus.FAILED,
        "cancelled",
    )
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "analysis.cancel")).one()
    assert (entry.actor_id, entry.object_id) == (staff.id, job.id)

    # The stopped job saves nothing when it wakes; a new one runs to the end.
    hold.release.set()
    assert client.post(f"/analys/omgang/{busy_round.id}/starta").status_code == 302
    finish(app)
    statuses = session.scalars(select(Analysis.status).order_by(Analysis.id)).all()
    assert statuses == [AnalysisStatus.FAILED, AnalysisStatus.DONE]
    assert session.scalar(select(func.count(Theme.id)).where(Theme.analysis_id == job.id)) == 0


def test_stopping_with_htmx_asks_in_place_and_answers_with_the_progress(
    app, client, auth, session, staff, busy_round, monkeypatch
):
    job, hold = start_held_job(app, session, staff, busy_round, monkeypatch)
    sign_in(auth, staff)
    cancel = f"/analys/omgang/{busy_round.id}/avbryt"
    htmx = {"HX-Request": "true"}
    try:
        question = client.get(cancel, headers=htmx).get_data(as_text=True)
        assert "Stop the analysis?" in question and "<html" not in question
        answer = client.post(cancel, data={"confirmed": "yes"}, headers=htmx)
        assert answer.status_code == 200
        assert "The last analysis was stopped." in answer.get_data(as_text=True)
        again = client.post(cancel, data={"confirmed": "yes"}, headers=htmx)
        assert again.status_code == 409
        assert "No analysis of this round is under way" in again.get_data(as_text=True)
    finally:
        hold.release.set()
        finish(app)


def test_only_staff_stop_an_analysis(app, client, auth, session, staff, busy_round, now):
    job = services.start(session, staff, busy_round.id, now=clock.now(), **LIMITS)
    auth.login(factories.make_user(session))
    refused = client.post(f"/analys/omgang/{busy_round.id}/avbryt", data={"confirmed": "yes"})
    assert refused.status_code == 403
    with pytest.raises(Exception) as refused:
        services.cancel(session, factories.make_user(session), busy_round.id, now=now.get())
    assert refused.value.code == 403
    assert reload(session, job.id).status == AnalysisStatus.QUEUED


def test_the_limits_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSULT_ANALYSIS_DEAD_SECONDS", "45")
    monkeypatch.setenv("CONSULT_ANALYSIS_STALE_MINUTES", "20")
    monkeypatch.setenv("CONSULT_ANALYSIS_HEARTBEAT_SECONDS", "5")
    settings = config.defaults(str(tmp_path))
    assert services.limits(settings) == {
        "stale_after": timedelta(minutes=20),
        "dead_after": timedelta(seconds=45),
    }
    assert settings["ANALYSIS_HEARTBEAT_SECONDS"] == 5


# A dead job on Redis: a real RQ worker, killed


REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own, emptied of its queues after


# The worker, with a theme engine that thinks for ever once it reaches discovery.
SLOW_WORKER = """
import time
from flask.cli import ScriptInfo
from consult import create_app
from consult.analysis import jobs

jobs.nlp.discover_themes = lambda texts, **kwargs: time.sleep(3600)
app = create_app()
app.cli.main(["analysis", "worker"], obj=ScriptInfo(create_app=lambda: app))
"""


@pytest.fixture
def rq_worker(database_url, tmp_path):
    """Start ``flask analysis worker`` as a process of its own; yield a handle to kill it."""
    connection = local_redis.connect_or_skip(REDIS_URL)
    queue_name = f"consult-analysis-test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "CONSULT_DATABASE_URL": database_url,
        "CONSULT_REDIS_URL": REDIS_URL,
        "CONSULT_SECRET_KEY": "test-secret",
        "CONSULT_ANALYSIS_HEARTBEAT_SECONDS": "0.5",
        "CONSULT_MAIL_WORKER": "0",
    }
    code = SLOW_WORKER.replace(
        "app = create_app()",
        f"app = create_app()\napp.config['ANALYSIS_QUEUE'] = {queue_name!r}",
    )
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [PYTHON, "-c", code],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    class Worker:
        pid = process.pid
        name = queue_name
        output = log
        horses: list[int] = []

        @classmethod
        def horse(cls) -> int | None:
            """Return the pid of the work horse running the current job, if any: the
            worker's child in a process group of its own (RQ calls setpgrp; its scheduler,
            the other child, stays in the worker's)."""
            for entry in Path("/proc").iterdir():
                if entry.name.isascii() and entry.name.isdigit():
                    try:
                        stat = (entry / "stat").read_text()
                    except OSError:
                        continue
                    _, parent, group = stat.rsplit(")", 1)[1].split()[:3]
                    if int(parent) == process.pid and group == entry.name:
                        cls.horses.append(int(entry.name))
                        return int(entry.name)
            return None

    yield Worker
    for pid in Worker.horses:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the worker and its scheduler
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
    # Everything this worker's queues left: jobs, registries, executions (not the worker's
    # own registration, which expires by itself).
    leftovers = [key for key in connection.scan_iter(f"*{queue_name}*")]
    if leftovers:
        connection.delete(*leftovers)
    connection.srem("rq:queues", f"rq:queue:{queue_name}", f"rq:queue:{queue_name}-placement")


def rq_app_config(app, worker) -> None:
    app.config["ANALYSIS_REDIS_URL"] = REDIS_URL
    app.config["ANALYSIS_QUEUE"] = worker.name


def start_on_worker(app, session, staff, round_, worker) -> Analysis:
    job = services.start(session, staff, round_.id, now=clock.now(), **LIMITS)
    queue.dispatch(app, job.id)
    wait_for(
        lambda: reload(session, job.id).message == "themes", 120, "the worker to reach discovery"
    )
    return job


def test_a_killed_rq_worker_leaves_a_job_that_is_found_dead_and_can_be_started_again(
    app, session, staff, monkeypatch, rq_worker
):
    real_time(monkeypatch)
    rq_app_config(app, rq_worker)
    round_ = open_round_now(session)
    job = start_on_worker(app, session, staff, round_, rq_worker)
    horse = rq_worker.horse()
    assert horse is not None

    # The machine's way of stopping everything: the worker and its job process, at once.
    os.killpg(rq_worker.pid, signal.SIGKILL)
    os.kill(horse, signal.SIGKILL)
    assert reload(session, job.id).status == AnalysisStatus.RUNNING  # nobody said anything

    dead_after = {**LIMITS, "dead_after": timedelta(seconds=3)}
    found = wait_for(
        lambda: (
            (
                j := services.job_status(session, staff, round_.id, now=clock.now(), **dead_after)
            ).status
            == AnalysisStatus.FAILED
            and j
        ),
        30,
        "the dead job to be noticed",
    )
    assert (found.id, found.error) == (job.id, "dead")
    assert found.progress == 25  # where it died

    fresh = services.start(session, staff, round_.id, now=clock.now(), **dead_after)
    assert fresh.id != job.id and fresh.status == AnalysisStatus.QUEUED


def test_a_killed_job_process_is_recorded_by_the_rq_worker_at_once(
    app, session, staff, monkeypatch, rq_worker
):
    real_time(monkeypatch)
    rq_app_config(app, rq_worker)
    round_ = open_round_now(session)
    job = start_on_worker(app, session, staff, round_, rq_worker)

    os.kill(rq_worker.horse(), signal.SIGKILL)  # out of memory, say

    # Long before the heartbeat limit (two minutes), the worker tells the app.
    try:
        failed = wait_for(
            lambda: (j := reload(session, job.id)).status == AnalysisStatus.FAILED and j,
            30,
            "the worker to record the failure",
        )
    except AssertionError:
        print(rq_worker.output.read_text())
        raise
    assert failed.error == "worker_killed"
    fresh = services.start(session, staff, round_.id, now=clock.now(), **LIMITS)
    assert fresh.status == AnalysisStatus.QUEUED


def test_stopping_a_job_on_redis_stops_its_work_horse(app, session, staff, monkeypatch, rq_worker):
    from rq.job import Job, JobStatus

    real_time(monkeypatch)
    rq_app_config(app, rq_worker)
    round_ = open_round_now(session)
    job = start_on_worker(app, session, staff, round_, rq_worker)
    horse = rq_worker.horse()

    services.cancel(session, staff, round_.id, now=clock.now())
    queue.stop(app, job.id)

    wait_for(lambda: not Path(f"/proc/{horse}").exists(), 30, "the work horse to stop")
    assert (reload(session, job.id).status, reload(session, job.id).error) == (
        AnalysisStatus.FAILED,
        "cancelled",
    )
    rq_job = Job.fetch(
        queue.analysis_job_id(app, job.id), connection=queue.rq_queue(app).connection
    )
    assert rq_job.get_status() in (JobStatus.STOPPED, JobStatus.FAILED)


# Posting on a cold server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_cold_server_acknowledges_the_first_comments_at_once_and_places_them_soon_after(
    app, session, database_url, monkeypatch, tmp_path
):
    real_time(monkeypatch)
    round_ = open_round_now(session)
    staff_member = factories.make_user(session, role=Role.STAFF)
    job = services.start(session, staff_member, round_.id, now=clock.now(), **LIMITS)
    jobs.run(session, job.id)
    assert reload(session, job.id).status == AnalysisStatus.DONE
    author = factories.make_user(session)

    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONSULT_")} | {
        "CONSULT_DATABASE_URL": database_url,
        "CONSULT_SECRET_KEY": "test-secret",
        "CONSULT_SECURE_COOKIES": "0",
        "CONSULT_MAIL_WORKER": "0",
        "CONSULT_RATELIMIT": "0",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        browser = requests.Session()

        def up():
            try:
                return browser.get(f"{base}/healthz", timeout=2).ok
            except requests.RequestException:  # not listening yet, or still loading the app
                return False

        wait_for(up, 60, "the server to start")
        login = browser.get(f"{base}/konto/logga-in", timeout=10).text
        token = CSRF_INPUT.search(login).group(1)
        signed_in = browser.post(
            f"{base}/konto/logga-in",
            data={"email": author.email, "password": factories.PASSWORD, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert signed_in.status_code == 302

        url = f"{base}/samrad/{round_.consultation.slug}/omgang/1/synpunkter/doc"
        form = browser.get(url, timeout=10).text
        token = CSRF_INPUT.search(form).group(1)
        took = []
        for n in range(3):
            body = f"Skolan behöver fler lärare, inlägg {n} i rusningen före stängning."
            started = time.monotonic()
            answer = browser.post(
                url,
                data={
                    "doc-kind": "comment",
                    "doc-body": body,
                    "doc-stance": "",
                    "doc-submission_key": uuid.uuid4().hex,
                    "csrf_token": token,
                },
                allow_redirects=False,
                timeout=30,
            )
            took.append(time.monotonic() - started)
            assert answer.status_code in (200, 302, 303), answer.text[:500]
        print(f"\nfirst posts on a cold server took {', '.join(f'{t:.3f}' for t in took)} s")
        assert took[0] < 1.0
        assert max(took) < 1.0

        session.rollback()
        posted = session.scalars(
            select(Comment.id).where(
                Comment.round_id == round_.id,
                Comment.body.like("%i rusningen%"),
                Comment.status == CommentStatus.PUBLISHED,
            )
        ).all()
        assert len(posted) == 3

        def all_placed():
            session.rollback()
            return session.scalar(
                select(func.count(AnalysedComment.id)).where(
                    AnalysedComment.analysis_id == job.id,
                    AnalysedComment.comment_id.in_(posted),
                )
            ) == len(posted)

        wait_for(all_placed, 120, "the new comments to be placed in the background")
        tags = session.scalars(
            select(ThemeAssignment).where(ThemeAssignment.comment_id.in_(posted))
        ).all()
        assert tags and all(tag.after_analysis for tag in tags)
    except AssertionError:
        print(log.read_text())
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)


# Placing new comments in the background


def readings(session, analysis_id: int, comment_id: int) -> int:
    session.rollback()
    return session.scalar(
        select(func.count(AnalysedComment.id)).where(
            AnalysedComment.analysis_id == analysis_id, AnalysedComment.comment_id == comment_id
        )
    )


@pytest.fixture
def analysed_round(session, staff, busy_round):
    job = services.start(session, staff, busy_round.id, now=clock.now(), **LIMITS)
    jobs.run(session, job.id)
    assert reload(session, job.id).status == AnalysisStatus.DONE
    return busy_round, job


def test_a_comment_that_could_not_be_placed_is_placed_by_the_next_pass(
    app, session, analysed_round, monkeypatch, placed
):
    from consult.analysis import placement

    round_, job = analysed_round
    model = placement.model_of(session, job.id)
    real = model.assign
    monkeypatch.setattr(model, "assign", lambda texts: 1 / 0)

    first = factories.publish_comment(session, round_, "Skolan behöver fler lärare i inlandet.")
    placed()
    assert readings(session, job.id, first.id) == 0  # not yet themed, still published
    assert session.get(Comment, first.id).status == CommentStatus.PUBLISHED

    monkeypatch.setattr(model, "assign", real)
    second = factories.publish_comment(session, round_, "Fler lärare och mindre klasser i skolan.")
    placed()
    assert readings(session, job.id, first.id) == 1
    assert readings(session, job.id, second.id) == 1


def test_a_placing_pass_lets_others_write_while_the_engine_reads_a_comment(
    app, session, analysed_round, monkeypatch, placed
):
    import sqlite3

    from consult.analysis import placement

    engine = app.extensions["db_engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: one writer at a time (PostgreSQL has row locks)")
    round_, job = analysed_round
    could_write = []
    chosen = placement._chosen_theme

    def while_choosing(*args):
        # Another writer (a post in a rush), which would not wait for the lock.
        other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            could_write.append(True)
        except sqlite3.OperationalError:  # database is locked
            could_write.append(False)
        finally:
            other.close()
        return chosen(*args)

    monkeypatch.setattr(placement, "_chosen_theme", while_choosing)
    comment = factories.publish_comment(session, round_, "Bredband och fiber till byarna behövs.")
    placed()
    assert could_write == [True]
    assert readings(session, job.id, comment.id) == 1


def test_two_passes_place_a_comment_once(app, session, analysed_round, placed):
    from consult.analysis import placement

    round_, job = analysed_round
    comment = factories.publish_comment(session, round_, "Bredband och fiber till byarna behövs.")
    placed()
    again = placement.place(session, job.id, session.get(Comment, comment.id), clock.now())

    assert again is False
    assert readings(session, job.id, comment.id) == 1
    assert (
        session.scalar(
            select(func.count(ThemeAssignment.id)).where(ThemeAssignment.comment_id == comment.id)
        )
        <= 1
    )


def test_a_placing_pass_waits_and_takes_in_what_is_posted_meanwhile(
    app, session, analysed_round, monkeypatch, placed
):
    from consult.analysis import placement

    round_, job = analysed_round
    passes = []
    place_round = placement.place_round
    monkeypatch.setattr(
        placement, "place_round", lambda *args: passes.append(args) or place_round(*args)
    )
    app.config["ANALYSIS_PLACING_DELAY_SECONDS"] = 1.0
    first = factories.publish_comment(session, round_, "Bredband och fiber till byarna behövs.")
    # Posted while the pass waits: no pass of its own, this one takes it in.
    second = factories.publish_comment(
        session, round_, "Fiber till byarna, och mobiltäckning längs vägarna."
    )
    placed()

    assert len(passes) == 1
    assert readings(session, job.id, first.id) == 1
    assert readings(session, job.id, second.id) == 1


def test_comments_published_while_a_job_ran_are_placed_when_it_ends(
    app, session, staff, busy_round, monkeypatch, placed
):
    job, hold = start_held_job(app, session, staff, busy_round, monkeypatch)
    meanwhile = factories.publish_comment(session, busy_round, "Norrbotniabanan behövs för godset.")
    placed()
    assert readings(session, job.id, meanwhile.id) == 0  # no finished analysis yet

    hold.release.set()
    finish(app)
    placed()
    assert reload(session, job.id).status == AnalysisStatus.DONE
    assert readings(session, job.id, meanwhile.id) == 1


@pytest.fixture
def redis_placing(app):
    """The app's placing queue on the local Redis, under a name of its own; everything
    under that name is deleted after the test."""
    from rq import Queue

    connection = local_redis.connect_or_skip(REDIS_URL)
    name = f"consult-analysis-test-{uuid.uuid4().hex}"
    app.config["ANALYSIS_REDIS_URL"] = REDIS_URL
    app.config["ANALYSIS_QUEUE"] = name
    placing = Queue(f"{name}-placement", connection=connection)
    yield placing
    placing.delete(delete_jobs=True)
    for key in connection.scan_iter(f"*{name}*"):
        connection.delete(key)


def test_on_redis_a_new_comment_is_placed_by_the_worker_not_the_request(
    session, analysed_round, redis_placing
):
    from rq import SimpleWorker

    placing, (round_, job) = redis_placing, analysed_round
    comment = factories.publish_comment(session, round_, "Skolan behöver fler behöriga lärare.")
    another = factories.publish_comment(session, round_, "Fler lärare i skolan, och bättre löner.")
    assert placing.count == 1  # one pass waits for the round and takes both in
    assert readings(session, job.id, comment.id) == 0

    SimpleWorker([placing], connection=placing.connection).work(burst=True)
    assert readings(session, job.id, comment.id) == 1
    assert readings(session, job.id, another.id) == 1

    later = factories.publish_comment(session, round_, "Skolan behöver lärare i inlandet.")
    assert placing.count == 1  # the pass that ran let the next one be queued
    SimpleWorker([placing], connection=placing.connection).work(burst=True)
    assert readings(session, job.id, later.id) == 1


def test_a_placing_pass_gathering_comments_holds_no_rebuild_back(
    app, session, analysed_round, monkeypatch, placed
):
    from consult.analysis import pages, placement

    round_, _ = analysed_round
    ran = []
    looked = threading.Event()  # the pass is held until the test has looked

    def place_round(*_):
        looked.wait(timeout=30)
        ran.append("placing")
        return 0

    monkeypatch.setattr(placement, "place_round", place_round)
    monkeypatch.setattr(pages, "warm", lambda *_: ran.append("rebuild"))
    app.config["ANALYSIS_PLACING_DELAY_SECONDS"] = 0.2
    factories.publish_comment(session, round_, "Bredband och fiber till byarna behövs.")
    queue.dispatch_rebuild(app, round_.id)  # as after a moderation decision, a moment later
    queue.round_task_executor(app, queue.REBUILDING).submit(lambda: None).result(timeout=30)
    assert ran == ["rebuild"]  # not held back behind the pass, which gathers on its thread
    looked.set()

    placed()
    assert ran == ["rebuild", "placing"]


def test_the_rq_worker_places_a_pass_handed_on_with_a_delay(
    app, session, analysed_round, rq_worker
):
    round_, job = analysed_round
    rq_app_config(app, rq_worker)
    app.config["ANALYSIS_PLACING_DELAY_SECONDS"] = 0.5
    comment = factories.publish_comment(session, round_, "Skolan behöver fler behöriga lärare.")
    # It waits on RQ's schedule, which the worker's own scheduler moves onto the queue.
    wait_for(lambda: readings(session, job.id, comment.id) == 1, 120, "the worker to place it")


def test_on_redis_a_placing_pass_gathers_on_the_schedule_leaving_the_worker_free(
    app, session, analysed_round, redis_placing
):
    from rq import SimpleWorker

    placing, (round_, job) = redis_placing, analysed_round
    app.config["ANALYSIS_PLACING_DELAY_SECONDS"] = 0.5
    comment = factories.publish_comment(session, round_, "Skolan behöver fler behöriga lärare.")
    # The pass waits in RQ's schedule: no worker is kept busy by its wait.
    assert placing.count == 0 and placing.scheduled_job_registry.count == 1
    queue.dispatch_rebuild(app, round_.id)
    assert [j.args for j in placing.jobs] == [("rebuild", round_.id)]

    time.sleep(0.6)
    SimpleWorker([placing], connection=placing.connection).work(burst=True, with_scheduler=True)
    assert placing.scheduled_job_registry.count == 0 and placing.count == 0
    assert readings(session, job.id, comment.id) == 1
