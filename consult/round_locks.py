"""Writes into a round side by side, and a change of the round's state waiting for them.

A comment (reply, edit, agreement) is written after checking in its own transaction that its
round is open; an administrator closing, extending or reopening the round must not slip in
between that check and the write's commit. On PostgreSQL a writer holds a shared lock on the
round for its transaction, and a change of the round takes it exclusively: it waits for the
writes in flight, and writes that come after it wait for it and then read the round as it
left it. The locks are advisory (held in the lock manager, not on the round's row), so the
row stays free for what updates it often: ``caching`` raises its data version after every
write, and with the writers holding the row FOR SHARE each of those updates waited until no
write was in flight, which in a deadline rush is the end of the rush. On SQLite, whose writer
holds the database's only write lock from the first statement (``db._begin_sqlite``), there
is nothing to add.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

# The first key of the advisory locks on rounds (the second is the round's id): "rd".
ROUND_LOCKS = 0x7264


def _locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def for_writing(session: Session, round_id: int) -> None:
    """Hold the round for a write until ``session``'s transaction ends (shared with other
    writes; waits while its state is being changed). Read the round after this."""
    if _locks(session):
        session.execute(select(func.pg_advisory_xact_lock_shared(ROUND_LOCKS, round_id)))


def for_changing(session: Session, round_id: int) -> None:
    """Hold the round alone until ``session``'s transaction ends: wait for the writes in
    flight, and make new ones wait. Read the round after this."""
    if _locks(session):
        session.execute(select(func.pg_advisory_xact_lock(ROUND_LOCKS, round_id)))
