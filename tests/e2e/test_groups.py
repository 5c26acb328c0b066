"""The working groups' pages in a real browser: the public group pages and the staff's
management pages are axe-clean and fit a phone (390 px) and a desktop.

Screenshots go to test-artifacts/groups-*.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from consult.groups import services
from consult.models import Category, GroupRole, Role
from tests import factories
from tests.conftest import empty_tables

from .conftest import DESKTOP, PHONE, assert_accessible, screenshot

pytestmark = pytest.mark.e2e


@dataclass
class World:
    staff: str
    slug: str
    group_id: int
    consultation_id: int


@pytest.fixture
def world(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
        )
        staff = factories.make_user(session, role=Role.STAFF, name="Stina Staff")
        group = services.create_group(
            session,
            staff,
            round_.consultation_id,
            {
                "name": "Sysselsättning och kompetensförsörjning",
                "description": "Kompetensförsörjningsutmaningarna i inlandskommunerna.",
                "position": 1,
            },
        )
        services.assign_chapter(session, staff, group.id, "s-trafik-och-infrastruktur")
        organisation = factories.make_organisation(
            session, "Västerbottens läns landstingsfullmäktigeförvaltning", Category.REGION
        )
        for name, role in (("Karin Ordförande", "chair"), ("Olle Sekreterare", "secretary")):
            person = factories.make_user(
                session, name=name, category=Category.REGION, organisation=organisation
            )
            services.add_member(session, staff, group.id, person.email, role)
        member = factories.make_user(session, name="Maja Medlem")
        membership = services.add_member(session, staff, group.id, member.email, "member")
        services.leave(session, staff, group.id, membership.id)
        assert membership.role == GroupRole.MEMBER
        made = World(
            staff=staff.email,
            slug=round_.consultation.slug,
            group_id=group.id,
            consultation_id=round_.consultation_id,
        )
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


def _login(page: Page, live_server, email: str) -> None:
    page.goto(live_server.at("/konto/logga-in"))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_be_visible()


def _fits(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_group_pages_are_accessible_and_fit(page: Page, live_server, world, size):
    page.set_viewport_size(size)
    public = {
        "list": f"/samrad/{world.slug}/arbetsgrupper",
        "group": f"/samrad/{world.slug}/arbetsgrupper/sysselsattning-och-kompetensforsorjning",
        "draft": f"/samrad/{world.slug}/",
    }
    for name, path in public.items():
        page.goto(live_server.at(path))
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, path)
        _fits(page)
        screenshot(page, f"groups-{name}-{size['width']}")
    expect(page.locator(".chapter-group a")).to_have_count(1)

    _login(page, live_server, world.staff)
    staff = {
        "admin-list": f"/arbetsgrupper/samrad/{world.consultation_id}",
        "manage": f"/arbetsgrupper/{world.group_id}/hantera",
    }
    for name, path in staff.items():
        page.goto(live_server.at(path))
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page, path)
        _fits(page)
        screenshot(page, f"groups-{name}-{size['width']}")
    assert not page.problems.all()
