"""The public follow-up pages in a browser: axe-clean and without sideways scrolling at 390 px
and 1280 px; a visitor filters the goals by a global goal with the form (no script needed) and
follows a link from a consultation response to the action carrying it out. Screenshots go to
test-artifacts/followup-*.png."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.test_followup_public import build_world

from .conftest import DESKTOP, PHONE, assert_accessible, empty_tables, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def followup(live_server):
    with live_server.session() as session:
        world = build_world(session, datetime.now(UTC), slug="rus-e2e")
        data = {
            "goal": world.goals["jobs"].id,
            "action": world.actions["a1"].id,
            "round": f"/samrad/{world.round.consultation.slug}/omgang/1/",
        }
    yield data
    empty_tables(live_server.app.extensions["db_engine"])


def _fits(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_public_pages_are_accessible(page: Page, live_server, followup, viewport):
    page.set_viewport_size(viewport)
    pages = {
        "list": "/uppfoljning",
        "strategy": "/uppfoljning/rus-e2e",
        "filtered": "/uppfoljning/rus-e2e?globalt_mal=11&kommun=2480",
        "goal": f"/uppfoljning/rus-e2e/mal/{followup['goal']}?kommun=2480",
        "action": f"/uppfoljning/rus-e2e/insatser/{followup['action']}",
        "results": followup["round"],
    }
    for name, path in pages.items():
        page.goto(live_server.at(path))
        expect(page.locator("h1")).to_have_count(1)
        assert_accessible(page, f"{name} at {viewport['width']} px")
        _fits(page)
        screenshot(page, f"followup-{name}-{viewport['width']}")
    assert not page.problems.all(), page.problems.all()


def test_a_visitor_filters_by_global_goal_and_follows_a_response_to_its_action(
    page: Page, live_server, followup
):
    page.goto(live_server.at("/uppfoljning/rus-e2e"))
    page.get_by_label("Globalt mål").select_option("11")
    page.get_by_role("button", name="Visa").click()
    expect(page).to_have_url(re.compile(r"/uppfoljning/rus-e2e\?globalt_mal=11&"))
    goals = page.locator(".goal-card h3")
    expect(goals).to_have_text(["1.2 Bostäder för alla", "2.1 Hållbart resande"])
    expect(page.locator(".active-filters")).to_contain_text("Hållbara städer och samhällen")
    page.get_by_role("link", name="Visa alla").first.click()
    expect(page.locator(".goal-card h3")).to_have_count(3)

    # From the consultation's published results to the action, by keyboard.
    page.goto(live_server.at(followup["round"]))
    link = page.locator(".carried-out a", has_text="Kompetenslyft i länet").first
    link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Kompetenslyft i länet")
    expect(page.locator(".said-decided-did")).to_contain_text("Regionen satsar på Norrbotniabanan.")
    assert not page.problems.all(), page.problems.all()
