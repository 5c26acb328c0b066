"""The audit log: who did what to which object, when and why, with before and after.

Every administration and moderation service calls ``record`` inside the transaction of its
change, so an entry exists exactly when the change was committed.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import clock
from .models import AuditEntry, User


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def snapshot(obj: Any, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Return ``fields`` of ``obj`` as a dict of JSON-friendly values."""
    return {name: _jsonable(getattr(obj, name)) for name in fields}


def changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    """Return only the keys whose values differ between two snapshots."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def _dump(values: dict[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps({k: _jsonable(v) for k, v in values.items()}, ensure_ascii=False)


def record(
    session: Session,
    actor: User | None,
    action: str,
    obj: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action`` on ``obj`` to the session's current transaction."""
    if getattr(obj, "id", None) is None:
        session.flush()
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        reason=(reason or "").strip() or None,
        before=_dump(before),
        after=_dump(after),
        created_at=now or clock.now(),
    )
    session.add(entry)
    return entry


@dataclass
class Change:
    field: str
    before: Any
    after: Any


def changes(entry: AuditEntry) -> list[Change]:
    """Return the fields an entry records, each with its value before and after."""
    before = json.loads(entry.before) if entry.before else {}
    after = json.loads(entry.after) if entry.after else {}
    names = list(dict.fromkeys([*before, *after]))
    return [Change(name, before.get(name), after.get(name)) for name in names]


@dataclass
class Page:
    entries: list[AuditEntry]
    total: int
    page: int
    pages: int


def entries(
    session: Session,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """Return one page of audit entries, newest first, optionally filtered."""
    conditions = []
    if action:
        conditions.append(AuditEntry.action == action)
    if actor_id is not None:
        conditions.append(AuditEntry.actor_id == actor_id)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(list(rows), total, page, pages)


def actions(session: Session) -> list[str]:
    """Return the actions that occur in the log, for filtering."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def actors(session: Session) -> list[User]:
    """Return the people who occur in the log as actors, for filtering."""
    ids = select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None)).distinct()
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.display_name)))
