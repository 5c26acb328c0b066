"""``flask retention run``: delete what the retention periods say is no longer needed, once."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .. import clock
from ..db import expect_writes, get_session
from . import retention


@click.group("retention")
def retention_cli() -> None:
    """Retention of personal data that is no longer needed."""


@retention_cli.command("run")
@with_appcontext
def run_command() -> None:
    """Apply the retention periods now and print what was deleted."""
    expect_writes()
    config = current_app.config
    deleted = retention.run(
        get_session(),
        now=clock.now(),
        max_attempts=config["MAIL_MAX_ATTEMPTS"],
        mail_file=config["MAIL_LOG"],
    )
    click.echo(
        f"Deleted {deleted.unconfirmed_accounts} unconfirmed accounts "
        f"({deleted.held_comments} held comments, {deleted.agreements} agreements, "
        f"{deleted.follows} follows), {deleted.notifications} notifications and "
        f"{deleted.outbox_emails} e-mails, and {deleted.mail_file_messages} e-mails from the "
        "mail log file."
    )


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(retention_cli)
