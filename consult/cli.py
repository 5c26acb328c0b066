"""Flask commands: accounts, draft import and the demo consultation."""

from datetime import datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from . import clock
from .auth import services as accounts
from .consultations.importer import DraftError, import_markdown
from .db import get_session
from .models import Category, Consultation, ModerationMode, Role, Round

DATE_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]


def _local(value: datetime | None):
    return value.replace(tzinfo=clock.STOCKHOLM) if value is not None else None


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.PARTICIPANT.value)
@click.option("--category", type=click.Choice([c.value for c in Category]), default="region")
@click.option("--organisation", default="", help="Organisation name (created if new).")
@click.password_option()
def create_user_command(email, display_name, role, category, organisation, password):
    """Create an account, e.g. the first administrator."""
    try:
        user = accounts.register(
            get_session(),
            email=email,
            display_name=display_name,
            password=password,
            category=Category(category),
            new_organisation=organisation,
            role=Role(role),
            confirmed=True,
        )
    except accounts.RegistrationError as error:
        raise click.ClickException(f"Not created: {error.field} {error.key}") from error
    click.echo(f"Created {user.role.value} {user.email}.")


@click.command("import-draft")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--consultation", "slug", required=True, help="Slug of the consultation.")
@click.option("--title", help="Title, when the consultation is new.")
@click.option("--round-title", default="Remissomgång")
@click.option("--opens", type=click.DateTime(DATE_FORMATS), help="Opening time, Europe/Stockholm.")
@click.option("--closes", type=click.DateTime(DATE_FORMATS), help="Closing time, Europe/Stockholm.")
@click.option("--moderation", type=click.Choice(["pre", "post"]), default="post")
def import_draft_command(path, slug, title, round_title, opens, closes, moderation):
    """Import a Markdown draft as a new round of a consultation."""
    session = get_session()
    opens_at, closes_at = _local(opens), _local(closes)
    if (opens_at is None) != (closes_at is None):
        raise click.ClickException("Give both --opens and --closes, or neither.")
    if opens_at and closes_at <= opens_at:
        raise click.ClickException("--closes must be after --opens.")
    consultation = session.scalar(select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        if not title:
            raise click.ClickException("New consultation: give --title.")
        consultation = Consultation(slug=slug, title=title)
        session.add(consultation)
    number = len(consultation.rounds) + 1
    round_ = Round(
        consultation=consultation,
        number=number,
        title=f"{round_title} {number}",
        opens_at=opens_at,
        closes_at=closes_at,
        moderation=ModerationMode(moderation),
    )
    session.add(round_)
    try:
        text = path.read_text(encoding="utf-8")
        document = import_markdown(session, round_, text, title=consultation.title)
    except (DraftError, UnicodeDecodeError) as error:
        session.rollback()
        raise click.ClickException(f"Not imported: {error}") from error
    session.commit()
    click.echo(
        f"Imported {len(document.sections)} sections and {len(document.paragraphs)} paragraphs "
        f"into round {number} of {slug}."
    )


@click.command("demo")
@click.option("--force", is_flag=True, help="Load even though real consultations exist.")
@with_appcontext
def demo_command(force):
    """Load the demo consultation and accounts (does nothing if already loaded)."""
    from .demo import DEMO_ACCOUNTS, SLUG, load

    others = get_session().scalar(select(Consultation.id).where(Consultation.slug != SLUG))
    if others is not None and not force:
        # The demo accounts have published passwords: never add them to a real installation.
        raise click.ClickException("This database has real consultations; not loading the demo.")

    loaded = load(get_session(), clock.now())
    click.echo("Demo consultation loaded." if loaded else "Demo consultation already loaded.")
    click.echo("Demo accounts (e-mail / password):")
    for email, password, role in DEMO_ACCOUNTS:
        click.echo(f"  {role:<12} {email:<32} {password}")


@click.command("demo-large")
@click.option("--comments", default=40_000, show_default=True, type=click.IntRange(1))
@click.option("--seed", default=0, show_default=True, help="Seed for the synthetic texts.")
@with_appcontext
def demo_large_command(comments, seed):
    """Load a second, large synthetic round for timing the analysis pages (once only)."""
    from .demo import large

    session = get_session()
    if large.exists(session):
        raise click.ClickException(
            f"The large round ({large.SLUG}) is already loaded "
            f"with {large.comment_count(session)} comments; nothing changed."
        )
    large.load(session, clock.now(), comments, seed)
    round_id = session.scalar(
        select(Round.id).join(Consultation).where(Consultation.slug == large.SLUG)
    )
    click.echo(
        f"Loaded {large.comment_count(session)} comments into {large.SLUG}, round 1 "
        f"(id {round_id}). Analyse it with: flask analysis run {large.SLUG} 1"
    )


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (create_user_command, import_draft_command, demo_command, demo_large_command):
        app.cli.add_command(command)
