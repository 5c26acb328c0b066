"""Issue 4, item 5 in a real browser: staff check a claim and block an author from the rows of
their lists (htmx, by keyboard), the author sees why they cannot write, a verified author is
marked on their comment, and an administrator merges a duplicate organisation.

The assertions rely on ids, names, URLs and classes rather than translated text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from consult.models import ClaimStatus, Role
from tests import factories
from tests.conftest import empty_tables

from .conftest import AXE_JS, DESKTOP, Problems, assert_accessible, screenshot

pytestmark = pytest.mark.e2e


@dataclass
class World:
    slug: str
    admin: str
    staff: str
    author: str
    author_id: int
    claimant_id: int
    verified_name: str
    duplicate_id: int
    target_id: int


@pytest.fixture
def world(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
        )
        target = factories.make_organisation(session, "Skellefteå kommun")
        duplicate = factories.make_organisation(session, "Skelleftea kommun")
        author = factories.make_user(session, name="Ali Skribent")
        claimant = factories.make_user(session, name="Cilla Anspråk", organisation=duplicate)
        verified = factories.make_user(session, name="Vera Verifierad", organisation=target)
        verified.organisation_claim = ClaimStatus.VERIFIED
        session.commit()
        factories.make_comment(session, round_, author, body="Ett inlägg före spärren.")
        factories.make_comment(session, round_, verified, body="Kommunen instämmer.")
        made = World(
            slug=round_.consultation.slug,
            admin=factories.make_user(session, role=Role.ADMIN, name="Ada Admin").email,
            staff=factories.make_user(session, role=Role.STAFF, name="Stig Staff").email,
            author=author.email,
            author_id=author.id,
            claimant_id=claimant.id,
            verified_name=verified.display_name,
            duplicate_id=duplicate.id,
            target_id=target.id,
        )
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


def logged_in(browser, live_server, email: str) -> Page:
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE")
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


def test_staff_verify_and_block_from_the_rows_and_the_author_is_told(browser, live_server, world):
    staff = logged_in(browser, live_server, world.staff)

    # The claim queue: verify Cilla's claim by keyboard; the row answers in place.
    staff.goto(live_server.at("/admin/anvandare/ansprak"))
    assert_accessible(staff, "claim queue")
    row = staff.locator(f"#claim-{world.claimant_id}")
    row.locator("form[action$='/verifiera'] button").focus()
    staff.keyboard.press("Enter")
    expect(row.locator(".notice")).to_be_focused()
    expect(row.locator("form[action$='/verifiera']")).to_have_count(0)

    # The user list: find Ali and block him with a reason, hiding his comments.
    staff.goto(live_server.at("/admin/anvandare/?q=skribent"))
    assert_accessible(staff, "user list")
    row = staff.locator(f"#user-{world.author_id}")
    row.locator("summary").focus()
    staff.keyboard.press("Enter")
    row.locator("form[action$='/sparra'] button[type='submit']").click()
    # Without a reason the row comes back with the error and the focus on the field.
    reason = row.locator("input[name$='-block-reason']")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("Upprepade personangrepp")
    row.locator("input[name$='-block-hide_comments']").check()
    reason.press("Enter")
    expect(row.locator("form[action$='/hav-sparr']")).to_be_visible()
    screenshot(staff, "20-people-user-blocked")
    staff.goto(live_server.at(f"/admin/anvandare/{world.author_id}"))
    assert_accessible(staff, "user page")

    # Ali can read but is told why he cannot write; his hidden comment is not shown to others.
    author = logged_in(browser, live_server, world.author)
    author.goto(live_server.at(f"/samrad/{world.slug}/"))
    expect(author.locator(".write-refusal")).to_contain_text("Upprepade personangrepp")
    author.goto(live_server.at(f"/samrad/{world.slug}/omgang/1/synpunkter/doc"))
    expect(author.locator(".write-refusal")).to_be_visible()
    expect(author.locator("form.comment-form")).to_have_count(0)
    expect(author.locator(".agree-button")).to_have_count(0)
    assert_accessible(author, "thread seen by a blocked participant")

    # Vera's comment carries the verified mark.
    verified = author.locator("article.comment").filter(has_text=world.verified_name)
    expect(verified.locator(".category.verified")).to_have_count(1)
    assert staff.problems.all() == [] and author.problems.all() == []


def test_an_admin_merges_a_duplicate_organisation(browser, live_server, world):
    admin = logged_in(browser, live_server, world.admin)
    admin.goto(live_server.at("/admin/"))
    admin.locator("main a[href='/admin/anvandare/']").click()
    admin.locator("nav.people-nav a[href='/admin/organisationer/']").click()
    assert_accessible(admin, "organisation list")
    admin.locator(f"#organisation-{world.duplicate_id} a").click()
    assert_accessible(admin, "organisation page")
    form = admin.locator("form[action$='/sla-ihop']")
    form.locator("select[name='target']").select_option(str(world.target_id))
    form.locator("button[type='submit']").click()
    # Not confirmed: the form comes back with the error and keeps the choice.
    expect(form.locator("input[name='confirm'][aria-invalid='true']")).to_be_visible()
    expect(form.locator("select[name='target']")).to_have_value(str(world.target_id))
    form.locator("input[name='confirm']").check()
    form.locator("button[type='submit']").click()
    expect(admin).to_have_url(live_server.at(f"/admin/organisationer/{world.target_id}"))
    expect(admin.locator("main")).to_contain_text("Cilla Anspråk")
    screenshot(admin, "21-people-organisation-merged")
    assert admin.problems.all() == []
