"""Finding people: the searchable, filtered user list and the queue of organisation claims."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import ClaimStatus, Organisation, Role, User
from ..permissions import require_staff

PER_PAGE = 50
BLOCKED_FILTERS = ("yes", "no")


@dataclass
class Filters:
    """What the user list is narrowed to; empty values mean "any"."""

    query: str = ""
    role: str = ""
    blocked: str = ""
    claim: str = ""

    def cleaned(self) -> Filters:
        """Return the filters with unknown values dropped, so a bad link shows everyone."""
        return Filters(
            query=" ".join(self.query.split())[:200],
            role=self.role if self.role in {r.value for r in Role} else "",
            blocked=self.blocked if self.blocked in BLOCKED_FILTERS else "",
            claim=self.claim if self.claim in {c.value for c in ClaimStatus} else "",
        )

    def as_args(self) -> dict[str, str]:
        """Return the non-empty filters as query-string arguments."""
        names = {"query": "q", "role": "roll", "blocked": "sparrad", "claim": "ansprak"}
        return {names[k]: v for k, v in vars(self).items() if v}


@dataclass
class Page:
    users: list[User]
    total: int
    page: int
    pages: int
    filters: Filters = field(default_factory=Filters)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: Filters) -> list:
    conditions = []
    if filters.query:
        pattern = f"%{escape_like(filters.query)}%"
        folded = f"%{escape_like(filters.query.casefold())}%"
        conditions.append(
            or_(
                User.display_name.ilike(pattern, escape="\\"),
                User.email.ilike(pattern, escape="\\"),
                # The organisation key is case-folded in Python: finds "Örnsköldsvik" on SQLite too.
                Organisation.name_key.like(folded, escape="\\"),
            )
        )
    if filters.role:
        conditions.append(User.role == Role(filters.role))
    if filters.blocked == "yes":
        conditions.append(User.blocked_at.is_not(None))
    elif filters.blocked == "no":
        conditions.append(User.blocked_at.is_(None))
    if filters.claim:
        # A claim only means something for someone who named an organisation.
        conditions.append(User.organisation_id.is_not(None))
        conditions.append(User.organisation_claim == ClaimStatus(filters.claim))
    return conditions


def search_users(
    session: Session, actor: User, filters: Filters, *, page: int = 1, per_page: int = PER_PAGE
) -> Page:
    """Return one page of users matching ``filters`` (name, e-mail or organisation), by name."""
    require_staff(actor)
    filters = filters.cleaned()
    conditions = _conditions(filters)
    base = select(User).outerjoin(Organisation, User.organisation_id == Organisation.id)
    total = session.scalar(
        select(func.count())
        .select_from(User)
        .outerjoin(Organisation, User.organisation_id == Organisation.id)
        .where(*conditions)
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    users = session.scalars(
        base.where(*conditions)
        .order_by(func.lower(User.display_name), User.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(list(users), total, page, pages, filters)


def claim_queue(session: Session, actor: User, *, limit: int = 200) -> tuple[list[User], int]:
    """Return the oldest unchecked organisation claims (up to ``limit``) and how many there are."""
    require_staff(actor)
    waiting = (User.organisation_id.is_not(None), User.organisation_claim == ClaimStatus.CLAIMED)
    total = session.scalar(select(func.count()).select_from(User).where(*waiting))
    users = session.scalars(
        select(User).where(*waiting).order_by(User.created_at, User.id).limit(limit)
    )
    return list(users), total
