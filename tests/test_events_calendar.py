"""The calendar files: one event, and a consultation's feed anyone can subscribe to,
parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Calendar

from consult.models import ProgrammeItem

from .test_events_registration import make_event


def _parse(response):
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def test_an_event_file_has_times_place_programme_and_a_link_back(client, session, open_round, now):
    event = make_event(session, open_round, now.get())
    start = event.starts_at
    session.add_all(
        [
            ProgrammeItem(event_id=event.id, starts_at=start, title="Fika", position=0),
            ProgrammeItem(
                event_id=event.id,
                starts_at=start + timedelta(minutes=30),
                ends_at=start + timedelta(hours=1),
                title="Inledning",
                position=1,
            ),
        ]
    )
    session.commit()
    slug = open_round.consultation.slug
    calendar = _parse(client.get(f"/samrad/{slug}/moten/uppstart.ics"))
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    [entry] = calendar.walk("VEVENT")
    assert str(entry["SUMMARY"]) == "Uppstartsdag"
    assert entry.decoded("DTSTART") == event.starts_at
    assert entry.decoded("DTEND") == event.ends_at
    assert entry.decoded("DTSTART").tzinfo is not None
    assert entry.decoded("DTSTAMP").astimezone(UTC) == now.get()
    assert str(entry["URL"]).endswith(f"/samrad/{slug}/moten/uppstart")
    assert str(entry["URL"]).startswith("http")
    assert str(entry["LOCATION"]) == "Hotell Lappland, Lycksele"
    text = str(entry["DESCRIPTION"])
    assert "En dag om strategin." in text
    # Stockholm's clock: 12:00 UTC on 11 March is 13:00 there.
    assert "13:00 Fika" in text and "13:30–14:00 Inledning" in text
    assert "https://play.example.se/uppstart" in text
    assert str(entry["STATUS"]) == "CONFIRMED"
    # The same UID every time.
    again = _parse(client.get(f"/samrad/{slug}/moten/uppstart.ics")).walk("VEVENT")[0]
    assert str(again["UID"]) == str(entry["UID"])


def test_the_feed_lists_every_event_and_marks_the_cancelled(client, session, open_round, now):
    make_event(session, open_round, now.get())
    make_event(
        session,
        open_round,
        now.get(),
        slug="webbinarium",
        title="Webbinarium",
        starts_at=now.get() + timedelta(days=3),
        ends_at=now.get() + timedelta(days=3, hours=1),
        venue_name="",
        venue_address="",
        cancelled_at=now.get(),
    )
    calendar = _parse(client.get(f"/samrad/{open_round.consultation.slug}/moten.ics"))
    entries = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(entries) == {"Uppstartsdag", "Webbinarium"}
    assert str(entries["Webbinarium"]["STATUS"]) == "CANCELLED"
    # An online event is found at its stream.
    assert str(entries["Webbinarium"]["LOCATION"]) == "https://play.example.se/uppstart"
    assert len({str(e["UID"]) for e in calendar.walk("VEVENT")}) == len(calendar.walk("VEVENT"))
    assert str(calendar["X-WR-CALNAME"]) == open_round.consultation.title


def test_the_feed_holds_only_its_own_consultations_events(client, session, open_round, now):
    from tests import factories

    make_event(session, open_round, now.get())
    elsewhere = factories.make_round(session, opens_at=None, closes_at=None)
    make_event(session, elsewhere, now.get(), title="Någon annanstans")
    calendar = _parse(client.get(f"/samrad/{open_round.consultation.slug}/moten.ics"))
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Uppstartsdag"]


def test_unknown_consultations_and_events_have_no_calendar(client, session, open_round, now):
    slug = open_round.consultation.slug
    assert client.get("/samrad/finns-inte/moten.ics").status_code == 404
    assert client.get(f"/samrad/{slug}/moten/finns-inte.ics").status_code == 404
