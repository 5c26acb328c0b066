"""Issue 11, item 17 in a real browser: closing a round and publishing its results are asked
about first. With JavaScript a modal dialog opens over the page (cancel leaves the round as it
is); without it the same post answers with a confirmation page.

The assertions rely on ids, URLs, classes and roles rather than translated text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from consult.models import Follow, Role
from tests import factories
from tests.conftest import empty_tables

from .conftest import AXE_JS, DESKTOP, Problems, assert_accessible, screenshot

pytestmark = pytest.mark.e2e


@dataclass
class World:
    admin: str
    round_id: int


@pytest.fixture
def world(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
        )
        follower = factories.make_user(session, name="Fia Följare")
        session.add(Follow(user_id=follower.id, consultation_id=round_.consultation_id))
        session.commit()
        made = World(
            admin=factories.make_user(session, role=Role.ADMIN, name="Ada Admin").email,
            round_id=round_.id,
        )
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


def _admin_page(browser, live_server, email: str, *, javascript: bool = True) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE", java_script_enabled=javascript)
    context.add_init_script(path=str(AXE_JS))
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = Problems()
    page.on("pageerror", lambda error: page.problems.js.append(str(error)))
    page.on("response", page.problems.on_response)
    page.goto(live_server.at("/konto/logga-in"))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_be_visible()
    return page


def test_close_now_asks_in_a_dialog_and_cancel_leaves_the_round_open(browser, live_server, world):
    page = _admin_page(browser, live_server, world.admin)
    page.goto(live_server.at("/admin/"))
    row = page.locator(f"#round-{world.round_id}")
    # The safe action first, the loud one last.
    forms = row.locator("form")
    expect(forms.first).to_have_attribute("action", f"/admin/omgang/{world.round_id}/forlang")
    expect(forms.last).to_have_attribute("action", f"/admin/omgang/{world.round_id}/stang")

    row.locator("form[action$='/stang'] button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("button[type='submit'].risky")).to_be_visible()
    screenshot(page, "30-admin-close-dialog", full_page=False)
    assert_accessible(page, "close confirmation dialog")
    dialog.locator("[data-close-dialog]").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(row.locator(".badge-open")).to_be_visible()

    row.locator("form[action$='/stang'] button").click()
    page.get_by_role("dialog").locator("button[type='submit']").click()
    expect(page.locator("dialog")).to_have_count(0)
    expect(row.locator(".badge-closed")).to_be_visible()
    expect(row.locator(".notice")).to_be_focused()
    assert page.problems.all() == []


def test_publishing_from_the_round_page_asks_in_a_dialog(browser, live_server, world):
    with live_server.session() as session:
        from consult.models import Round

        round_ = session.get(Round, world.round_id)
        round_.closed_at = datetime.now(UTC) - timedelta(minutes=1)
        session.commit()
    page = _admin_page(browser, live_server, world.admin)
    page.goto(live_server.at(f"/admin/omgang/{world.round_id}/"))
    page.locator("form[action$='/publicera'] button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.locator("button[type='submit']").click()
    expect(page.locator(".badge-published").first).to_be_visible()
    assert page.problems.all() == []


def test_without_javascript_close_now_asks_on_a_page_of_its_own(browser, live_server, world):
    page = _admin_page(browser, live_server, world.admin, javascript=False)
    page.goto(live_server.at(f"/admin/omgang/{world.round_id}/"))
    page.locator("form[action$='/stang'] button").click()
    expect(page).to_have_url(live_server.at(f"/admin/omgang/{world.round_id}/stang"))
    expect(page.locator("section.confirm-page h2")).to_be_visible()
    screenshot(page, "31-admin-close-confirm-page")
    page.locator("form.confirm-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at(f"/admin/omgang/{world.round_id}/"))
    expect(page.locator(".badge-closed").first).to_be_visible()
    assert page.problems.all() == []
