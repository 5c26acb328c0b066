"""Where analysis jobs run: a thread pool inside the app by default, an RQ queue with Redis.

With ``CONSULT_REDIS_URL`` set, jobs go to the RQ queue ``ANALYSIS_QUEUE`` and a separate
process started with ``flask analysis worker`` runs them; otherwise a small thread pool owned
by the app runs them, outliving the request that started them.

Placing new comments into a round's themes (``placement``) runs here too, never in the request
that published them: in a thread of its own in the app (which loads the theme engine's
language data when the app serves its first request), or on the RQ queue
``ANALYSIS_QUEUE-placement``, which the workers take before analysis jobs. So does rebuilding
the analysis pages staff looked at after a request changed the round's themes (``RoundTask``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session
from werkzeug.utils import import_string

from .. import clock
from ..db import expect_writes, get_session
from ..errors import Unavailable
from . import jobs

log = logging.getLogger(__name__)
EXECUTOR_KEY = "analysis_executor"
PLACEMENT_EXECUTOR_KEY = "analysis_placement_executor"
REBUILD_EXECUTOR_KEY = "analysis_rebuild_executor"
WAITING_KEY = "analysis_placement_waiting"
WARMED_KEY = "analysis_placement_warmed"
REDIS_KEY = "analysis_redis"
# How long a queued task (a placing pass) keeps further ones for its round from being queued.
WAITING_SECONDS = 300
# How often a worker whose scheduler could not take RQ's lock tries again (``worker_command``).
SCHEDULER_RETRY_SECONDS = 60
# Named, not imported: placement uses this module, and the workers import it by name anyway.
PLACE_ROUND = "consult.analysis.placement.place_round"
WARM = "consult.analysis.placement.warm"
REBUILD = "consult.analysis.pages.warm"
_waiting_lock = threading.Lock()


def dispatch(app: Flask, analysis_id: int) -> Future | None:
    """Hand job ``analysis_id`` to the queue; return the Future when it runs in this process.

    If Redis cannot be reached the job is marked failed ("queue_unavailable", so it is not
    left waiting for ever) and ``Unavailable("queue")`` is raised: a 503 saying to try again.
    """
    if app.config["ANALYSIS_REDIS_URL"]:
        try:
            rq_queue(app).enqueue(
                "consult.analysis.queue.run_job",
                analysis_id,
                job_id=analysis_job_id(app, analysis_id),
                job_timeout=app.config["ANALYSIS_JOB_TIMEOUT"],
                result_ttl=0,
            )
        except _redis_error() as error:
            log.warning(
                "The job queue is unavailable; analysis job %s failed: %s", analysis_id, error
            )
            _record_unqueued(
                app, lambda session: jobs.give_up(session, analysis_id, QUEUE_DOWN, clock.now())
            )
            raise Unavailable("queue") from None
        return None
    return executor(app).submit(_run_in_app, app, analysis_id)


def dispatch_split(app: Flask, *args) -> Future | None:
    """Hand a theme split (see ``split.run_in_background``'s arguments) to the queue.

    If Redis cannot be reached the theme's page is told the split failed ("queue_unavailable":
    the theme is unchanged) and ``Unavailable("queue")`` is raised. The split runs under the
    id of the request that asked for it, so its log lines can be joined with the request's.
    """
    from ..ops.context import current_request_id

    request_id = current_request_id()
    if app.config["ANALYSIS_REDIS_URL"]:
        try:
            rq_queue(app).enqueue(
                "consult.analysis.queue.run_split",
                *args,
                request_id=request_id,
                job_timeout=app.config["ANALYSIS_JOB_TIMEOUT"],
                result_ttl=0,
            )
        except _redis_error() as error:
            _round_id, theme_id, user_id = args[:3]
            log.warning(
                "The job queue is unavailable; split of theme %s failed: %s", theme_id, error
            )
            _record_work_failed(app, user_id, theme_id, "split")
            raise Unavailable("queue") from None
        return None
    return executor(app).submit(_split_in_app, app, *args, request_id=request_id)


QUEUE_DOWN = "queue_unavailable"


def _redis_error() -> type[Exception]:
    from redis.exceptions import RedisError

    return RedisError


def _record_unqueued(app: Flask, record) -> None:
    """Run ``record(session)`` (which commits) in a session of its own: the request's may be
    mid-transaction, and its error handler rolls it back."""
    try:
        with Session(app.extensions["db_engine"]) as session:
            record(session)
    except Exception:  # noqa: BLE001 - the stale-job check gives the job up later instead
        log.exception("Could not record that work was not queued")


def _record_work_failed(app: Flask, user_id: int | None, theme_id: int, kind: str) -> None:
    from . import background

    _record_unqueued(
        app,
        lambda session: background.failed(
            session, user_id, theme_id, kind, clock.now(), QUEUE_DOWN
        ),
    )


def _split_in_app(app: Flask, *args, request_id: str | None = None) -> bool:
    from ..ops.context import request_id_scope
    from . import split

    with background_context(app), request_id_scope(request_id):
        return split.run_in_background(get_session(), *args)


def run_split(*args, request_id: str | None = None) -> bool:
    """RQ entry point for a theme split, like ``run_job``."""
    if has_app_context():
        return _split_in_app(current_app._get_current_object(), *args, request_id=request_id)
    from .. import create_app

    return _split_in_app(create_app(), *args, request_id=request_id)


def dispatch_proposals(app: Flask, theme_id: int) -> Future | None:
    """Hand the proposals for a theme made by hand to the queue.

    The theme is made already: if Redis cannot be reached, its page says the search for
    proposals failed because the queue was unavailable (nothing is raised).
    """
    if app.config["ANALYSIS_REDIS_URL"]:
        try:
            rq_queue(app).enqueue(
                "consult.analysis.queue.run_proposals",
                theme_id,
                job_timeout=app.config["ANALYSIS_JOB_TIMEOUT"],
                result_ttl=0,
            )
        except _redis_error() as error:
            log.warning(
                "The job queue is unavailable; proposals for theme %s failed: %s", theme_id, error
            )
            _record_work_failed(app, None, theme_id, "proposals")
        return None
    return executor(app).submit(_proposals_in_app, app, theme_id)


def _proposals_in_app(app: Flask, theme_id: int) -> bool:
    from . import proposals

    with background_context(app):
        return proposals.propose_in_background(get_session(), theme_id)


def run_proposals(theme_id: int) -> bool:
    """RQ entry point for the proposals of a theme made by hand, like ``run_job``."""
    if has_app_context():
        return _proposals_in_app(current_app._get_current_object(), theme_id)
    from .. import create_app

    return _proposals_in_app(create_app(), theme_id)


def executor(app: Flask) -> ThreadPoolExecutor:
    """Return the app's thread pool for analysis jobs, creating it on first use."""
    pool = app.extensions.get(EXECUTOR_KEY)
    if pool is None:
        pool = ThreadPoolExecutor(
            max_workers=app.config["ANALYSIS_THREADS"], thread_name_prefix="analysis"
        )
        app.extensions[EXECUTOR_KEY] = pool
    return pool


