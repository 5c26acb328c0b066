"""The demo shows the strategy process: eight working groups owning their chapters, the
kick-off day in Lycksele with its programme, workshops, registrations and the points that
became comments, and a full dialogue meeting with a waiting list."""

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select

from consult import clock, demo
from consult.demo import process
from consult.models import (
    Category,
    Comment,
    CommentStatus,
    Event,
    EventKind,
    GroupChapter,
    GroupMembership,
    GroupRole,
    Registration,
    RegistrationStatus,
    User,
    WorkingGroup,
)

GROUPS = [
    "Innovationskraft",
    "Näringslivsutveckling",
    "Digital utveckling",
    "Sysselsättning och kompetensförsörjning",
    "Trafik och infrastruktur",
    "Kultur och livsmiljöer",
    "Internationellt och regionalt samarbete",
    "Energi, miljö och klimat",
]


def _load(session, now):
    assert demo.load(session, now.get()) is True
    return session.scalar(select(WorkingGroup.consultation_id).limit(1))


def _events(session):
    return {e.slug: e for e in session.scalars(select(Event))}


def test_eight_groups_each_own_their_chapter_with_chair_and_secretary(session, now):
    _load(session, now)
    groups = session.scalars(select(WorkingGroup).order_by(WorkingGroup.position)).all()
    assert [g.name for g in groups] == GROUPS
    document = groups[0].consultation.rounds[0].document
    chapters = {s.anchor: s.heading for s in document.sections if s.parent_id is None}
    for group in groups:
        assert group.description and group.closed_at is None
        assert [chapters[c.section_anchor] for c in group.chapters] == [group.name]
        current = [m for m in group.memberships if m.left_at is None]
        roles = Counter(m.role for m in current)
        assert roles[GroupRole.CHAIR] == 1 and roles[GroupRole.SECRETARY] == 1, group.name
        assert 3 <= roles[GroupRole.MEMBER] <= 6, group.name
        assert all(m.category == m.user.category for m in current)
    # The introduction belongs to no group; every other chapter to exactly one.
    owned = session.scalars(select(GroupChapter.section_anchor)).all()
    assert sorted(owned) == sorted(a for a, h in chapters.items() if h != "Inledning")

    categories = {m.category for m in session.scalars(select(GroupMembership))}
    assert categories >= set(Category) - {Category.INDIVIDUAL}
    # History: one person left a group and went on in another.
    former = session.scalars(
        select(GroupMembership).where(GroupMembership.left_at.is_not(None))
    ).all()
    assert len(former) == 1
    again = session.scalars(
        select(GroupMembership).where(
            GroupMembership.user_id == former[0].user_id, GroupMembership.left_at.is_(None)
        )
    ).one()
    assert again.group_id != former[0].group_id and again.joined_at == former[0].left_at


def test_the_group_member_account_logs_in_as_secretary_of_trafik(client, session, now):
    _load(session, now)
    email, password, role = next(a for a in demo.DEMO_ACCOUNTS if a[0].startswith("grupp"))
    user = session.scalar(select(User).where(User.email == email))
    assert role == "participant" and user.role.value == "participant"
    membership = session.scalars(
        select(GroupMembership).where(GroupMembership.user_id == user.id)
    ).one()
    assert membership.group.name == "Trafik och infrastruktur"
    assert membership.role == GroupRole.SECRETARY
    assert membership.organisation_name == "Region Västerbotten"
    response = client.post("/konto/logga-in", data={"email": email, "password": password})
    assert response.status_code == 302


def test_kickoff_day_in_lycksele_with_programme_and_eight_workshops(session, now):
    _load(session, now)
    kickoff = _events(session)["kick-off-lycksele"]
    starts = kickoff.starts_at.astimezone(clock.STOCKHOLM)
    assert (starts.month, starts.day, starts.hour, starts.minute) == (9, 26, 9, 30)
    ends = kickoff.ends_at.astimezone(clock.STOCKHOLM)
    assert (ends.date(), ends.hour, ends.minute) == (starts.date(), 16, 0)
    assert kickoff.ends_at < now.get()  # it has taken place
    assert kickoff.venue_name == "Hotell Lappland"
    assert kickoff.venue_address == "Kungsgatan 24, 921 33 Lycksele"
    assert kickoff.kind == EventKind.HYBRID
    assert kickoff.stream_url.startswith("https://www.youtube.com/watch?v=")
    assert len(kickoff.stream_url.rsplit("=", 1)[1]) == 11
    assert (kickoff.contact_name, kickoff.contact_email) == demo.DEMO_CONTACT
    assert kickoff.registration_enabled and kickoff.capacity == 120
    assert [g.name for g in kickoff.groups] == GROUPS
    assert kickoff.summary

    programme = [
        (i.starts_at.astimezone(clock.STOCKHOLM).strftime("%H:%M"), i.title)
        for i in kickoff.programme
    ]
    assert 6 <= len(programme) <= 8
    assert programme[0] == ("09:30", "Fika och registrering")
    assert ("10:00", "Inledning") in programme and ("12:00", "Lunch") in programme
    assert ("13:00", "Arbete i grupperna") in programme
    assert programme[-1] == ("15:30", "Fika och avslutning")

    sessions = kickoff.sessions
    assert len(sessions) == 8
    assert [s.group.name for s in sessions] == GROUPS
    assert all(s.programme_item.title == "Arbete i grupperna" for s in sessions)
    assert len({s.room for s in sessions}) == 8
    for workshop in sessions:
        assert 2 <= workshop.notes.count(". ") + 1 <= 4, workshop.title
        secretary = next(
            m.user_id for m in workshop.group.memberships if m.role == GroupRole.SECRETARY
        )
        assert workshop.notes_updated_by_id == secretary


