"""Recording the SQL a request runs, for tests of what it asks of the database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def this_threads_statements(engine) -> Iterator[list[str]]:
    """Record the statements this thread runs on ``engine`` (whitespace folded), and
    "COMMIT" at each commit; the app's background threads (placing) are left out."""
    seen: list[str] = []
    thread = threading.get_ident()

    def statement(_conn, _cursor, sql, *_args) -> None:
        if threading.get_ident() == thread:
            seen.append(" ".join(sql.split()))

    def commit(_conn) -> None:
        if threading.get_ident() == thread:
            seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
