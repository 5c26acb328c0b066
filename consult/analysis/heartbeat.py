"""A running analysis job's sign of life: a thread that writes its ``heartbeat_at``.

The engine's longest steps report no progress for minutes; the heartbeat goes on beside
them, so a job whose heartbeat stops has died (its process was killed) and can be told from
one that is merely slow (see ``services.expire_stale``).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from .. import clock
from ..models import Analysis, AnalysisStatus

log = logging.getLogger(__name__)


class Heartbeat:
    """Write a running job's ``heartbeat_at`` every ``interval`` seconds from its own thread.

    Each beat is its own short transaction on its own connection; a beat that fails (a
    locked SQLite database, say) is logged and tried again. It stops when the job is no
    longer running (cancelled, given up) or has ended.
    """

    def __init__(self, engine: Engine, analysis_id: int, interval: float):
        self.engine = engine
        self.analysis_id = analysis_id
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(
            target=self._beat_until_stopped, name=f"analysis-heartbeat-{analysis_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def _beat_until_stopped(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                if not beat(self.engine, self.analysis_id):
                    return
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                log.warning("Analysis %s: could not write its heartbeat", self.analysis_id)


def beat(engine: Engine, analysis_id: int) -> bool:
    """Write one heartbeat of a running job; return False if the job is no longer running."""
    with Session(engine) as session:
        running = session.execute(
            update(Analysis)
            .where(Analysis.id == analysis_id, Analysis.status == AnalysisStatus.RUNNING)
            .values(heartbeat_at=clock.now())
        ).rowcount
        session.commit()
    return bool(running)