def rq_queue(app: Flask, name: str | None = None, *, connection=None):
    """Return the RQ queue for analysis jobs (or the queue ``name``) on the configured Redis.

    By default on the app's connection, which gives up quickly (requests hand work to it); a
    worker passes a connection of its own, without a read timeout, for its blocking waits.
    """
    from rq import Queue

    return Queue(name or app.config["ANALYSIS_QUEUE"], connection=connection or _redis(app))


def _run_in_app(app: Flask, analysis_id: int) -> bool:
    from ..ops.context import job_request_id, request_id_scope

    with background_context(app), request_id_scope(job_request_id(analysis_id)):
        # Log lines of the job carry the id of the request that started it.
        log.info("Analysis job %s starts", analysis_id)
        session = get_session()
        ran = jobs.run(session, analysis_id, heartbeat=app.config["ANALYSIS_HEARTBEAT_SECONDS"])
        round_id = jobs.round_of(session, analysis_id)
        log.info("Analysis job %s ends (%s)", analysis_id, "ran" if ran else "did not run")
    if ran and round_id is not None:
        # Comments published while the job ran are not in it: place them now.
        try:
            dispatch_placement(app, round_id)
        except Exception:  # noqa: BLE001 - the next comment's pass places them
            log.exception("Could not hand round %s's new comments to placing", round_id)
    return ran


