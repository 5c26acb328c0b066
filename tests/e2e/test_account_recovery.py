"""Accounts in a real browser: register, comment while unconfirmed, confirm by the link in the
outbox (the comment is then published), and reset a forgotten password.

Links are read from the outbox (the mails the worker would send); they start with BASE_URL,
so only their path is opened on the live server.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from consult.models import Comment, CommentStatus, OutboxEmail

from .conftest import PHONE, Seed, assert_accessible, screenshot

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://[^/\s]+(/konto/\S+)")


def _link_to(live_server, address: str, part: str) -> str:
    with live_server.session() as session:
        bodies = session.scalars(
            select(OutboxEmail.body)
            .where(OutboxEmail.to_address == address)
            .order_by(OutboxEmail.id.desc())
        ).all()
    for body in bodies:
        found = LINK.search(body)
        if found and part in found.group(1):
            return live_server.at(found.group(1))
    raise AssertionError(f"no {part} link to {address} in the outbox")


def test_register_comment_confirm_and_the_comment_is_published(page: Page, live_server, seed: Seed):
    anchor, _text = seed.paragraphs[0]
    page.goto(live_server.at(f"/konto/registrera?next=/samrad/{seed.slug}/"))
    page.locator("input[name='email']").press_sequentially("olle.ny@example.se")
    page.locator("input[name='display_name']").press_sequentially("Olle Ny")
    page.locator("input[name='password']").press_sequentially("ett långt lösenord")
    page.locator("input[name='password_confirm']").press_sequentially("ett långt lösenord")
    page.locator("select[name='category']").select_option("privatperson")
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".round-header .callout.unconfirmed")).to_be_visible()

    page.locator(f"[data-thread-toggle='{anchor}']").click()
    thread = page.locator(f"#thread-{anchor}")
    form = thread.locator("form.comment-form")
    expect(form.locator(".unconfirmed-hint")).to_be_visible()
    form.locator(f"textarea[name='{anchor}-body']").fill("Väntar på min bekräftelse.")
    form.locator("button[type='submit']").click()
    expect(thread.locator(".notice")).to_be_visible()
    with live_server.session() as session:
        comment = session.scalar(select(Comment).where(Comment.body.contains("bekräftelse")))
        assert comment.status == CommentStatus.PENDING

    page.goto(live_server.at("/mina-synpunkter"))
    expect(page.locator(".callout.unconfirmed button[type='submit']")).to_be_visible()
    assert_accessible(page, "my comments, unconfirmed")

    page.goto(_link_to(live_server, "olle.ny@example.se", "/konto/bekrafta/"))
    expect(page).to_have_url(live_server.at("/konto"))
    expect(page.locator(".callout.unconfirmed")).to_have_count(0)
    with live_server.session() as session:
        comment = session.scalar(select(Comment).where(Comment.body.contains("bekräftelse")))
        assert comment.status == CommentStatus.PUBLISHED
    # The same link again: a clear page, not an error.
    page.goto(_link_to(live_server, "olle.ny@example.se", "/konto/bekrafta/"))
    expect(page.locator("h1")).not_to_be_empty()
    assert_accessible(page, "a used link")


def test_forgot_password_then_log_in_with_the_new_one(page: Page, live_server, seed: Seed):
    page.set_viewport_size(PHONE)
    page.goto(live_server.at("/konto/logga-in"))
    page.locator("a[href='/konto/glomt-losenord']").click()
    assert_accessible(page, "forgot password")
    screenshot(page, "account-forgot-password-phone")
    page.locator("input[name='email']").press_sequentially(seed.user_email)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator("p[role='status']")).to_contain_text(seed.user_email)

    page.goto(_link_to(live_server, seed.user_email, "/konto/nytt-losenord/"))
    assert_accessible(page, "choose a new password")
    page.locator("input[name='password']").press_sequentially("helt nytt lösenord")
    page.locator("input[name='password_confirm']").press_sequentially("helt nytt lösenord")
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at("/konto/logga-in"))

    page.locator("input[name='email']").press_sequentially(seed.user_email)
    page.locator("input[name='password']").press_sequentially("helt nytt lösenord")
    page.locator("form.stack-form button[type='submit']").click()
    page.goto(live_server.at("/konto"))
    expect(page.locator(".site-header .who")).to_have_text(seed.user_name)
    assert_accessible(page, "account settings")
    screenshot(page, "account-settings-phone")
