"""Where a piece of personal data is stored: shared by the erasure tests and the browser journey."""

from __future__ import annotations

from sqlalchemy import String, Text, func, select

from consult.db import Base


def where_stored(session, needle: str) -> list[tuple[str, str, object]]:
    """Every (table, column, primary key) whose text contains ``needle`` (any case)."""
    found = []
    for table in Base.metadata.sorted_tables:
        key = list(table.primary_key.columns)[0]
        for column in table.columns:
            if isinstance(column.type, String | Text):
                rows = session.execute(
                    select(key).where(func.lower(column).contains(needle.lower()))
                ).scalars()
                found += [(table.name, column.name, row) for row in rows]
    return found