def run_job(analysis_id: int) -> bool:
    """RQ entry point: run one job in the worker's app (or a new one from the environment)."""
    if has_app_context():
        # A fresh app context per job: each job gets its own database session.
        return _run_in_app(current_app._get_current_object(), analysis_id)
    from .. import create_app

    return _run_in_app(create_app(), analysis_id)


@dataclass(frozen=True)
class RoundTask:
    """Background work over one round that a request hands on and never waits for; while
    one waits to run, handing it on again for the same round queues nothing more."""

    name: str  # in its waiting flag
    path: str  # run as path(session, round_id)
    gathers: bool  # runs ANALYSIS_PLACING_DELAY_SECONDS later, taking in what comes meanwhile
    executor: str  # without Redis, the app's thread for it (in ``app.extensions``)


# The placing pass (``placement.place_round``) places every published comment of the round
# that its last analysis has not read yet, so one pass catches up on those an earlier one
# missed. Rebuilding (``pages.warm``) builds again what staff looked at of the round's
# analysis pages after a request changed its themes. Each kind has a thread of its own in
# the app, and on RQ a pass waits on the schedule, so a pass gathering a rush's comments
# never holds a rebuild back.
PLACING = RoundTask("waiting", PLACE_ROUND, gathers=True, executor=PLACEMENT_EXECUTOR_KEY)
REBUILDING = RoundTask("rebuild", REBUILD, gathers=False, executor=REBUILD_EXECUTOR_KEY)
ROUND_TASKS = {task.name: task for task in (PLACING, REBUILDING)}


def dispatch_placement(app: Flask, round_id: int) -> None:
    """Hand a placing pass over the round's new comments to the background; never waits."""
    dispatch_round_task(app, PLACING, round_id)


def dispatch_rebuild(app: Flask, round_id: int) -> None:
    """Hand the rebuilding of the round's analysis pages staff looked at to the background."""
    dispatch_round_task(app, REBUILDING, round_id)


def dispatch_round_task(app: Flask, task: RoundTask, round_id: int) -> None:
    """Queue ``task`` for the round unless one already waits: with Redis on the RQ queue
    ``placement_queue_name`` (a task that ``gathers`` on RQ's schedule, which a worker's
    scheduler moves onto the queue when its delay is over), otherwise on the app's thread
    for that kind of task."""
    if app.config["ANALYSIS_REDIS_URL"]:
        _enqueue_round_task(app, task, round_id)
        return
    waiting = app.extensions.setdefault(WAITING_KEY, set())
    with _waiting_lock:
        if (task.name, round_id) in waiting:
            return
        waiting.add((task.name, round_id))
    try:
        round_task_executor(app, task).submit(_round_task_in_app, app, task, round_id)
    except RuntimeError:  # the process is shutting down: let a later one be queued
        with _waiting_lock:
            waiting.discard((task.name, round_id))
        raise


def _enqueue_round_task(app: Flask, task: RoundTask, round_id: int) -> None:
    connection = _redis(app)
    delay = _delay(app, task)
    # A task already waiting for the round does the work of this one too (the flag expires,
    # so one lost with a flushed Redis holds nothing up for long).
    flag = _waiting_flag(app, task, round_id)
    if not connection.set(flag, 1, nx=True, ex=WAITING_SECONDS + math.ceil(delay)):
        return
    job = ("consult.analysis.queue.run_round_task", task.name, round_id)
    options = {
        "job_timeout": app.config["ANALYSIS_JOB_TIMEOUT"],
        "result_ttl": 0,
        "failure_ttl": 24 * 60 * 60,
    }
    queue = rq_queue(app, placement_queue_name(app))
    try:
        if delay > 0:
            queue.enqueue_in(timedelta(seconds=delay), *job, **options)
        else:
            queue.enqueue(*job, **options)
    except _redis_error():
        # Redis went away between the two: let the next one be queued.
        try:
            connection.delete(flag)
        except _redis_error():
            pass  # the flag expires by itself
        raise


