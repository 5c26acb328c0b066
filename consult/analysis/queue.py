"""Where analysis jobs run: a thread pool inside the app by default, an RQ queue with Redis.

With ``CONSULT_REDIS_URL`` set, jobs go to the RQ queue ``ANALYSIS_QUEUE`` and a separate
process started with ``flask analysis worker`` runs them; otherwise a small thread pool owned
by the app runs them, outliving the request that started them.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from flask import Flask, current_app, has_app_context

from ..db import get_session
from . import jobs

EXECUTOR_KEY = "analysis_executor"


def dispatch(app: Flask, analysis_id: int) -> Future | None:
    """Hand job ``analysis_id`` to the queue; return the Future when it runs in this process."""
    if app.config["ANALYSIS_REDIS_URL"]:
        rq_queue(app).enqueue(
            "consult.analysis.queue.run_job",
            analysis_id,
            job_id=f"consult-analysis-{analysis_id}",
            job_timeout=app.config["ANALYSIS_JOB_TIMEOUT"],
            result_ttl=0,
        )
        return None
    return executor(app).submit(_run_in_app, app, analysis_id)


def dispatch_split(app: Flask, *args) -> Future | None:
    """Hand a theme split (see ``split.run_in_background``'s arguments) to the queue."""
    if app.config["ANALYSIS_REDIS_URL"]:
        rq_queue(app).enqueue(
            "consult.analysis.queue.run_split",
            *args,
            job_timeout=app.config["ANALYSIS_JOB_TIMEOUT"],
            result_ttl=0,
        )
        return None
    return executor(app).submit(_split_in_app, app, *args)


def _split_in_app(app: Flask, *args) -> bool:
    from . import split

    with app.app_context():
        return split.run_in_background(get_session(), *args)


def run_split(*args) -> bool:
    """RQ entry point for a theme split, like ``run_job``."""
    if has_app_context():
        return _split_in_app(current_app._get_current_object(), *args)
    from .. import create_app

    return _split_in_app(create_app(), *args)


def dispatch_proposals(app: Flask, theme_id: int) -> Future | None:
    """Hand the proposals for a theme made by hand to the queue."""
    if app.config["ANALYSIS_REDIS_URL"]:
        rq_queue(app).enqueue(
            "consult.analysis.queue.run_proposals",
            theme_id,
            job_timeout=app.config["ANALYSIS_JOB_TIMEOUT"],
            result_ttl=0,
        )
        return None
    return executor(app).submit(_proposals_in_app, app, theme_id)


def _proposals_in_app(app: Flask, theme_id: int) -> bool:
    from . import proposals

    with app.app_context():
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


def rq_queue(app: Flask):
    """Return the RQ queue for analysis jobs on the configured Redis."""
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(app.config["ANALYSIS_REDIS_URL"])
    return Queue(app.config["ANALYSIS_QUEUE"], connection=connection)


def _run_in_app(app: Flask, analysis_id: int) -> bool:
    with app.app_context():
        return jobs.run(get_session(), analysis_id)


def run_job(analysis_id: int) -> bool:
    """RQ entry point: run one job in the worker's app (or a new one from the environment)."""
    if has_app_context():
        # A fresh app context per job: each job gets its own database session.
        return _run_in_app(current_app._get_current_object(), analysis_id)
    from .. import create_app

    return _run_in_app(create_app(), analysis_id)
