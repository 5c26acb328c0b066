"""Alembic environment: migrates the database the app (or the caller) names."""

from alembic import context

from consult import models  # noqa: F401  (registers the tables on Base.metadata)
from consult.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