def run_placement(round_id: int) -> int:
    """RQ entry point of the placing passes queued before ``run_round_task`` took over."""
    return run_round_task(PLACING.name, round_id)


def _round_task_in_app(app: Flask, task: RoundTask, round_id: int):
    delay = _delay(app, task)
    if delay > 0:
        # While a pass waits, its round's flag is up: the comments posted meanwhile queue
        # no pass of their own and are read by this one. A rush's wave is placed in one pass.
        time.sleep(delay)
    with _waiting_lock:
        # What is committed from now on needs another run: let the next one be queued.
        app.extensions.setdefault(WAITING_KEY, set()).discard((task.name, round_id))
    return _task_in_app(app, task.path, round_id)


def run_round_task(name: str, round_id: int):
    """RQ entry point for a round's background task (``RoundTask``), like ``run_job``.
    A pass that gathers has waited on RQ's schedule already."""
    app = current_app._get_current_object() if has_app_context() else None
    if app is None:
        from .. import create_app

        app = create_app()
    task = ROUND_TASKS[name]
    # What is committed from now on needs another run: let the next one be queued.
    _redis(app).delete(_waiting_flag(app, task, round_id))
    return _task_in_app(app, task.path, round_id)


def _delay(app: Flask, task: RoundTask) -> float:
    return app.config["ANALYSIS_PLACING_DELAY_SECONDS"] if task.gathers else 0


def _waiting_flag(app: Flask, task: RoundTask, round_id: int) -> str:
    return f"{placement_queue_name(app)}:{task.name}:{round_id}"


def round_task_executor(app: Flask, task: RoundTask) -> ThreadPoolExecutor:
    """Return the app's thread for ``task``'s kind of work (apart from analysis jobs, which
    would keep it waiting for minutes), creating it on first use."""
    with _waiting_lock:
        pool = app.extensions.get(task.executor)
        if pool is None:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=task.name)
            app.extensions[task.executor] = pool
    return pool


def placement_executor(app: Flask) -> ThreadPoolExecutor:
    """Return the app's thread for placing new comments."""
    return round_task_executor(app, PLACING)


def round_tasks_done(app: Flask) -> None:
    """Wait until the app's threads have run the round tasks handed to them so far (each is
    one thread, first in first out)."""
    for task in ROUND_TASKS.values():
        pool = app.extensions.get(task.executor)
        if pool is not None:
            pool.submit(lambda: None).result(timeout=120)


def placement_queue_name(app: Flask) -> str:
    """Return the name of the RQ queue for placing new comments (the workers take it first)."""
    return f"{app.config['ANALYSIS_QUEUE']}-placement"


@contextmanager
def background_context(app: Flask):
    """An app context for background work: its own session, whose transactions write (on
    SQLite they begin IMMEDIATE, so the job waits for other writers instead of failing)."""
    with app.app_context():
        expect_writes()
        yield


def _task_in_app(app: Flask, path: str, *args):
    with background_context(app):
        return import_string(path)(get_session(), *args)


def start_background(app: Flask) -> None:
    """Start the app's placement thread and load the theme engine's language data in it, so
    the first new comment is placed without a wait (nothing of it happens in a request).

    With Redis the RQ worker does this when it starts (``flask analysis worker``).
    """
    if app.config["ANALYSIS_REDIS_URL"] or WARMED_KEY in app.extensions:
        return
    with _waiting_lock:
        if WARMED_KEY in app.extensions:
            return
        app.extensions[WARMED_KEY] = True
    placement_executor(app).submit(_warm)


