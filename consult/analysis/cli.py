"""``flask analysis``: run an RQ worker for analysis jobs, or run one analysis in the foreground."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .. import clock
from ..db import get_session
from ..models import AnalysisStatus, Consultation, Round
from . import jobs, services
from .labels import ERROR_TEXTS, REFUSAL_TEXTS

analysis_cli = AppGroup("analysis", help="Theme analysis of a round's comments.")


@analysis_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst: bool) -> None:
    """Run analysis jobs from the Redis queue (needs CONSULT_REDIS_URL)."""
    from rq import Worker

    from .queue import rq_queue

    if not current_app.config["ANALYSIS_REDIS_URL"]:
        raise click.ClickException("Set CONSULT_REDIS_URL: without it jobs run inside the app.")
    queue = rq_queue(current_app)
    click.echo(f"Waiting for analysis jobs on {queue.name}.")
    Worker([queue], connection=queue.connection).work(burst=burst)


@analysis_cli.command("run")
@click.argument("slug")
@click.argument("number", type=int)
def run_command(slug: str, number: int) -> None:
    """Analyse round NUMBER of consultation SLUG now, in this process."""
    session = get_session()
    round_ = session.scalar(
        select(Round).join(Consultation).where(Consultation.slug == slug, Round.number == number)
    )
    if round_ is None:
        raise click.ClickException(f"No round {number} in consultation {slug!r}.")
    stale = timedelta(minutes=current_app.config["ANALYSIS_STALE_MINUTES"])
    try:
        job = services.start_as_system(session, round_, now=clock.now(), stale_after=stale)
    except services.WrongState as error:
        raise click.ClickException(str(REFUSAL_TEXTS[error.key])) from error
    click.echo(f"Analysing round {number} of {slug} (job {job.id})…")
    jobs.run(session, job.id)
    session.refresh(job)
    if job.status != AnalysisStatus.DONE:
        raise click.ClickException(f"The analysis failed: {ERROR_TEXTS.get(job.error, job.error)}")
    click.echo(f"Done: {job.comment_count} comments read.")


def init_app(app) -> None:
    """Register ``flask analysis``."""
    app.cli.add_command(analysis_cli)
