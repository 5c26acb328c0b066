"""Events of a consultation: who may create and change them, the rules their details, programme
and sessions follow, times across daylight saving, and the stream embed with its CSP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consult.errors import Invalid, NotAllowed, WrongState
from consult.events import services, stream
from consult.models import AuditEntry, Event, EventKind, GroupRole, event_group
from tests.events_seed import local, make_event, make_group, person, staff


def fields(**overrides):
    values = {
        "title": "Uppstartsdag",
        "description": "Dagen då arbetet börjar.",
        "starts_at": local(2026, 9, 26, 9, 30),
        "ends_at": local(2026, 9, 26, 16, 0),
        "kind": "hybrid",
        "venue_name": "Hotell Lappland",
        "venue_address": "Kungsgatan 10, Lycksele",
        "stream_url": "https://www.youtube.com/watch?v=abcDEF12345",
        "contact_name": "Eva Ek",
        "contact_email": "eva@region.se",
        "registration_enabled": True,
        "capacity": 120,
        "registration_closes_at": local(2026, 9, 20, 23, 59),
    }
    values.update(overrides)
    return values


@pytest.fixture
def world(session, open_round):
    consultation = open_round.consultation
    innovation = make_group(session, consultation, "Innovationskraft", position=1)
    energy = make_group(session, consultation, "Energi", position=2)
    return {
        "consultation": consultation,
        "innovation": innovation,
        "energy": energy,
        "staff": staff(session),
        "chair": person(session, innovation, GroupRole.CHAIR),
        "secretary": person(session, energy, GroupRole.SECRETARY),
        "member": person(session, innovation),
    }


def test_staff_create_an_event_in_two_groups_as_one_row(session, world):
    event = services.create_event(
        session, world["staff"], world["consultation"].id, fields(),
        [world["innovation"].id, world["energy"].id],
    )  # fmt: skip
    assert session.scalar(select(func.count()).select_from(Event)) == 1
    links = session.execute(select(event_group).where(event_group.c.event_id == event.id)).all()
    assert len(links) == 2
    assert [g.name for g in event.groups] == ["Innovationskraft", "Energi"]
    assert event.slug == "uppstartsdag"
    assert event.kind == EventKind.HYBRID
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "event.create"))
    assert entry.object_id == event.id


def test_times_are_stockholm_across_daylight_saving(session, world):
    # 26 September is summer time (UTC+2); 30 October 2027 and after is winter time (UTC+1).
    summer = services.create_event(session, world["staff"], world["consultation"].id, fields(), [])
    assert summer.starts_at.astimezone(UTC) == datetime(2026, 9, 26, 7, 30, tzinfo=UTC)
    winter = services.create_event(
        session, world["staff"], world["consultation"].id,
        fields(starts_at=local(2026, 11, 7, 9, 30), ends_at=local(2026, 11, 7, 16, 0)), [],
    )  # fmt: skip
    assert winter.starts_at.astimezone(UTC) == datetime(2026, 11, 7, 8, 30, tzinfo=UTC)
    assert winter.slug == "uppstartsdag-2"
    item = services.add_item(session, world["staff"], winter.id, title="Fika", start="09:30")
    assert item.starts_at.astimezone(UTC) == datetime(2026, 11, 7, 8, 30, tzinfo=UTC)
    item = services.add_item(session, world["staff"], summer.id, title="Fika", start="9.30")
    assert item.starts_at.astimezone(UTC) == datetime(2026, 9, 26, 7, 30, tzinfo=UTC)


def test_an_event_over_the_night_daylight_saving_ends(session, world):
    # Summer time ends on 25 October 2026 at 03:00: the event runs 01:00–05:00, five hours.
    event = services.create_event(
        session, world["staff"], world["consultation"].id,
        fields(starts_at=local(2026, 10, 25, 1), ends_at=local(2026, 10, 25, 5)), [],
    )  # fmt: skip
    assert event.ends_at - event.starts_at == timedelta(hours=5)


def test_chair_creates_in_own_group_but_not_another(session, world):
    consultation_id = world["consultation"].id
    event = services.create_event(
        session, world["chair"], consultation_id, fields(), [world["innovation"].id]
    )
    assert event.groups == [world["innovation"]]
    with pytest.raises(NotAllowed):
        services.create_event(
            session, world["chair"], consultation_id, fields(), [world["energy"].id]
        )
    session.rollback()
    with pytest.raises(Invalid) as refused:
        services.create_event(session, world["chair"], consultation_id, fields(), [])
    assert refused.value.errors == {"groups": "own_group"}
    session.rollback()
    with pytest.raises(NotAllowed):
        services.create_event(
            session, world["member"], consultation_id, fields(), [world["innovation"].id]
        )


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"ends_at": local(2026, 9, 26, 9, 30)}, {"ends_at": "ends_before_start"}),
        ({"ends_at": local(2026, 9, 26, 8, 0)}, {"ends_at": "ends_before_start"}),
        ({"capacity": 0}, {"capacity": "capacity"}),
        ({"capacity": -5}, {"capacity": "capacity"}),
        ({"contact_email": "eva@"}, {"contact_email": "email"}),
        ({"stream_url": "http://example.se/live"}, {"stream_url": "https"}),
        ({"stream_url": "javascript:alert(1)"}, {"stream_url": "https"}),
        ({"kind": "moon"}, {"kind": "choice"}),
        ({"title": "  "}, {"title": "required"}),
    ],
)
def test_refused_details(session, world, override, error):
    with pytest.raises(Invalid) as refused:
        services.create_event(
            session, world["staff"], world["consultation"].id, fields(**override), []
        )
    assert refused.value.errors == error


def test_the_database_refuses_an_end_before_the_start(session, world):
    with pytest.raises(IntegrityError):
        make_event(
            session, world["consultation"],
            starts_at=datetime(2027, 1, 1, 10, tzinfo=UTC),
            ends_at=datetime(2027, 1, 1, 9, tzinfo=UTC),
        )  # fmt: skip
    session.rollback()


def test_a_group_of_another_consultation_is_refused(session, world, now):
    from tests import factories

    other = factories.make_round(session, opens_at=now.get(), closes_at=now.get()).consultation
    foreign = make_group(session, other, "Främling")
    with pytest.raises(Invalid) as refused:
        services.create_event(
            session, world["staff"], world["consultation"].id, fields(), [foreign.id]
        )
    assert refused.value.errors == {"groups": "unknown_group"}
    session.rollback()
    with pytest.raises(Invalid):
        services.create_event(session, world["staff"], world["consultation"].id, fields(), [999999])


def test_editing_needs_a_manager_of_the_events_group(session, world):
    event = make_event(session, world["consultation"], [world["innovation"]])
    updated = services.update_event(
        session, world["chair"], event.id, fields(title="Ny titel"), [world["innovation"].id]
    )
    assert updated.title == "Ny titel"
    for who in ("secretary", "member"):
        with pytest.raises(NotAllowed):
            services.update_event(session, world[who], event.id, fields(), [world["innovation"].id])
        session.rollback()
    # The chair may not list it in a group they do not manage.
    with pytest.raises(NotAllowed):
        services.update_event(
            session, world["chair"], event.id, fields(),
            [world["innovation"].id, world["energy"].id],
        )  # fmt: skip
    session.rollback()
    # Listed in both, the chair unticking the other group leaves it: it is not theirs.
    both = make_event(session, world["consultation"], [world["innovation"], world["energy"]],
                      slug="bada")  # fmt: skip
    services.update_event(session, world["chair"], both.id, fields(), [world["innovation"].id])
    assert both.groups == [world["innovation"], world["energy"]]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "event.update"))
    assert "Ny titel" in entry.after


def test_cancelled_event_refuses_changes(session, world):
    event = make_event(session, world["consultation"], [world["innovation"]])
    services.cancel_event(session, world["staff"], event.id, now=datetime(2027, 3, 1, tzinfo=UTC))
    assert event.cancelled_at is not None
    for change in (
        lambda: services.update_event(session, world["staff"], event.id, fields(), []),
        lambda: services.add_item(session, world["staff"], event.id, title="x", start="10:00"),
        lambda: services.add_session(session, world["staff"], event.id, title="x"),
        lambda: services.cancel_event(session, world["staff"], event.id),
    ):
        with pytest.raises(WrongState) as refused:
            change()
        assert refused.value.key == "cancelled"
        session.rollback()


def test_programme_items_keep_within_the_event(session, world):
    # 09:30–16:00 Stockholm on 20 March 2027 (winter time).
    event = make_event(
        session, world["consultation"],
        starts_at=local(2027, 3, 20, 9, 30), ends_at=local(2027, 3, 20, 16),
    )  # fmt: skip
    for start, end, error in [
        ("08:00", None, {"start": "outside_event"}),
        ("16:00", None, {"start": "outside_event"}),
        ("15:30", "16:30", {"end": "outside_event"}),
        ("11:00", "10:00", {"end": "ends_before_start"}),
        ("25:00", None, {"start": "clock"}),
        ("tio", None, {"start": "clock"}),
    ]:
        with pytest.raises(Invalid) as refused:
            services.add_item(session, world["staff"], event.id, title="x", start=start, end=end)
        assert refused.value.errors == error
        session.rollback()
    with pytest.raises(Invalid) as refused:
        services.add_item(
            session, world["staff"], event.id, title="x", start="10:00", day=date(2027, 3, 21)
        )
    assert refused.value.errors == {"day": "day"}


def test_programme_add_edit_move_remove(session, world):
    event = make_event(
        session, world["consultation"],
        starts_at=local(2027, 3, 20, 9, 30), ends_at=local(2027, 3, 20, 16),
    )  # fmt: skip
    actor = world["staff"]
    for start, title in [("15:30", "Fika och avslutning"), ("09:30", "Fika"),
                         ("10:00", "Inledning"), ("13:00", "Arbete i grupperna")]:  # fmt: skip
        services.add_item(session, actor, event.id, title=title, start=start)
    session.expire_all()
    assert [i.title for i in event.programme] == [
        "Fika", "Inledning", "Arbete i grupperna", "Fika och avslutning",
    ]  # fmt: skip
    lunch = services.add_item(session, actor, event.id, title="Lunch", start="13:00")
    session.expire_all()
    assert [i.title for i in event.programme][2:4] == ["Arbete i grupperna", "Lunch"]
    services.move_item(session, actor, event.id, lunch.id, "up")
    session.expire_all()
    assert [i.title for i in event.programme][2:4] == ["Lunch", "Arbete i grupperna"]
    with pytest.raises(WrongState):
        services.move_item(session, actor, event.id, lunch.id, "up")
    session.rollback()
    services.update_item(
        session, actor, event.id, lunch.id, title="Lunch", start="12:00", end="13:00"
    )
    session.expire_all()
    assert [i.title for i in event.programme][2] == "Lunch"
    services.remove_item(session, actor, event.id, lunch.id)
    session.expire_all()
    assert "Lunch" not in [i.title for i in event.programme]
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"event.programme_add", "event.programme_move", "event.programme_update",
            "event.programme_remove"} <= actions  # fmt: skip


def test_the_event_cannot_shrink_around_its_programme(session, world):
    event = make_event(
        session, world["consultation"],
        starts_at=local(2027, 3, 20, 9, 30), ends_at=local(2027, 3, 20, 16),
    )  # fmt: skip
    services.add_item(session, world["staff"], event.id, title="Fika", start="09:30")
    with pytest.raises(Invalid) as refused:
        services.update_event(
            session, world["staff"], event.id,
            fields(starts_at=local(2027, 3, 20, 10), ends_at=local(2027, 3, 20, 16)), [],
        )  # fmt: skip
    assert refused.value.errors == {"starts_at": "programme_outside"}


def test_parallel_sessions(session, world):
    event = make_event(
        session, world["consultation"], [world["innovation"]],
        starts_at=local(2027, 3, 20, 9, 30), ends_at=local(2027, 3, 20, 16),
    )  # fmt: skip
    afternoon = services.add_item(
        session, world["chair"], event.id, title="Arbete i grupperna", start="13:00"
    )
    workshop = services.add_session(
        session, world["chair"], event.id, title="Workshop: innovation", room="Sal 2",
        group_id=world["innovation"].id, programme_item_id=afternoon.id,
    )  # fmt: skip
    assert workshop.programme_item == afternoon and workshop.group == world["innovation"]
    services.update_session(
        session, world["chair"], event.id, workshop.id, title="Workshop: energi",
        room="Sal 3", group_id=world["energy"].id, programme_item_id=afternoon.id,
    )  # fmt: skip
    assert workshop.room == "Sal 3"
    with pytest.raises(Invalid) as refused:
        services.add_session(session, world["chair"], event.id, title="x", group_id=999999)
    assert refused.value.errors == {"group": "unknown_group"}
    session.rollback()
    with pytest.raises(Invalid) as refused:
        services.add_session(session, world["chair"], event.id, title="x", programme_item_id=999999)
    assert refused.value.errors == {"programme_item": "unknown_item"}
    session.rollback()
    # Removing the programme point keeps its session.
    services.remove_item(session, world["chair"], event.id, afternoon.id)
    session.expire_all()
    assert event.sessions[0].programme_item_id is None
    workshop = event.sessions[0]
    workshop.notes = "Anteckningar"
    session.commit()
    with pytest.raises(WrongState):
        services.remove_session(session, world["chair"], event.id, workshop.id)
    session.rollback()
    workshop.notes = ""
    session.commit()
    services.remove_session(session, world["chair"], event.id, workshop.id)
    session.expire_all()
    assert event.sessions == []


def test_public_events_upcoming_soonest_first_then_past_newest_first(session, world, now):
    c = world["consultation"]
    at = now.get()
    make_event(session, c, title="Snart", starts_at=at + timedelta(days=2),
               ends_at=at + timedelta(days=2, hours=3))  # fmt: skip
    make_event(session, c, title="Senare", starts_at=at + timedelta(days=9),
               ends_at=at + timedelta(days=9, hours=3))  # fmt: skip
    make_event(session, c, title="Pågår", starts_at=at - timedelta(hours=1),
               ends_at=at + timedelta(hours=2))  # fmt: skip
    make_event(session, c, title="Förra månaden", starts_at=at - timedelta(days=30),
               ends_at=at - timedelta(days=30) + timedelta(hours=3))  # fmt: skip
    make_event(session, c, title="Förra veckan", starts_at=at - timedelta(days=7),
               ends_at=at - timedelta(days=7) + timedelta(hours=3))  # fmt: skip
    upcoming, past = services.public_events(session, c, at)
    assert [e.title for e in upcoming] == ["Pågår", "Snart", "Senare"]
    assert [e.title for e in past] == ["Förra veckan", "Förra månaden"]


@pytest.mark.parametrize(
    ("link", "embed"),
    [
        ("https://www.youtube.com/watch?v=abcDEF12345",
         "https://www.youtube-nocookie.com/embed/abcDEF12345"),
        ("https://youtube.com/watch?v=abcDEF12345&t=10",
         "https://www.youtube-nocookie.com/embed/abcDEF12345"),
        ("https://youtu.be/abcDEF12345", "https://www.youtube-nocookie.com/embed/abcDEF12345"),
        ("https://www.youtube.com/live/abcDEF12345",
         "https://www.youtube-nocookie.com/embed/abcDEF12345"),
        ("https://vimeo.com/123456789", "https://player.vimeo.com/video/123456789"),
        ("https://zoom.us/j/123456", None),
        ("https://www.youtube.com/watch?v=\"><script>", None),
        ("http://www.youtube.com/watch?v=abcDEF12345", None),
        ("javascript:alert(1)", None),
        ("https://evil.example/youtube.com/watch?v=abcDEF12345", None),
    ],
)  # fmt: skip
def test_embed_url_mapping(link, embed):
    assert stream.embed_url(link) == embed


def test_csp_allows_exactly_the_stream_players(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";"))
    )
    assert directives["frame-src"].split() == list(stream.FRAME_SOURCES)
    assert "frame-ancestors 'none'" in policy


def test_a_slug_taken_by_someone_else_at_the_same_moment_gets_the_next_suffix(
    session, world, monkeypatch
):
    first = services.create_event(session, world["staff"], world["consultation"].id, fields(), [])
    original = services._unique_slug
    calls = []

    def stale(session_, consultation_id, title, tried=frozenset()):
        # The first look-up ran before the other event was saved: it offers the taken slug.
        calls.append(tried)
        return first.slug if not tried else original(session_, consultation_id, title, tried)

    monkeypatch.setattr(services, "_unique_slug", stale)
    second = services.create_event(
        session, world["staff"], world["consultation"].id, fields(), [world["energy"].id]
    )
    assert second.slug == "uppstartsdag-2"
    assert calls == [frozenset(), frozenset({"uppstartsdag"})]
    assert [g.name for g in second.groups] == ["Energi"]
    assert session.scalar(select(func.count()).select_from(Event)) == 2
