"""``flask notifications send`` (one pass) and ``flask notifications worker`` (a loop)."""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import worker


@click.group("notifications")
def notifications_cli() -> None:
    """Round announcements and the e-mail outbox."""


def _report(result: worker.Tick) -> str:
    return (
        f"Announced {result.opened} opened and {result.closed} closed rounds, "
        f"{result.queues} grown moderation queues; sent {result.sent} e-mails, "
        f"{result.failed} failed."
    )


@notifications_cli.command("send")
@with_appcontext
def send_command() -> None:
    """Announce what is due and send the pending e-mails, once."""
    click.echo(_report(worker.tick(current_app._get_current_object())))


@notifications_cli.command("worker")
@with_appcontext
@click.option("--interval", type=float, default=None, help="Seconds between passes.")
def worker_command(interval: float | None) -> None:
    """Announce and send every INTERVAL seconds until stopped (Ctrl-C, or SIGTERM, which lets
    the pass under way finish: ``systemctl stop`` cuts no e-mail off mid-send)."""
    app = current_app._get_current_object()
    interval = interval or app.config["MAIL_WORKER_INTERVAL"]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    click.echo(f"Sending notifications every {interval:g} s; stop with Ctrl-C.")
    try:
        worker.run(app, stop, interval, lambda r: click.echo(_report(r)))
    except KeyboardInterrupt:
        pass
    click.echo("Stopped.")


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(notifications_cli)
