"""The privacy notice, the accessibility statement and the retention settings in a browser:
axe-clean, readable at 390 px and 1280 px, reached from the footer of any page, and editable by
an administrator. Screenshots go to test-artifacts/site-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from consult.models import Role
from tests import factories

from .conftest import DESKTOP, PHONE, assert_accessible, empty_tables, screenshot

pytestmark = pytest.mark.e2e

PUBLIC = {"privacy": "/personuppgifter", "accessibility": "/tillganglighet"}
ADMIN = {
    "edit-privacy": "/admin/personuppgifter",
    "edit-accessibility": "/admin/tillganglighet",
    "retention": "/admin/gallring",
}


@pytest.fixture
def admin(live_server):
    with live_server.session() as session:
        user = factories.make_user(session, role=Role.ADMIN, name="Ada Admin")
        email = user.email
    yield email
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
@pytest.mark.parametrize("name", PUBLIC)
def test_the_public_pages_are_accessible_and_fit(page: Page, live_server, name, size):
    page.set_viewport_size(size)
    page.goto(live_server.at(PUBLIC[name]))
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page, PUBLIC[name])
    _fits(page)
    screenshot(page, f"site-{name}-{size['width']}")
    assert not page.problems.all()


def test_the_footer_leads_to_both_pages(page: Page, live_server):
    page.goto(live_server.at("/"))
    page.locator(".site-footer").get_by_role("link", name="Så behandlar vi personuppgifter").click()
    expect(page.locator("h1")).to_have_text("Så behandlar vi personuppgifter")
    page.locator(".site-footer").get_by_role("link", name="Tillgänglighetsredogörelse").click()
    expect(page.locator("h1")).to_have_text("Tillgänglighetsredogörelse")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["390", "1280"])
def test_the_administrators_pages_are_accessible_and_fit(page: Page, live_server, admin, size):
    page.set_viewport_size(size)
    _login(page, live_server, admin)
    for name, url in ADMIN.items():
        page.goto(live_server.at(url))
        assert_accessible(page, url)
        _fits(page)
        screenshot(page, f"site-{name}-{size['width']}")
    assert not page.problems.all()


def test_an_administrator_changes_a_period_and_the_privacy_page_says_so(
    page: Page, live_server, admin
):
    _login(page, live_server, admin)
    page.goto(live_server.at("/admin/gallring"))
    page.get_by_label("Konton vars e-postadress aldrig bekräftats").fill("x")
    page.get_by_role("button", name="Spara").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert_accessible(page, "the retention form with an error")
    page.get_by_label("Konton vars e-postadress aldrig bekräftats").fill("21")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(live_server.at("/personuppgifter"))
    expect(page.locator("#lagring + p + ul")).to_contain_text("raderas 21 dagar")
