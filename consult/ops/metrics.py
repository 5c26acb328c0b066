"""Metrics for Prometheus at ``/metrics`` (text format, behind a bearer token).

Two kinds of figures:

- **Requests**, counted in the process that answers them: ``consult_http_requests_total`` and
  the histogram ``consult_http_request_duration_seconds``, labelled by endpoint name (e.g.
  ``consultations.show``; ``none`` when no route matched), method and status class (``2xx``).
  Never by raw URL, so the number of series stays fixed whatever addresses are asked for.
- **The state of the work**, read from the database when Prometheus scrapes (``DatabaseFigures``):
  analysis jobs by status, their durations (``started_at`` to ``finished_at``) and failures,
  the outbox backlog (e-mails not yet sent that will still be tried, and those given up),
  and the moderation queue (``consult.moderation_queue``). Jobs run on other machines (RQ
  workers) and e-mail is sent by whichever process claims it, so counting them where they
  happen would need every one of those processes scraped and would lose figures when one
  restarts; the database has them all, in one place, and survives restarts. The queries are
  a few indexed counts plus the finished jobs' times (jobs are few).

Several gunicorn workers per server: prometheus_client's multiprocess mode. Set
``PROMETHEUS_MULTIPROC_DIR`` to an empty folder writable by the app (cleared at each start,
e.g. ``/run/consult/metrics``) in the environment of gunicorn before it starts; each worker
then writes its request figures there and any worker answering ``/metrics`` adds them up.
gunicorn's ``child_exit`` hook calls ``child_exit`` below so a dead worker's live figures go.
"""

from __future__ import annotations

import hmac
import os

from flask import Flask, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Analysis, AnalysisStatus, Comment, OutboxEmail
from ..moderation_queue import in_queue

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
LABELS = ("endpoint", "method", "status")

# The process's own figures, in a registry of this module's (importing it again, as the
# import tests do, makes a new one instead of a clash in prometheus_client's global one).
PROCESS_REGISTRY = CollectorRegistry()
ProcessCollector(registry=PROCESS_REGISTRY)
REQUESTS = Counter(
    "consult_http_requests", "Requests answered, by route.", LABELS, registry=PROCESS_REGISTRY
)
LATENCY = Histogram(
    "consult_http_request_duration_seconds",
    "Time from the request's start to its response, by route.",
    LABELS,
    buckets=REQUEST_BUCKETS,
    registry=PROCESS_REGISTRY,
)


def observe(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """Count a request answered in ``seconds``."""
    labels = (
        endpoint or "none",
        method if method in METHODS else "OTHER",
        f"{status // 100}xx",
    )
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


class DatabaseFigures:
    """A collector that reads the state of jobs, e-mail and moderation at scrape time."""

    def __init__(self, session: Session, max_attempts: int):
        self.session = session
        self.max_attempts = max_attempts

    def collect(self):
        session = self.session
        by_status = dict(
            session.execute(select(Analysis.status, func.count()).group_by(Analysis.status)).all()
        )
        jobs = GaugeMetricFamily(
            "consult_analysis_jobs", "Analysis jobs in the database, by status.", labels=["status"]
        )
        for status in AnalysisStatus:
            jobs.add_metric([status.value], by_status.get(status, 0))
        yield jobs
        yield CounterMetricFamily(
            "consult_analysis_job_failures",
            "Analysis jobs that failed (errors, dead workers, given up waiting).",
            value=by_status.get(AnalysisStatus.FAILED, 0),
        )
        yield self._durations()

        unsent = OutboxEmail.sent_at.is_(None)
        backlog = session.scalar(
            select(func.count())
            .select_from(OutboxEmail)
            .where(unsent, OutboxEmail.attempts < self.max_attempts)
        )
        given_up = session.scalar(
            select(func.count())
            .select_from(OutboxEmail)
            .where(unsent, OutboxEmail.attempts >= self.max_attempts)
        )
        yield GaugeMetricFamily(
            "consult_outbox_backlog", "E-mails waiting to be sent (not given up).", value=backlog
        )
        yield GaugeMetricFamily(
            "consult_outbox_given_up", "E-mails never sent after every attempt.", value=given_up
        )

        queue = GaugeMetricFamily(
            "consult_moderation_queue_length",
            "Comments waiting for staff, by kind (sum them for the queue's length).",
            labels=["kind"],
        )
        for kind in ("pending", "reported", "hidden"):
            count = session.scalar(select(func.count()).select_from(Comment).where(in_queue(kind)))
            queue.add_metric([kind], count)
        yield queue

    def _durations(self) -> HistogramMetricFamily:
        rows = self.session.execute(
            select(Analysis.started_at, Analysis.finished_at).where(
                Analysis.status.in_((AnalysisStatus.DONE, AnalysisStatus.FAILED)),
                Analysis.started_at.is_not(None),
                Analysis.finished_at.is_not(None),
            )
        ).all()
        seconds = [max(0.0, (end - start).total_seconds()) for start, end in rows]
        buckets = [(str(bound), sum(1 for s in seconds if s <= bound)) for bound in JOB_BUCKETS]
        buckets.append(("+Inf", len(seconds)))
        return HistogramMetricFamily(
            "consult_analysis_job_duration_seconds",
            "Run time of finished analysis jobs (done or failed).",
            buckets=buckets,
            sum_value=sum(seconds),
        )


def multiprocess_dir() -> str | None:
    """Return the folder of prometheus_client's multiprocess mode, when it is on."""
    return os.environ.get(MULTIPROC_ENV) or None


def exposition(session: Session, max_attempts: int) -> bytes:
    """Return every figure in Prometheus's text format."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        processes = generate_latest(registry)
    else:
        processes = generate_latest(PROCESS_REGISTRY)
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseFigures(session, max_attempts))
    return processes + generate_latest(database)


def authorised(app: Flask) -> bool:
    """Whether the request carries ``Authorization: Bearer <METRICS_TOKEN>`` (constant time)."""
    token = app.config.get("METRICS_TOKEN") or ""
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def child_exit(server, worker) -> None:
    """gunicorn's ``child_exit`` hook: drop a dead worker's live figures (multiprocess mode)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