def prepare(app: Flask) -> None:
    """Load what handing work to the background needs, before a worker's first request:
    with Redis, RQ's modules (importing them takes tens of milliseconds) and the connection."""
    if app.config["ANALYSIS_REDIS_URL"]:
        import rq  # noqa: F401

        _redis(app).ping()


def _warm() -> None:
    try:
        import_string(WARM)()
    except Exception:  # noqa: BLE001 - the first placement loads what it needs instead
        log.exception("Could not load the theme engine's language data in advance")


def shutdown(app: Flask) -> None:
    """Wait for the app's background threads to finish what they were handed, and stop them
    (analysis jobs first: one that ends hands its round a placing pass)."""
    for key in (EXECUTOR_KEY, *(task.executor for task in ROUND_TASKS.values())):
        pool = app.extensions.pop(key, None)
        if pool is not None:
            pool.shutdown(wait=True)
    app.extensions.pop(WAITING_KEY, None)


def init_app(app: Flask) -> None:
    """Start the background runner with the app's first request (not in tests, not with
    Redis). Not at import: ``flask db upgrade`` and other commands create the app too."""
    if app.config["TESTING"] or not app.config["ANALYSIS_WARM"]:
        return

    @app.before_request
    def _start_background() -> None:
        if WARMED_KEY not in app.extensions:
            start_background(app)


def stop(app: Flask, analysis_id: int) -> None:
    """Stop job ``analysis_id`` in the RQ worker after staff cancelled it (best effort).

    A queued job is taken off the queue and a running one's work horse is stopped. In the
    thread pool a thread cannot be stopped: the job stops at its next step (see ``jobs``).
    """
    if not app.config["ANALYSIS_REDIS_URL"]:
        return
    from rq.command import send_stop_job_command
    from rq.exceptions import InvalidJobOperation, NoSuchJobError
    from rq.job import Job, JobStatus

    connection = _redis(app)
    job_id = analysis_job_id(app, analysis_id)
    try:
        job = Job.fetch(job_id, connection=connection)
        status = job.get_status()
        if status == JobStatus.STARTED:
            send_stop_job_command(connection, job_id)
        elif status in (JobStatus.QUEUED, JobStatus.DEFERRED, JobStatus.SCHEDULED):
            job.cancel()
    except (NoSuchJobError, InvalidJobOperation):
        return
    except Exception:  # noqa: BLE001 - the job is marked cancelled already; it stops at its next step
        log.exception("Could not stop analysis job %s in the RQ worker", analysis_id)


def analysis_job_id(app: Flask, analysis_id: int) -> str:
    """Return the RQ job id of analysis job ``analysis_id`` ("consult-analysis-7")."""
    return f"{app.config['ANALYSIS_QUEUE']}-{analysis_id}"


def analysis_id_of(job) -> int | None:
    """Return the analysis job an RQ job runs, or None for other jobs."""
    if job.func_name != "consult.analysis.queue.run_job" or not job.args:
        return None
    return int(job.args[0])


def worker_class(app: Flask):
    """Return the RQ worker class for analysis jobs: RQ's own, telling the app at once when
    a job's work horse dies (killed, out of memory), instead of leaving it "under way"."""
    from rq import Worker

    class AnalysisWorker(Worker):
        def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
            super().handle_work_horse_killed(job, retpid, ret_val, rusage)
            analysis_id = analysis_id_of(job)
            if analysis_id is None:
                return
            try:
                with Session(app.extensions["db_engine"]) as session:
                    jobs.give_up(session, analysis_id, "worker_killed", clock.now())
            except Exception:  # noqa: BLE001 - the heartbeat limit catches it instead
                log.exception("Could not record that analysis job %s died", analysis_id)

    return AnalysisWorker


def _redis(app: Flask):
    """Return the app's Redis connection (made once; quick to give up on an unreachable
    server, so that a request handing work to it never hangs)."""
    connection = app.extensions.get(REDIS_KEY)
    if connection is None:
        from redis import Redis

        connection = Redis.from_url(
            app.config["ANALYSIS_REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
        )
        app.extensions[REDIS_KEY] = connection
    return connection
