"""Working groups, their chairs and members, and events for the event tests."""

from __future__ import annotations

from datetime import UTC, datetime

from consult.models import (
    Category,
    Event,
    EventKind,
    GroupMembership,
    GroupRole,
    Role,
    WorkingGroup,
)
from tests import factories


def make_group(session, consultation, name="Innovationskraft", slug=None, position=0):
    group = WorkingGroup(
        consultation_id=consultation.id,
        slug=slug or name.lower().replace(" ", "-"),
        name=name,
        position=position,
    )
    session.add(group)
    session.commit()
    return group


def join(session, user, group, role=GroupRole.MEMBER):
    session.add(
        GroupMembership(
            group_id=group.id,
            user_id=user.id,
            role=role,
            category=user.category or Category.MUNICIPALITY,
        )
    )
    session.commit()
    return user


def person(session, group=None, role=GroupRole.MEMBER, **kwargs):
    user = factories.make_user(session, **kwargs)
    if group is not None:
        join(session, user, group, role)
    return user


def staff(session):
    return factories.make_user(session, role=Role.STAFF)


def make_event(session, consultation, groups=(), *, title="Uppstartsdag", starts_at=None,
               ends_at=None, slug=None, **fields):  # fmt: skip
    event = Event(
        consultation_id=consultation.id,
        slug=slug or title.lower().replace(" ", "-"),
        title=title,
        starts_at=starts_at or datetime(2027, 3, 20, 8, 30, tzinfo=UTC),
        ends_at=ends_at or datetime(2027, 3, 20, 15, 0, tzinfo=UTC),
        kind=fields.pop("kind", EventKind.ON_SITE),
        **fields,
    )
    event.groups = list(groups)
    session.add(event)
    session.commit()
    return event


def local(year, month, day, hour, minute=0):
    """A Stockholm wall-clock time as the naive value a form gives the service."""
    from consult import clock

    return datetime(year, month, day, hour, minute, tzinfo=clock.STOCKHOLM).astimezone(UTC)
