"""``flask analysis``: run an RQ worker for analysis jobs, run one analysis in the foreground,
or place the comments published since each round's last analysis."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from .. import clock
from ..db import expect_writes, get_session
from ..errors import WrongState
from ..models import AnalysisStatus, Consultation, Round
from . import jobs, placement, queue, services
from .labels import ERROR_TEXTS, REFUSAL_TEXTS

analysis_cli = AppGroup("analysis", help="Theme analysis of a round's comments.")


@analysis_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(burst: bool) -> None:
    """Run analysis jobs and placing passes from Redis (needs CONSULT_REDIS_URL).

    The theme engine's language data is loaded before the first job is taken, so every job
    (run in a process forked from this one) starts with it loaded. Placing new comments
    comes before analysis jobs; a forked scheduler process queues placing passes when their
    gathering delay is over.
    """
    if not current_app.config["ANALYSIS_REDIS_URL"]:
        raise click.ClickException("Set CONSULT_REDIS_URL: without it jobs run inside the app.")
    from redis import Redis

    app = current_app._get_current_object()
    connection = Redis.from_url(app.config["ANALYSIS_REDIS_URL"], socket_connect_timeout=2)
    analyses = queue.rq_queue(app, connection=connection)
    placing = queue.rq_queue(app, queue.placement_queue_name(app), connection=connection)
    click.echo("Loading the theme engine's language data…")
    placement.warm()
    click.echo(f"Waiting for jobs on {placing.name} and {analyses.name}.")
    worker = queue.worker_class(app)(
        [placing, analyses],
        connection=analyses.connection,
        # Its scheduler queues the placing passes handed on with a delay (``RoundTask.gathers``).
        # After a worker died, its scheduler's lock outlives it for a minute; a new worker
        # takes the lock over at its next maintenance: every minute, waking at least as
        # often, instead of RQ's ten minutes and its idle wait of nearly seven.
        maintenance_interval=queue.SCHEDULER_RETRY_SECONDS,
        worker_ttl=queue.SCHEDULER_RETRY_SECONDS + 15,  # RQ waits for jobs 15 s less
    )
    worker.work(burst=burst, with_scheduler=True)


@analysis_cli.command("run")
@click.argument("slug")
@click.argument("number", type=int)
def run_command(slug: str, number: int) -> None:
    """Analyse round NUMBER of consultation SLUG now, in this process."""
    expect_writes()
    session = get_session()
    round_ = session.scalar(
        select(Round).join(Consultation).where(Consultation.slug == slug, Round.number == number)
    )
    if round_ is None:
        raise click.ClickException(f"No round {number} in consultation {slug!r}.")
    config = current_app.config
    try:
        job = services.start_as_system(session, round_, now=clock.now(), **services.limits(config))
    except WrongState as error:
        raise click.ClickException(str(REFUSAL_TEXTS[error.key])) from error
    click.echo(f"Analysing round {number} of {slug} (job {job.id})…")
    jobs.run(session, job.id, heartbeat=config["ANALYSIS_HEARTBEAT_SECONDS"])
    session.refresh(job)
    if job.status != AnalysisStatus.DONE:
        raise click.ClickException(f"The analysis failed: {ERROR_TEXTS.get(job.error, job.error)}")
    click.echo(f"Done: {job.comment_count} comments read.")
    # Comments published while it ran join its themes now.
    placement.place_round(session, round_.id)


@analysis_cli.command("place")
def place_command() -> None:
    """Place every comment published since its round's last analysis (a catch-up pass)."""
    expect_writes()
    placed = placement.place_all(get_session())
    click.echo(f"{placed} comments placed.")


def init_app(app) -> None:
    """Register ``flask analysis``, and the start of the app's background runner."""
    app.cli.add_command(analysis_cli)
    queue.init_app(app)
