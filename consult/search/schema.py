"""The database objects behind comment search, per dialect, created by migration 0022.

PostgreSQL: a stored generated column ``comment.search_vector``, the comment's text (and its
proposed wording) read with the Swedish text-search configuration, with a GIN index. A
column rather than an expression index: ranking reads the vector of every match, and
recomputing it per row made a search matching 40,000 comments take seconds, not a tenth of
one. The models do not describe the column (it exists on PostgreSQL only, and nothing writes
it); ``include_object`` keeps it out of model comparisons, and only ``document()`` reads it.

SQLite: an FTS5 table with external content (it stores only the index; the text stays in
``comment``), kept current by triggers on insert, delete and a change of the text. Its
tokenizer folds case but keeps diacritics: "å", "ä" and "ö" are letters of their own in
Swedish ("här" is not "har"), so ``remove_diacritics 0``.

SQLite rebuilds a table to alter it (Alembic's batch mode), which drops the table's triggers:
a later migration that alters ``comment`` in batch mode on SQLite must call ``drop(conn)``
before and ``create(conn)`` after it.
"""

from __future__ import annotations

from sqlalchemy import literal_column

# PostgreSQL
CONFIG = "swedish"
INDEX = "ix_comment_search"
# SQLite
TABLE = "comment_search"
TOKENIZER = "unicode61 remove_diacritics 0"
TRIGGERS = ("comment_search_insert", "comment_search_delete", "comment_search_update")
# The shadow tables FTS5 may keep beside TABLE (with external content, not "_content").
SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")

COLUMN = "search_vector"
_PG_DOCUMENT = (
    f"to_tsvector('{CONFIG}'::regconfig, COALESCE(body, '') || ' ' || COALESCE(proposed_text, ''))"
)

_PG_CREATE = [
    f"ALTER TABLE comment ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({_PG_DOCUMENT}) STORED",
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON comment USING gin ({COLUMN})",
]
_PG_DROP = [f"DROP INDEX IF EXISTS {INDEX}", f"ALTER TABLE comment DROP COLUMN IF EXISTS {COLUMN}"]

_ROW = "rowid, body, proposed_text"
_SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(body, proposed_text, "
    f"content='comment', content_rowid='id', tokenize='{TOKENIZER}')",
    f"CREATE TRIGGER IF NOT EXISTS comment_search_insert AFTER INSERT ON comment BEGIN "
    f"INSERT INTO {TABLE}({_ROW}) VALUES (new.id, new.body, new.proposed_text); END",
    f"CREATE TRIGGER IF NOT EXISTS comment_search_delete AFTER DELETE ON comment BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, {_ROW}) "
    f"VALUES ('delete', old.id, old.body, old.proposed_text); END",
    f"CREATE TRIGGER IF NOT EXISTS comment_search_update "
    f"AFTER UPDATE OF body, proposed_text ON comment BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, {_ROW}) "
    f"VALUES ('delete', old.id, old.body, old.proposed_text); "
    f"INSERT INTO {TABLE}({_ROW}) VALUES (new.id, new.body, new.proposed_text); END",
    # Index the comments already there.
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
]
_SQLITE_DROP = [*(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS)] + [
    f"DROP TABLE IF EXISTS {TABLE}"
]


def statements(dialect: str, *, drop: bool = False) -> list[str]:
    """Return the DDL that creates (or drops) the search objects on ``dialect``."""
    if dialect == "postgresql":
        return _PG_DROP if drop else _PG_CREATE
    if dialect == "sqlite":
        return _SQLITE_DROP if drop else _SQLITE_CREATE
    raise NotImplementedError(f"Comment search does not support {dialect}")


def create(connection) -> None:
    """Create the search objects (and index the comments there are) on ``connection``."""
    for statement in statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def drop(connection) -> None:
    """Drop the search objects on ``connection``."""
    for statement in statements(connection.dialect.name, drop=True):
        connection.exec_driver_sql(statement)


def is_search_object(name: str | None, type_: str) -> bool:
    """True for the search column and index, the FTS5 table and its shadow tables (which
    the models do not describe: they are the migration's)."""
    if name is None:
        return False
    if type_ == "index":
        return name == INDEX
    if type_ == "column":
        return name == COLUMN
    if type_ == "table":
        return name == TABLE or any(name == TABLE + suffix for suffix in SHADOW_SUFFIXES)
    return False


def include_object(object_, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: leave the search objects out of model comparisons."""
    return not (reflected and compare_to is None and is_search_object(name, type_))


def document():
    """PostgreSQL: the comment's text as a tsvector (the indexed generated column)."""
    return literal_column(f"comment.{COLUMN}")
