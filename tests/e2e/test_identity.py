"""Issue 13, items 3 and 5 in a real browser: register as a private individual who shows only
"Privatperson, <kommun>", comment, look at the privacy pages, close the account; the comment
then stays as "Privatperson, Umeå" and the address is nowhere but the erasure's audit entry.

The assertions rely on ids, names, URLs and classes rather than translated text, except for
the byline, which is what a reader sees.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from consult.models import AuditEntry, Comment, User
from tests import factories
from tests.conftest import empty_tables

from .conftest import assert_accessible, screenshot

pytestmark = pytest.mark.e2e

EMAIL = "nils.nilsson@example.se"
PASSWORD = "ett långt lösenord"


@pytest.fixture
def slug(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
        )
        round_.consultation.contact_name = "Karin Wikström"
        round_.consultation.contact_email = "karin@region.example"
        session.commit()
        made = round_.consultation.slug
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


def test_register_anonymously_comment_and_close_the_account(page: Page, live_server, slug):
    page.goto(live_server.at("/konto/registrera"))
    page.locator("input[name='email']").fill(EMAIL)
    page.locator("input[name='display_name']").fill("Nils Nilsson")
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("input[name='password_confirm']").fill(PASSWORD)
    page.locator("select[name='category']").select_option("privatperson")
    page.locator("input[name='name_shown'][value='hidden']").check()
    page.locator("select[name='municipality']").select_option("Umeå")
    assert_accessible(page, "registration with the name choice")
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_be_visible()

    thread_url = live_server.at(f"/samrad/{slug}/omgang/1/synpunkter/doc")
    page.goto(thread_url)
    expect(page.locator(".contact")).to_contain_text("Karin Wikström")
    form = page.locator("form.comment-form")
    form.locator("textarea").fill("Fler cykelvägar mellan byarna.")
    form.locator("button[type='submit']").click()
    comment = page.locator("article.comment").filter(has_text="Fler cykelvägar")
    expect(comment.locator(".author strong")).to_have_text("Privatperson, Umeå")

    page.goto(live_server.at("/konto/synlighet"))
    expect(page.locator("input[name='name_shown'][value='hidden']")).to_be_checked()
    assert_accessible(page, "how you appear publicly")
    screenshot(page, "identity-visibility")
    page.goto(live_server.at("/konto/avsluta"))
    assert_accessible(page, "close your account")
    page.locator("input[name='password']").fill(PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_have_count(0)

    page.goto(thread_url)
    comment = page.locator("article.comment").filter(has_text="Fler cykelvägar")
    expect(comment.locator(".author strong")).to_have_text("Privatperson, Umeå")
    expect(page.locator("main")).not_to_contain_text("Nils")

    with live_server.session() as session:
        assert session.scalar(select(func.count()).where(User.email == EMAIL)) == 0
        assert session.scalar(select(func.count()).select_from(Comment)) == 1
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.erase"))
        assert EMAIL in entry.before