def test_kickoff_day_is_the_last_26_september_whose_day_after_has_passed():
    late = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert process.kickoff_day(late).isoformat() == "2026-09-26"
    early = datetime(2026, 9, 27, 10, tzinfo=UTC)
    assert process.kickoff_day(early).isoformat() == "2025-09-26"


def test_kickoff_registrations_and_attendance(session, now):
    _load(session, now)
    kickoff = _events(session)["kick-off-lycksele"]
    registrations = session.scalars(
        select(Registration).where(Registration.event_id == kickoff.id)
    ).all()
    statuses = Counter(r.status for r in registrations)
    assert 35 <= len(registrations) <= 50
    assert statuses[RegistrationStatus.WAITING] == 0  # the room was big enough
    assert 1 <= statuses[RegistrationStatus.CANCELLED] <= 5
    confirmed = [r for r in registrations if r.status == RegistrationStatus.CONFIRMED]
    assert sum(1 for r in confirmed if r.attended) >= 30
    assert any(r.attended is False for r in confirmed)
    assert all(r.cancelled_at for r in registrations if r.status == RegistrationStatus.CANCELLED)
    assert all(r.category == r.user.category for r in registrations)
    assert len({r.category for r in registrations}) >= 6
    # Needs are gone a month after the day, as the retention pass would have done.
    assert not any(r.dietary_needs or r.accessibility_needs for r in registrations)
    assert any(r.needs_erased_at for r in registrations)


def test_upcoming_dialogue_meeting_is_full_with_a_waiting_list(session, now):
    _load(session, now)
    meeting = _events(session)["dialogmote-trafik-och-infrastruktur"]
    assert meeting.starts_at > now.get() and meeting.kind == EventKind.ONLINE
    assert meeting.starts_at.astimezone(clock.STOCKHOLM).weekday() < 5
    assert meeting.capacity == 10 and meeting.registration_enabled
    assert {g.name for g in meeting.groups} == {
        "Trafik och infrastruktur",
        "Energi, miljö och klimat",
    }
    registrations = session.scalars(
        select(Registration)
        .where(Registration.event_id == meeting.id)
        .order_by(Registration.queued_at)
    ).all()
    statuses = [r.status for r in registrations]
    assert statuses.count(RegistrationStatus.CONFIRMED) == 10
    assert statuses[-3:] == [RegistrationStatus.WAITING] * 3  # queued after the places went
    # The demo participant is not registered, so can try joining the queue.
    participant = session.scalar(select(User).where(User.email.startswith("deltagare@")))
    assert participant.id not in {r.user_id for r in registrations}


def test_points_from_the_workshops_became_comments_with_their_origin(client, session, now):
    _load(session, now)
    kickoff = _events(session)["kick-off-lycksele"]
    comments = session.scalars(select(Comment).where(Comment.event_id.is_not(None))).all()
    assert 8 <= len(comments) <= 16
    day = kickoff.starts_at.astimezone(clock.STOCKHOLM).date()
    chapters = {
        s.id: s for s in kickoff.consultation.rounds[0].document.sections if s.parent_id is None
    }
    for comment in comments:
        workshop = comment.event_session
        assert comment.event_id == kickoff.id and workshop.event_id == kickoff.id
        assert comment.status == CommentStatus.PUBLISHED and comment.parent_id is None
        secretary = next(m for m in workshop.group.memberships if m.role == GroupRole.SECRETARY)
        assert comment.author_id == secretary.user_id
        assert comment.author_category == secretary.user.category == Category.REGION
        assert comment.body_html and comment.submission_key
        assert (comment.created_at.astimezone(clock.STOCKHOLM).date() - day).days == 1
        assert comment.created_at <= now.get()
        # On a paragraph of the chapter the session's group owns.
        section = comment.paragraph.section
        while section.parent_id is not None:
            section = section.parent
        assert chapters[section.id].anchor == workshop.group.chapters[0].section_anchor
    assert len({c.event_session_id for c in comments}) == 8
    # Shown publicly like any published comment.
    slug = kickoff.consultation.slug
    page = client.get(f"/samrad/{slug}").get_data(as_text=True)
    assert page  # the consultation page still renders with them


def test_second_load_changes_nothing(session, now):
    _load(session, now)
    counts = [
        session.scalar(select(func.count()).select_from(model))
        for model in (WorkingGroup, GroupMembership, Event, Registration, Comment)
    ]
    assert demo.load(session, now.get()) is False
    assert counts == [
        session.scalar(select(func.count()).select_from(model))
        for model in (WorkingGroup, GroupMembership, Event, Registration, Comment)
    ]
