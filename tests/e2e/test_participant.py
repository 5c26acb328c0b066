"""A participant's path through Consult in a real browser: read, register, comment, propose.

Everything is done the way a person does it: clicks, typing and the keyboard. The assertions
avoid translated text (the interface is Swedish by default, English without the compiled
catalogue) and rely on ids, names and values, and on digits in the counts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories

from .conftest import PHONE, Seed, assert_accessible, screenshot

pytestmark = pytest.mark.e2e

COMMENT_TEXT = "Bra skrivet, men **tidsplanen** behöver bli tydligare."
PROPOSAL_BODY = "Hållbarhet säger mer om vad vi vill."


# --- Helpers -------------------------------------------------------------------------------


def round_url(live_server, seed: Seed) -> str:
    return live_server.at(f"/samrad/{seed.slug}/")


def log_in(page: Page, live_server, seed: Seed) -> None:
    """Log in as the seeded participant through the login form."""
    page.goto(live_server.at(f"/konto/logga-in?next=/samrad/{seed.slug}/"))
    page.locator("input[name='email']").press_sequentially(seed.user_email)
    page.locator("input[name='password']").press_sequentially(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(round_url(live_server, seed))
    expect(page.locator(".site-header .who")).to_have_text(seed.user_name)


def open_thread(page: Page, anchor: str):
    """Click the comment toggle of ``anchor``; return the thread region once it is loaded."""
    toggle = page.locator(f"[data-thread-toggle='{anchor}']")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    thread = page.locator(f"#thread-{anchor}")
    expect(thread).to_have_class(re.compile(r"\bthread\b(?!-)"))
    expect(thread).to_have_attribute("role", "region")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    return thread


def mark_page(page: Page) -> None:
    """Set a marker on the window; it survives htmx swaps but not a full page load."""
    page.evaluate("() => { window.__marker = 1; }")


def assert_same_page(page: Page, url: str) -> None:
    assert page.url == url, f"the URL changed from {url} to {page.url}"
    assert page.evaluate("() => window.__marker") == 1, "the page was reloaded (marker gone)"


def assert_no_problems(page: Page) -> None:
    problems = page.problems.all()
    assert not problems, "errors in the browser:\n" + "\n".join(problems)


# --- The start page ------------------------------------------------------------------------


def test_start_page_lists_the_open_consultation(page: Page, live_server, seed: Seed):
    page.goto(live_server.at("/"))

    card = page.locator(".cards .card").filter(has_text=seed.title)
    expect(card).to_have_count(1)
    expect(card.get_by_role("link", name=seed.title)).to_have_attribute(
        "href", f"/samrad/{seed.slug}/"
    )
    expect(card.locator(".status")).to_have_class(re.compile(r"\bstatus-open\b"))
    badge = card.locator(".badge")
    expect(badge).to_have_class(re.compile(r"\bbadge-open\b"))
    expect(badge).not_to_be_empty()
    # The status sentence names the closing date: a week from now, so this or next year.
    expect(card.locator(".status")).to_contain_text(re.compile(r"20\d\d"))

    screenshot(page, "01-start-page")
    assert_accessible(page, "start page")
    assert_no_problems(page)


def test_a_visitor_reads_without_a_cookie_and_switches_language_with_the_keyboard(
    page: Page, live_server, seed: Seed
):
    page.goto(round_url(live_server, seed) + "#main")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert page.context.cookies() == []  # reading sets none
    switch = page.locator(".site-header button[name='lang']")
    expect(switch).to_have_attribute("value", "en")
    switch.focus()
    page.keyboard.press("Enter")
    # Back on the same page (next=), now in English, and remembered for the visit.
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url.split("#")[0] == round_url(live_server, seed)
    assert [c["name"] for c in page.context.cookies()] == ["session"]
    page.goto(live_server.at("/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_no_problems(page)


# --- Registration --------------------------------------------------------------------------


def test_register_as_a_municipality_and_land_logged_in(page: Page, live_server, seed: Seed):
    page.goto(live_server.at("/"))
    page.locator(".cards .card").filter(has_text=seed.title).get_by_role(
        "link", name=seed.title
    ).click()
    expect(page).to_have_url(round_url(live_server, seed))
    expect(page.locator(".site-header .who")).to_have_count(0)

    page.locator(".site-header a[href^='/konto/registrera']").click()
    expect(page).to_have_url(re.compile(r"/konto/registrera\?next=/samrad/"))
    assert_accessible(page, "registration page")

    page.locator("input[name='email']").press_sequentially("eva.berg@skelleftea.example")
    page.locator("input[name='display_name']").press_sequentially("Eva Berg")
    page.locator("input[name='password']").press_sequentially("ett långt lösenord")
    page.locator("input[name='password_confirm']").press_sequentially("ett långt lösenord")
    page.locator("select[name='category']").select_option("kommun")
    page.locator("select[name='organisation_id']").select_option(label=seed.organisation)
    page.locator("form.stack-form button[type='submit']").click()

    # Back on the consultation, logged in, with a welcome message.
    expect(page).to_have_url(round_url(live_server, seed))
    expect(page.locator(".site-header .who")).to_have_text("Eva Berg")
    expect(page.locator("#flash .flash-success")).to_contain_text("Eva Berg")
    expect(page.locator(".site-header form[action='/konto/logga-ut'] button")).to_be_visible()
    # The "log in to comment" callout is gone now; instead the new account is asked to
    # confirm its address, which its comments wait for.
    expect(page.locator(".round-header .callout:not(.unconfirmed)")).to_have_count(0)
    expect(page.locator(".round-header .callout.unconfirmed")).to_contain_text(
        "eva.berg@skelleftea.example"
    )
    assert_no_problems(page)


# --- Commenting ----------------------------------------------------------------------------


def test_comment_on_a_paragraph_in_place(page: Page, live_server, seed: Seed):
    anchor, _text = seed.paragraphs[1]
    log_in(page, live_server, seed)
    assert_accessible(page, "consultation page")

    url = page.url
    mark_page(page)
    count = page.locator(f"#count-{anchor}")
    expect(count).to_have_text(re.compile(r"^\s*0\D"))

    thread = open_thread(page, anchor)
    assert_same_page(page, url)
    form = thread.locator("form.comment-form")
    expect(form).to_be_visible()
    assert_accessible(page, "consultation page with the comment form open")

    body = form.locator(f"textarea[name='{anchor}-body']")
    body.click()
    body.press_sequentially(COMMENT_TEXT)
    # The character counter follows the typing (static/js/app.js).
    expect(form.locator(f"#{anchor}-body-counter")).to_contain_text(str(len(COMMENT_TEXT)))
    # The answer's HX-Trigger makes the badge on the toggle ask for the new count.
    with page.expect_response(re.compile(rf"/synpunkter/{anchor}/antal$")) as count_answer:
        form.locator("button[type='submit']").click()
    assert count_answer.value.ok
    assert re.match(r"\s*<span[^>]*>\s*1\D", count_answer.value.text()), count_answer.value.text()

    comment = thread.locator("article.comment")
    expect(comment).to_have_count(1)
    expect(comment.locator(".prose")).to_contain_text("tidsplanen")
    expect(comment.locator(".prose strong")).to_have_text("tidsplanen")
    expect(comment.locator(".author")).to_contain_text(seed.user_name)
    expect(comment.locator(".author")).to_contain_text(seed.organisation)
    # The confirmation at the top of the thread is announced and takes the focus.
    notice = thread.locator(f"#thread-notice-{anchor} > .notice")
    expect(notice).to_be_visible()
    expect(notice).to_be_focused()
    expect(thread.locator(".thread-head h3")).to_have_text(re.compile(r"^\s*1\D"))
    assert_same_page(page, url)
    # The thread is still there, with a fresh, empty form for the next comment; a second
    # comment goes to the top of the list, and "no comments yet" was never shown.
    expect(thread.locator(f"textarea[name='{anchor}-body']")).to_have_value("")
    expect(thread.locator(".no-comments")).to_be_hidden()
    body = thread.locator(f"textarea[name='{anchor}-body']")
    body.click()
    body.press_sequentially("En andra synpunkt.")
    thread.locator("form.comment-form button[type='submit']").click()
    expect(comment).to_have_count(2)
    expect(comment.first.locator(".prose")).to_have_text("En andra synpunkt.")
    expect(thread.locator(".thread-head h3")).to_have_text(re.compile(r"^\s*2\D"))
    expect(thread.locator(f"#thread-notice-{anchor} > .notice")).to_have_count(1)
    screenshot(page, "02c-thread-after-two-posts", full_page=False)
    assert_same_page(page, url)
    assert_no_problems(page)


def test_propose_new_wording_shows_a_word_diff(page: Page, live_server, seed: Seed):
    anchor, text = seed.paragraphs[0]
    assert "attraktiv" in text
    log_in(page, live_server, seed)
    url = page.url
    mark_page(page)

    thread = open_thread(page, anchor)
    form = thread.locator("form.comment-form")
    proposed = form.locator(f"textarea[name='{anchor}-proposed_text']")
    # The proposed-wording field only shows once "proposed wording" is chosen.
    expect(proposed).to_be_hidden()
    form.locator(f"input[name='{anchor}-kind'][value='proposal']").click()
    expect(proposed).to_be_visible()
    expect(proposed).to_have_value(text)

    # Replace "attraktiv" with "hållbar" by keyboard: move the caret, select the word, type.
    start = text.index("attraktiv")
    proposed.click()
    page.keyboard.press("Control+Home")
    for _ in range(start):
        page.keyboard.press("ArrowRight")
    for _ in range(len("attraktiv")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.type("hållbar")
    expect(proposed).to_have_value(text.replace("attraktiv", "hållbar"))

    form.locator(f"textarea[name='{anchor}-body']").press_sequentially(PROPOSAL_BODY)
    form.locator("button[type='submit']").click()

    comment = thread.locator("article.comment")
    expect(comment).to_have_count(1)
    diff = comment.locator(".proposal .diff")
    expect(diff.locator("del")).to_have_text("attraktiv")
    expect(diff.locator("ins")).to_have_text("hållbar")
    expect(diff).to_contain_text("Västerbotten ska vara en")
    expect(comment.locator(".tag.kind-proposal")).to_be_visible()
    expect(comment.locator(".prose")).to_contain_text(PROPOSAL_BODY)
    expect(thread.locator(".thread-head h3")).to_have_text(re.compile(r"^\s*1\D"))
    assert_same_page(page, url)

    comment.scroll_into_view_if_needed()
    screenshot(page, "02-consultation-thread-with-proposal")
    screenshot(page, "02b-thread-with-proposal-viewport", full_page=False)
    assert_accessible(page, "consultation page with a posted proposal")
    assert_no_problems(page)


# --- Keyboard ------------------------------------------------------------------------------


def test_comment_toggle_works_with_the_keyboard(page: Page, live_server, seed: Seed):
    anchor, _text = seed.paragraphs[2]
    log_in(page, live_server, seed)
    toggle = page.locator(f"[data-thread-toggle='{anchor}']")

    # Tab from the top of the page until the toggle has the focus.
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(60):
        page.keyboard.press("Tab")
        if toggle.evaluate("element => element === document.activeElement"):
            break
    expect(toggle).to_be_focused()
    outline = toggle.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none", "the focused comment toggle shows no focus outline"

    page.keyboard.press("Enter")
    thread = page.locator(f"#thread-{anchor}")
    expect(thread).to_have_attribute("role", "region")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(thread.locator("form.comment-form")).to_be_visible()
    expect(toggle).to_be_focused()

    # Enter again closes the thread and leaves the focus on the toggle.
    page.keyboard.press("Enter")
    expect(thread).to_have_class("thread-slot")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    assert_no_problems(page)


# --- Phone width ---------------------------------------------------------------------------


def test_consultation_page_fits_a_phone(page: Page, live_server, seed: Seed):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, seed)

    def assert_no_horizontal_scroll(what: str) -> None:
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"{what}: page is {sizes[0]}px wide in a {sizes[1]}px window"

    assert_no_horizontal_scroll("consultation page")
    thread = open_thread(page, seed.paragraphs[0][0])
    expect(thread.locator("form.comment-form")).to_be_visible()
    assert_no_horizontal_scroll("consultation page with a thread open")
    screenshot(page, "03-phone-consultation")
    # Viewport-sized shots are easier to read than the long full page.
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "03a-phone-top", full_page=False)
    thread.scroll_into_view_if_needed()
    screenshot(page, "03b-phone-thread", full_page=False)
    page.locator("#doc-comments").scroll_into_view_if_needed()
    screenshot(page, "03c-phone-end-of-draft", full_page=False)
    assert_no_problems(page)


def test_count_badge_updates_after_posting(page: Page, live_server, seed: Seed):
    anchor, _text = seed.paragraphs[3]
    log_in(page, live_server, seed)
    count = page.locator(f"#count-{anchor}")
    expect(count).to_have_text(re.compile(r"^\s*0\D"))
    thread = open_thread(page, anchor)
    form = thread.locator("form.comment-form")
    form.locator(f"textarea[name='{anchor}-body']").press_sequentially("Norrbotniabanan först.")
    form.locator("button[type='submit']").click()
    expect(thread.locator("article.comment")).to_have_count(1)
    expect(count).to_have_text(re.compile(r"^\s*1\D"), timeout=2_000)
    # The thread must survive the badge's refresh (it is the inherited target).
    expect(thread.locator("article.comment")).to_have_count(1)


def test_confirmation_is_shown_once_per_thread(page: Page, live_server, seed: Seed):
    anchor, _text = seed.paragraphs[4]
    log_in(page, live_server, seed)
    thread = open_thread(page, anchor)
    for text in ("Första synpunkten.", "Andra synpunkten."):
        form = thread.locator("form.comment-form")
        form.locator(f"textarea[name='{anchor}-body']").press_sequentially(text)
        form.locator("button[type='submit']").click()
        expect(thread.locator("article.comment").filter(has_text=text)).to_have_count(1)
        # The confirmation takes focus once htmx settles; typing before that loses keys.
        expect(thread.locator(".notice")).to_be_focused()
    expect(thread.locator("article.comment")).to_have_count(2)
    expect(thread.locator(".notice")).to_have_count(1, timeout=1_000)
