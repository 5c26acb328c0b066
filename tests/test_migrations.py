"""The migrations create exactly the schema the models describe."""

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from consult import db, models
from consult.search.schema import include_object

from . import factories


def test_migrated_schema_matches_the_models(app):
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:
        # The search objects (consult/search/schema.py) are the migration's, not the models'.
        opts = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, db.Base.metadata)
    assert differences == []


def test_migrating_a_sqlite_database_in_use_keeps_its_themes(tmp_path):
    """SQLite rebuilds a table to alter it; tables pointing at it must not stop that."""
    url = f"sqlite:///{tmp_path / 'in-use.db'}"
    db.upgrade(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        round_ = factories.make_round(
            session,
            opens_at=datetime(2026, 1, 1, tzinfo=UTC),
            closes_at=datetime(2026, 2, 1, tzinfo=UTC),
        )
        comment = factories.make_comment(session, round_, factories.make_user(session))
        theme = models.Theme(round_id=round_.id, name="Trafik", origin=models.Origin.STAFF)
        session.add(theme)
        session.flush()
        session.add(
            models.ThemeAssignment(
                comment_id=comment.id, theme_id=theme.id, source=models.Origin.STAFF
            )
        )
        session.commit()
    engine.dispose()

    command.downgrade(db.alembic_config(url), "0005")  # rebuilds the theme table tags point at
    db.upgrade(url)

    engine = db.make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT name FROM theme").scalars().all() == ["Trafik"]
        assert connection.exec_driver_sql("SELECT count(*) FROM theme_assignment").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
