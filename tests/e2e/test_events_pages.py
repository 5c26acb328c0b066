"""The event pages in a browser: the public list and event page, and the management pages,
axe-clean and without sideways scrolling at 390 px and 1280 px. Screenshots go to
test-artifacts/events-*.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from consult import clock
from consult.events import services
from consult.models import GroupRole, Role
from tests import factories
from tests.events_seed import make_event, make_group, person

from .conftest import DESKTOP, PHONE, assert_accessible, empty_tables, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def events(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=7)
        )
        consultation = round_.consultation
        groups = [
            make_group(session, consultation, name, position=n)
            for n, name in enumerate(["Innovationskraft", "Energi, miljö och klimat"])
        ]
        chair = person(session, groups[0], GroupRole.CHAIR)
        admin = factories.make_user(session, role=Role.ADMIN)
        day = (now + timedelta(days=20)).replace(hour=7, minute=30, second=0, microsecond=0)
        event = make_event(
            session, consultation, groups, title="Uppstartsdag", starts_at=day,
            ends_at=day + timedelta(hours=6, minutes=30), venue_name="Hotell Lappland",
            venue_address="Kungsgatan 10\n921 31 Lycksele", stream_url="https://zoom.us/j/1",
            contact_name="Eva Ek", contact_email="eva@region.se",
        )  # fmt: skip
        local = clock.to_local(day)
        items = {}
        for minutes, title in [(0, "Fika"), (30, "Inledning"), (210, "Arbete i grupperna"),
                               (360, "Fika och avslutning")]:  # fmt: skip
            at = (local + timedelta(minutes=minutes)).strftime("%H:%M")
            items[title] = services.add_item(session, admin, event.id, title=title, start=at)
        for group in groups:
            services.add_session(
                session, admin, event.id, title=f"Workshop: {group.name}", room="Sal 2",
                group_id=group.id, programme_item_id=items["Arbete i grupperna"].id,
            )  # fmt: skip
        make_event(
            session, consultation, title="Förra mötet", starts_at=now - timedelta(days=30),
            ends_at=now - timedelta(days=30) + timedelta(hours=2),
            summary="Vi pratade om tåg och bredband.",
        )  # fmt: skip
        data = {
            "slug": consultation.slug,
            "event_slug": event.slug,
            "event_id": event.id,
            "consultation_id": consultation.id,
            "chair": chair.email,
        }
    yield data
    empty_tables(live_server.app.extensions["db_engine"])


def _fits(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


def _login(page: Page, live_server, email: str) -> None:
    page.goto(live_server.at("/konto/logga-in"))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_be_visible()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_public_event_pages(page: Page, live_server, events, size):
    page.set_viewport_size(size)
    page.goto(live_server.at(f"/samrad/{events['slug']}/moten"))
    expect(page.locator("h1")).to_have_text("Dialogmöten")
    assert_accessible(page, "events list")
    _fits(page)
    screenshot(page, f"events-list-{size['width']}")
    page.goto(live_server.at(f"/samrad/{events['slug']}/moten/{events['event_slug']}"))
    expect(page.locator("ol.programme > li")).to_have_count(4)
    assert_accessible(page, "event page")
    _fits(page)
    screenshot(page, f"events-page-{size['width']}")
    assert not page.problems.all()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_management_pages(page: Page, live_server, events, size):
    page.set_viewport_size(size)
    _login(page, live_server, events["chair"])
    page.goto(live_server.at(f"/moten/samrad/{events['consultation_id']}"))
    expect(page.locator("h1")).to_contain_text("Dialogmöten")
    assert_accessible(page, "events management list")
    _fits(page)
    screenshot(page, f"events-manage-{size['width']}")
    page.goto(live_server.at(f"/moten/{events['event_id']}/redigera"))
    assert_accessible(page, "event edit page")
    _fits(page)
    screenshot(page, f"events-edit-{size['width']}")
    assert not page.problems.all()


def test_add_a_programme_point_by_keyboard(page: Page, live_server, events):
    _login(page, live_server, events["chair"])
    page.goto(live_server.at(f"/moten/{events['event_id']}/redigera"))
    page.locator("#item-start").fill("12:00")
    page.locator("#item-title").fill("Lunch")
    page.locator("#item-title").press("Enter")
    expect(page.locator(".manage-programme")).to_contain_text("Lunch")
