"""Organisations: the list with member counts, and merging a duplicate into another.

Merging moves the duplicate's members and the organisation recorded on their comments to the
target and marks the duplicate as merged; nothing is deleted, and the audit entry keeps what
was moved. Administrators only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..errors import Invalid, NotFound, WrongState
from ..models import Comment, Organisation, User
from ..permissions import require_admin, require_staff
from .directory import escape_like
from .services import clean_reason

PER_PAGE = 50


@dataclass
class Row:
    organisation: Organisation
    members: int
    comments: int
    merged_into: Organisation | None


@dataclass
class Page:
    rows: list[Row]
    total: int
    page: int
    pages: int


def _members(organisation_ids):
    return (
        select(User.organisation_id, func.count())
        .where(User.organisation_id.in_(organisation_ids))
        .group_by(User.organisation_id)
    )


def _comments(organisation_ids):
    return (
        select(Comment.author_organisation_id, func.count())
        .where(Comment.author_organisation_id.in_(organisation_ids))
        .group_by(Comment.author_organisation_id)
    )


def list_organisations(
    session: Session,
    actor: User,
    *,
    query: str = "",
    include_merged: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Return one page of organisations by name, with their member and comment counts."""
    require_staff(actor)
    conditions = []
    query = " ".join(query.split())[:200]
    if query:
        conditions.append(
            Organisation.name_key.like(f"%{escape_like(query.casefold())}%", escape="\\")
        )
    if not include_merged:
        conditions.append(Organisation.merged_into_id.is_(None))
    total = session.scalar(select(func.count()).select_from(Organisation).where(*conditions))
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    organisations = list(
        session.scalars(
            select(Organisation)
            .where(*conditions)
            .order_by(Organisation.name_key, Organisation.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    ids = [o.id for o in organisations]
    members = dict(session.execute(_members(ids)).all())
    comments = dict(session.execute(_comments(ids)).all())
    targets = {o.merged_into_id for o in organisations if o.merged_into_id}
    merged = {
        o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(targets)))
    }
    rows = [
        Row(o, members.get(o.id, 0), comments.get(o.id, 0), merged.get(o.merged_into_id))
        for o in organisations
    ]
    return Page(rows, total, page, pages)


def get_organisation(session: Session, actor: User, organisation_id: int) -> Row:
    """Return one organisation with its counts, or raise NotFound."""
    require_staff(actor)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    ids = [organisation.id]
    return Row(
        organisation,
        dict(session.execute(_members(ids)).all()).get(organisation.id, 0),
        dict(session.execute(_comments(ids)).all()).get(organisation.id, 0),
        session.get(Organisation, organisation.merged_into_id)
        if organisation.merged_into_id
        else None,
    )


MEMBERS_SHOWN = 100


def members(session: Session, actor: User, organisation: Organisation) -> list[User]:
    """Return the first members of ``organisation`` by name (staff and administrators)."""
    require_staff(actor)
    return list(
        session.scalars(
            select(User)
            .where(User.organisation_id == organisation.id)
            .order_by(User.display_name)
            .limit(MEMBERS_SHOWN)
        )
    )


def merge_targets(session: Session, actor: User, organisation: Organisation) -> list[Organisation]:
    """Return the organisations ``organisation`` could be merged into, by name."""
    require_admin(actor)
    return list(
        session.scalars(
            select(Organisation)
            .where(Organisation.merged_into_id.is_(None), Organisation.id != organisation.id)
            .order_by(Organisation.name_key)
        )
    )


def _locked(session: Session, organisation_id: int) -> Organisation | None:
    return session.scalar(
        select(Organisation)
        .where(Organisation.id == organisation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def merge(
    session: Session,
    *,
    actor: User,
    source_id: int,
    target_id: int | None,
    now: datetime,
    reason: str | None = None,
) -> Organisation:
    """Merge the duplicate ``source_id`` into ``target_id``; return the target.

    Members and the organisation recorded on comments move to the target; organisations
    merged earlier into the duplicate now point to the target too.
    """
    require_admin(actor)
    clean = clean_reason(reason, required=False)
    if target_id is None:
        raise Invalid({"target": "required"})
    if target_id == source_id:
        raise WrongState("same")
    # Lock in id order: two merges of the same pair in opposite directions cannot deadlock.
    locked = {i: _locked(session, i) for i in sorted((source_id, target_id))}
    source, target = locked[source_id], locked[target_id]
    if source is None:
        raise NotFound()
    if target is None:
        raise Invalid({"target": "required"})
    if source.merged_into_id is not None:
        raise WrongState("source_merged")
    if target.merged_into_id is not None:
        raise WrongState("target_merged")
    members = session.execute(
        update(User)
        .where(User.organisation_id == source.id)
        .values(organisation_id=target.id)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    comments = session.execute(
        update(Comment)
        .where(Comment.author_organisation_id == source.id)
        .values(author_organisation_id=target.id, author_organisation_name=target.name)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    session.execute(
        update(Organisation)
        .where(Organisation.merged_into_id == source.id)
        .values(merged_into_id=target.id)
        .execution_options(synchronize_session="fetch")
    )
    source.merged_into_id = target.id
    before = {"merged_into_id": None, "members": members, "comments": comments}
    after = {"merged_into_id": target.id, "merged_into": target.name, "members": 0, "comments": 0}
    audit.record(session, actor, "organisation.merge", source, before, after, clean, now=now)
    session.commit()
    return target
