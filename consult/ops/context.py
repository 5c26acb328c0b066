"""The request id: one per request, echoed as ``X-Request-ID`` and carried into its work.

A request takes the id from an incoming ``X-Request-ID`` header only behind a trusted proxy
(``PROXY_HOPS`` > 0, so nginx set or passed it) and only when it is well-formed (8–64 of
``A-Z a-z 0-9 . _ -``); otherwise it gets a new one (uuid4 hex). Everything created during
the request that runs later (an analysis job, an e-mail in the outbox) stores it in its
``request_id`` column, and the worker that runs it sets it again with ``request_id_scope``,
so its log lines carry the id of the request that asked for the work.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Request, current_app, g, has_app_context, has_request_context

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Set by workers (a job, an e-mail being sent); a request keeps its id in ``g``.
_worker_id: ContextVar[str | None] = ContextVar("consult_request_id", default=None)


def current_request_id() -> str | None:
    """Return the id of the request being served, or the one a worker set; else None."""
    if has_request_context():
        found = g.get("request_id")
        if found:
            return found
    return _worker_id.get()


@contextmanager
def request_id_scope(request_id: str | None) -> Iterator[None]:
    """Run the block (a job, the sending of an e-mail) under ``request_id`` (None: none)."""
    token = _worker_id.set(request_id or None)
    try:
        yield
    finally:
        _worker_id.reset(token)


def well_formed(value: str | None) -> bool:
    """Whether ``value`` may be taken as a request id."""
    return bool(value) and _WELL_FORMED.fullmatch(value) is not None


def new_request_id() -> str:
    """Return a new request id."""
    return uuid.uuid4().hex


def request_id_for(request: Request) -> str:
    """Return the id of ``request``: its proxy's when trusted and well-formed, else new."""
    incoming = request.headers.get(HEADER)
    trusted = has_app_context() and current_app.config.get("PROXY_HOPS", 0) > 0
    if trusted and well_formed(incoming):
        return incoming
    return new_request_id()


def _stamp(_mapper, _connection, target) -> None:
    if target.request_id is None:
        target.request_id = current_request_id()


def stamp_rows() -> None:
    """Give every new analysis job and outbox e-mail the current request id (once a process).

    A mapper event rather than an argument at each place that makes them, so none is missed:
    e-mail is queued from several packages, and work queued outside a request gets None (or a
    worker's id).
    """
    from sqlalchemy import event

    from ..models import Analysis, OutboxEmail

    for model in (Analysis, OutboxEmail):
        if not event.contains(model, "before_insert", _stamp):
            event.listen(model, "before_insert", _stamp)


def job_request_id(analysis_id: int) -> str | None:
    """Return the request id stored on analysis job ``analysis_id`` (in an app context)."""
    from sqlalchemy import select

    from ..db import get_session
    from ..models import Analysis

    session = get_session()
    found = session.scalar(select(Analysis.request_id).where(Analysis.id == analysis_id))
    # End the reading transaction: the job begins its own.
    session.rollback()
    return found
