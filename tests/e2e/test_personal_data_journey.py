"""Issue 13, "Done when", as one journey in a real browser.

A private individual registers choosing to appear as "Privatperson" from Umeå, comments while
unconfirmed (the comment waits, unseen by a visitor), confirms by the link in the outbox (the
comment is published), downloads "my data" (the comment is in it), and closes the account.
Afterwards a visitor sees the comment as "Privatperson, Umeå", and the e-mail address is stored
nowhere in the database but in the erasure's audit entry. Every new page on the way is
axe-checked at 390 px and 1280 px and photographed to test-artifacts/journey-*.png.

The assertions rely on ids, names, URLs and classes rather than translated text, except for
the byline, which is what a reader sees.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from consult.models import AuditEntry, Comment, CommentStatus, OutboxEmail
from tests import factories
from tests.conftest import empty_tables
from tests.stored_data import where_stored

from .conftest import DESKTOP, PHONE, assert_accessible, screenshot

pytestmark = pytest.mark.e2e

EMAIL = "journey.jonsson@example.se"
NAME = "Journey Jonsson"
PASSWORD = "ett långt lösenord"
BODY = "Bygg fler cykelvägar mellan byarna längs älven."
LINK = re.compile(r"https?://[^/\s]+(/konto/bekrafta/\S+)")


@pytest.fixture
def slug(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
        )
        made = round_.consultation.slug
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


@pytest.fixture
def visitor(browser):
    """A second browser that never logs in: what anyone reading the thread sees."""
    context = browser.new_context(viewport=PHONE, locale="sv-SE")
    yield context.new_page()
    context.close()


def _check(page: Page, name: str) -> None:
    """Axe-check the page at 390 px and 1280 px, see that it fits, and photograph it."""
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert_accessible(page, f"{name} at {size['width']} px")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{name} scrolls sideways at {size['width']} px: {width}"
        screenshot(page, f"journey-{name}-{size['width']}")


def _confirmation_link(live_server) -> str:
    with live_server.session() as session:
        bodies = session.scalars(
            select(OutboxEmail.body).where(OutboxEmail.to_address == EMAIL)
        ).all()
    links = [found.group(1) for body in bodies if (found := LINK.search(body))]
    assert len(links) == 1, f"expected one confirmation link to {EMAIL}, found {links}"
    return live_server.at(links[0])


def _comment_status(live_server) -> CommentStatus:
    with live_server.session() as session:
        return session.scalar(select(Comment.status).where(Comment.body == BODY))


def test_register_confirm_comment_download_and_close(page: Page, visitor: Page, live_server, slug):
    thread_url = live_server.at(f"/samrad/{slug}/omgang/1/synpunkter/doc")

    # Register as a private individual who appears as "Privatperson, Umeå".
    page.goto(live_server.at(f"/konto/registrera?next=/samrad/{slug}/omgang/1/synpunkter/doc"))
    page.locator("input[name='email']").fill(EMAIL)
    page.locator("input[name='display_name']").fill(NAME)
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("input[name='password_confirm']").fill(PASSWORD)
    page.locator("select[name='category']").select_option("privatperson")
    page.locator("input[name='name_shown'][value='hidden']").check()
    page.locator("select[name='municipality']").select_option("Umeå")
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(thread_url)
    expect(page.locator(".site-header .who")).to_be_visible()

    # Comment while unconfirmed: the form says it waits, and it does.
    form = page.locator("form.comment-form")
    expect(form.locator(".unconfirmed-hint")).to_be_visible()
    form.locator(".privacy-line a").click()
    expect(page).to_have_url(live_server.at("/personuppgifter"))
    _check(page, "privacy")
    page.goto(thread_url)
    form.locator("textarea").fill(BODY)
    form.locator("button[type='submit']").click()
    expect(page.locator(".notice").first).to_be_visible()
    assert _comment_status(live_server) == CommentStatus.PENDING
    visitor.goto(thread_url)
    expect(visitor.locator("main")).not_to_contain_text(BODY)
    page.set_viewport_size(PHONE)
    screenshot(page, "journey-thread-waiting-390")

    # Confirm by the link in the outbox: the hub says so, and the comment is published.
    page.goto(_confirmation_link(live_server))
    expect(page).to_have_url(live_server.at("/konto"))
    expect(page.locator(".callout.unconfirmed")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Privatperson, Umeå")
    _check(page, "confirmed-hub")
    assert _comment_status(live_server) == CommentStatus.PUBLISHED
    visitor.goto(thread_url)
    expect(visitor.locator("article.comment").filter(has_text=BODY)).to_be_visible()
    page.reload()  # the hub itself, without the confirmation message
    _check(page, "hub")

    # The hub leads to how you appear, which shows the choice made at registration.
    page.locator("a[href='/konto/synlighet']").click()
    expect(page.locator("input[name='name_shown'][value='hidden']")).to_be_checked()
    expect(page.locator("select[name='municipality']")).to_have_value("Umeå")
    _check(page, "visibility")

    # "My data": both downloads hold the comment.
    page.goto(live_server.at("/konto"))
    page.locator("a[href='/konto/mina-uppgifter']").click()
    expect(page).to_have_url(live_server.at("/konto/mina-uppgifter"))
    _check(page, "my-data")
    with page.expect_download() as info:
        page.locator("a[href='/konto/mina-uppgifter/json']").click()
    data = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert BODY in json.dumps(data, ensure_ascii=False)
    assert EMAIL in json.dumps(data, ensure_ascii=False)
    with page.expect_download() as info:
        page.locator("a[href='/konto/mina-uppgifter/zip']").click()
    with zipfile.ZipFile(info.value.path()) as archive:
        files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    assert {name.rsplit(".", 1)[-1] for name in files} >= {"json", "html"}
    for name, text in files.items():
        assert BODY in text, f"{name} in the ZIP lacks the comment"

    # Close the account: the page explains first, then asks for the password.
    page.goto(live_server.at("/konto"))
    page.locator("a[href='/konto/avsluta']").click()
    expect(page).to_have_url(live_server.at("/konto/avsluta"))
    _check(page, "close")
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_have_count(0)
    screenshot(page, "journey-closed-1280")
    assert not page.problems.all()

    # A visitor sees the comment under the anonymous form and nothing of the person.
    visitor.goto(thread_url)
    comment = visitor.locator("article.comment").filter(has_text=BODY)
    expect(comment.locator(".author strong")).to_have_text("Privatperson, Umeå")
    expect(visitor.locator("main")).not_to_contain_text("Jonsson")
    screenshot(visitor, "journey-thread-after-closing-390")

    # The address is nowhere in the database but in the erasure's audit entry.
    with live_server.session() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.erase"))
        for needle in (EMAIL, NAME):
            where = {(table, key) for table, _column, key in where_stored(session, needle)}
            assert where == {("audit_entry", entry.id)}, f"{needle} is still stored: {where}"
