"""The strategy process around the demo consultation: the eight working groups, each owning
its chapter of the draft, the kick-off day in Lycksele (programme, eight workshop sessions,
registrations, notes and the points that became comments) and an upcoming, full dialogue
meeting with a waiting list.

The texts live in ``data/process.json``; :func:`load` is called by the demo's own ``load``
inside its transaction, so it runs once with the rest of the demo.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from .. import clock
from ..models import (
    Category,
    ClaimStatus,
    Document,
    Event,
    EventKind,
    EventSession,
    GroupChapter,
    GroupMembership,
    GroupRole,
    NameShown,
    Organisation,
    ProgrammeItem,
    Registration,
    RegistrationStatus,
    Round,
    User,
    WorkingGroup,
    utcnow,
)
from . import DEMO_CONTACT, DEMO_DOMAIN, PRE_VERIFIED, _comment, _read_json, _targets

# The demo account that is secretary of Trafik och infrastruktur (see DEMO_ACCOUNTS).
GROUP_MEMBER_KEY = "@gruppmedlem"
# Dietary and accessibility needs are deleted this many days after an event (the default
# retention period, RetentionSetting.event_needs_days).
NEEDS_DAYS = 30


def kickoff_day(now: datetime, month: int = 9, day: int = 26) -> date:
    """The kick-off's date: 26 September of this year if the day after it has passed
    (so its notes and comments lie in the past), else of the year before."""
    today = now.astimezone(clock.STOCKHOLM)
    this_year = date(today.year, month, day)
    if _at(this_year + timedelta(days=1), "16:00") <= now:
        return this_year
    return date(today.year - 1, month, day)


def load(
    session: Session,
    round_: Round,
    document: Document,
    accounts: dict[str, User],
    people: dict[str, User],
    organisations: dict[str, Organisation],
    password_hash: str,
    now: datetime,
) -> None:
    """Add the groups, the kick-off and the dialogue meeting of the demo consultation."""
    data = _read_json("process.json")
    consultation = round_.consultation
    session.flush()
    admin = accounts["admin"]
    everyone = dict(people)
    everyone.update(_extra_people(session, organisations, data["people"], password_hash))
    everyone[GROUP_MEMBER_KEY] = accounts["gruppmedlem"]
    session.flush()

    day = kickoff_day(now, data["kickoff"]["month"], data["kickoff"]["day"])
    formed = _at(day - timedelta(days=35), "10:00")
    groups = _groups(session, consultation, document, data["groups"], everyone, admin, formed)
    moved = _at(day + timedelta(days=1), "09:00")
    for entry in data["groups"]:
        for former in entry.get("former", []):
            _move(groups[entry["slug"]], groups[former["moved_to"]], everyone[former["key"]], moved)
    session.flush()

    kickoff = _kickoff(session, consultation, data["kickoff"], day, groups, everyone, admin, now)
    _event_comments(session, round_, document, kickoff, data["kickoff"], groups, day)
    _dialogue(session, consultation, data["dialogue"], groups, everyone, admin, now)
    session.flush()


def _at(day: date, clock_time: str) -> datetime:
    """A Stockholm wall-clock time on a day, as an aware datetime."""
    hours, minutes = (int(part) for part in clock_time.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=clock.STOCKHOLM)


def _extra_people(session, organisations, entries, password_hash) -> dict[str, User]:
    """The group secretaries and members the comment data has no use for (made as in _people)."""
    made = {}
    for entry in entries:
        user = User(
            email=f"{entry['key']}@{DEMO_DOMAIN}",
            display_name=entry["display_name"],
            password_hash=password_hash,
            category=Category(entry["category"]),
            organisation=organisations[entry["organisation"]],
            name_shown=NameShown.FULL,
            email_confirmed_at=utcnow(),
            organisation_claim=(
                ClaimStatus.VERIFIED
                if Category(entry["category"]) in PRE_VERIFIED
                else ClaimStatus.CLAIMED
            ),
        )
        session.add(user)
        made[entry["key"]] = user
    return made


def _membership(group, user, role, joined, admin) -> GroupMembership:
    return GroupMembership(
        group=group,
        user=user,
        role=role,
        category=user.category,
        organisation_name=user.organisation.name if user.organisation else None,
        joined_at=joined,
        added_by_id=admin.id,
    )


def _groups(session, consultation, document, entries, people, admin, formed):
    chapters = {s.heading: s for s in document.sections if s.parent_id is None}
    groups = {}
    for position, entry in enumerate(entries, start=1):
        group = WorkingGroup(
            consultation=consultation,
            slug=entry["slug"],
            name=entry["name"],
            description=entry["description"],
            position=position,
            created_at=formed,
        )
        session.add(group)
        session.add(
            GroupChapter(
                group=group,
                consultation_id=consultation.id,
                section_anchor=chapters[entry["chapter"]].anchor,
                assigned_at=formed,
                assigned_by_id=admin.id,
            )
        )
        roles = [(entry["chair"], GroupRole.CHAIR), (entry["secretary"], GroupRole.SECRETARY)]
        roles += [(key, GroupRole.MEMBER) for key in entry["members"]]
        roles += [(f["key"], GroupRole.MEMBER) for f in entry.get("former", [])]
        for n, (key, role) in enumerate(roles):
            # A few minutes apart, so the member list keeps the order of the data.
            joined = formed + timedelta(minutes=n)
            session.add(_membership(group, people[key], role, joined, admin))
        groups[entry["slug"]] = group
    return groups


def _move(old: WorkingGroup, new: WorkingGroup, user: User, when: datetime) -> None:
    """The former member: left one group the day after the kick-off and joined another."""
    current = next(m for m in old.memberships if m.user is user and m.left_at is None)
    current.left_at = when
    admin_id = current.added_by_id
    new.memberships.append(
        GroupMembership(
            user=user,
            role=GroupRole.MEMBER,
            category=user.category,
            organisation_name=current.organisation_name,
            joined_at=when,
            added_by_id=admin_id,
        )
    )


def _programme(session, event, entries, day) -> dict[str, ProgrammeItem]:
    items = {}
    for position, entry in enumerate(entries):
        item = ProgrammeItem(
            event=event,
            starts_at=_at(day, entry["starts"]),
            ends_at=_at(day, entry["ends"]) if entry.get("ends") else None,
            title=entry["title"],
            description=entry.get("description", ""),
            position=position,
        )
        session.add(item)
        items[entry["starts"]] = item
        if entry.get("sessions"):
            items["sessions"] = item
    return items


def _registration(event, user, status, when, needs=None) -> Registration:
    return Registration(
        event=event,
        user=user,
        status=status,
        category=user.category,
        organisation_name=user.organisation.name if user.organisation else None,
        accessibility_needs=needs,
        created_at=when,
        queued_at=when,
    )


def _kickoff(session, consultation, data, day, groups, people, admin, now) -> Event:
    notes_at = _at(day + timedelta(days=1), "09:00")
    event = Event(
        consultation=consultation,
        slug=data["slug"],
        title=data["title"],
        description=data["description"],
        starts_at=_at(day, data["starts"]),
        ends_at=_at(day, data["ends"]),
        kind=EventKind.HYBRID,
        venue_name=data["venue_name"],
        venue_address=data["venue_address"],
        stream_url=data["stream_url"],
        contact_name=DEMO_CONTACT[0],
        contact_email=DEMO_CONTACT[1],
        registration_enabled=True,
        capacity=data["capacity"],
        registration_closes_at=_at(day - timedelta(days=7), "23:59"),
        summary=data["summary"],
        summary_updated_at=notes_at,
        summary_updated_by_id=admin.id,
        created_at=_at(day - timedelta(days=42), "10:00"),
        created_by_id=admin.id,
    )
    event.groups = list(groups.values())
    session.add(event)
    items = _programme(session, event, data["programme"], day)
    for position, entry in enumerate(data["sessions"]):
        group = groups[entry["group"]]
        secretary = next(m.user for m in group.memberships if m.role == GroupRole.SECRETARY)
        session.add(
            EventSession(
                event=event,
                programme_item=items["sessions"],
                group=group,
                title=group.name,
                room=entry["room"],
                position=position,
                notes=entry["notes"],
                notes_updated_at=notes_at,
                notes_updated_by_id=secretary.id,
            )
        )

    # Everyone in a group on the day, and a few more; some cancelled, some stayed away.
    key_of = {user: key for key, user in people.items()}
    users = [m.user for group in groups.values() for m in group.memberships]
    users += [people[key] for key in data["also_registered"]]
    erased = event.ends_at + timedelta(days=NEEDS_DAYS)
    for n, user in enumerate(dict.fromkeys(users)):
        key = key_of[user]
        when = _at(day - timedelta(days=30 - n % 20), "08:00") + timedelta(minutes=7 * n)
        registration = _registration(event, user, RegistrationStatus.CONFIRMED, when)
        if key in data["cancelled"]:
            registration.status = RegistrationStatus.CANCELLED
            registration.cancelled_at = _at(day - timedelta(days=2), "15:00")
        else:
            registration.attended = key not in data["absent"]
        if key in data["needs"]:
            if erased <= now:  # deleted after the retention period, as the worker does
                registration.needs_erased_at = erased
            else:
                registration.dietary_needs = data["needs"][key]
        session.add(registration)
        event.registration_version = n + 1
    return event


def _event_comments(session, round_, document, event, data, groups, day) -> None:
    targets = _targets(session, document.id)
    sessions = {s.group.slug: s for s in event.sessions}
    written = _at(day + timedelta(days=1), "10:00")
    for n, entry in enumerate(data["comments"]):
        group = groups[entry["group"]]
        secretary = next(m.user for m in group.memberships if m.role == GroupRole.SECRETARY)
        when = written + timedelta(minutes=9 * n)
        comment = _comment(
            round_,
            targets[entry["target"]],
            secretary,
            entry["kind"],
            entry.get("stance"),
            entry["text"],
            None,
            when,
        )
        comment.event = event
        comment.event_session = sessions[entry["group"]]
        session.add(comment)


def _dialogue(session, consultation, data, groups, people, admin, now) -> Event:
    day = (now + timedelta(days=data["in_days"])).astimezone(clock.STOCKHOLM).date()
    while day.weekday() >= 5:  # on a weekday
        day += timedelta(days=1)
    event = Event(
        consultation=consultation,
        slug=data["slug"],
        title=data["title"],
        description=data["description"],
        starts_at=_at(day, data["starts"]),
        ends_at=_at(day, data["ends"]),
        kind=EventKind.ONLINE,
        contact_name=DEMO_CONTACT[0],
        contact_email=DEMO_CONTACT[1],
        registration_enabled=True,
        capacity=data["capacity"],
        registration_closes_at=_at(day - timedelta(days=1), "23:59"),
        created_at=now - timedelta(days=10),
        created_by_id=admin.id,
    )
    event.groups = [groups[slug] for slug in data["groups"]]
    session.add(event)
    _programme(session, event, data["programme"], day)
    queue = [(key, RegistrationStatus.CONFIRMED) for key in data["confirmed"]]
    queue += [(key, RegistrationStatus.WAITING) for key in data["waiting"]]
    for n, (key, status) in enumerate(queue):
        when = now - timedelta(days=9) + timedelta(hours=11 * n)
        session.add(_registration(event, people[key], status, when, data["needs"].get(key)))
        event.registration_version = n + 1
    return event
