"""Issue 4 end to end in a real browser: a round run from /admin, a comment reported by three
participants, hidden at the threshold, and shown again by staff from the moderation queue.

Each person has their own browser context (their own cookies). The assertions rely on ids,
names, URLs and classes rather than translated text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from consult import clock
from consult.models import Role
from tests import factories
from tests.conftest import empty_tables

from .conftest import AXE_JS, DESKTOP, Problems, assert_accessible, screenshot

pytestmark = pytest.mark.e2e

SLUG = "trafikstrategi-2031"
COMMENT_TEXT = "Den här skrivningen pekar ut en enskild tjänsteperson."


@dataclass
class People:
    admin: str
    staff: str
    author: str
    reporters: list[str]


@pytest.fixture
def people(live_server):
    with live_server.session() as session:
        made = People(
            admin=factories.make_user(session, role=Role.ADMIN).email,
            staff=factories.make_user(session, role=Role.STAFF).email,
            author=factories.make_user(session, name="Alva Författare").email,
            reporters=[factories.make_user(session).email for _ in range(3)],
        )
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


def draft_docx() -> bytes:
    """A small Word draft: headings become sections, paragraphs paragraphs, a list stays one."""
    from docx import Document

    document = Document()
    document.add_heading("Inledning", level=1)
    document.add_paragraph("Trafikstrategin visar hur länet ska resa hållbart till 2031.")
    document.add_heading("Kollektivtrafik", level=1)
    document.add_paragraph("Regionen bygger ut busstrafiken i inlandet.")
    document.add_paragraph("Fler avgångar", style="List Bullet")
    document.add_paragraph("Bättre anslutningar till tåg", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def stockholm(value: datetime) -> str:
    """A ``datetime-local`` value in Stockholm wall-clock time."""
    return value.astimezone(clock.STOCKHOLM).strftime("%Y-%m-%dT%H:%M")


class Browsers:
    """One browser context per person, each logged in through the login form."""

    def __init__(self, browser, live_server):
        self.browser = browser
        self.live_server = live_server
        self.contexts = []
        self.problems = []

    def page_for(self, email: str) -> Page:
        context = self.browser.new_context(viewport=DESKTOP, locale="sv-SE")
        context.add_init_script(path=str(AXE_JS))
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        page = context.new_page()
        problems = Problems()
        page.on("pageerror", lambda error: problems.js.append(str(error)))
        page.on("response", problems.on_response)
        self.problems.append(problems)
        page.goto(self.live_server.at("/konto/logga-in"))
        page.locator("input[name='email']").fill(email)
        page.locator("input[name='password']").fill(factories.PASSWORD)
        page.locator("form.stack-form button[type='submit']").click()
        expect(page.locator(".site-header .who")).to_be_visible()
        return page

    def close(self):
        for context in self.contexts:
            context.close()

    def all_problems(self) -> list[str]:
        return [p for problems in self.problems for p in problems.js + problems.server]


@pytest.fixture
def browsers(browser, live_server):
    made = Browsers(browser, live_server)
    yield made
    made.close()


def run_the_round_as_admin(page: Page, live_server) -> None:
    page.goto(live_server.at("/admin/"))
    assert_accessible(page, "administration start page")
    page.locator("a[href='/admin/samrad/ny']").click()
    assert_accessible(page, "new consultation form")
    page.locator("input[name='title']").fill("Trafikstrategi 2031")
    page.locator("input[name='slug']").fill(SLUG)
    page.locator("form.stack-form button[type='submit']").click()

    # On to the new round: schedule it for tomorrow with the Word draft.
    expect(page).to_have_url(re.compile(r"/admin/samrad/\d+/ny-omgang$"))
    assert_accessible(page, "new round form")
    now = datetime.now(clock.STOCKHOLM)
    page.locator("input[name='opens_at']").fill(stockholm(now + timedelta(days=1)))
    page.locator("input[name='closes_at']").fill(stockholm(now + timedelta(days=30)))
    page.locator("input[name='moderation'][value='post']").check()
    page.locator("input[name='draft']").set_input_files(
        files=[
            {
                "name": "trafikstrategi.docx",
                "mimeType": "application/vnd.openxmlformats-officedocument"
                ".wordprocessingml.document",
                "buffer": draft_docx(),
            }
        ]
    )
    page.locator("form.stack-form button[type='submit']").click()

    expect(page).to_have_url(re.compile(r"/admin/omgang/\d+/$"))
    expect(page.locator(".status .badge")).to_have_class(re.compile(r"\bbadge-scheduled\b"))
    assert_accessible(page, "round page (scheduled)")
    page.locator("form[action$='/oppna'] button[type='submit']").click()
    expect(page.locator(".status .badge")).to_have_class(re.compile(r"\bbadge-open\b"))
    screenshot(page, "10-admin-round-opened")


def first_paragraph_thread(page: Page, live_server) -> str:
    """Open the thread page of the draft's first paragraph; return its URL."""
    page.goto(live_server.at(f"/samrad/{SLUG}/"))
    toggle = page.locator("[data-thread-toggle^='p-']").first
    anchor = toggle.get_attribute("data-thread-toggle")
    url = live_server.at(f"/samrad/{SLUG}/omgang/1/synpunkter/{anchor}")
    page.goto(url)
    return url


def test_a_reported_comment_is_hidden_and_staff_show_it_again(browsers, live_server, people):
    run_the_round_as_admin(browsers.page_for(people.admin), live_server)

    # A participant comments on the first paragraph.
    author = browsers.page_for(people.author)
    thread_url = first_paragraph_thread(author, live_server)
    form = author.locator("form.comment-form")
    form.locator("textarea[name$='-body']").fill(COMMENT_TEXT)
    form.locator("button[type='submit']").click()
    comment = author.locator("article.comment").filter(has_text=COMMENT_TEXT)
    expect(comment).to_have_count(1)
    comment_id = comment.get_attribute("id").removeprefix("c-")
    # Nobody reports their own comment.
    expect(author.locator(f"#report-{comment_id}")).to_have_count(0)

    # Three other participants report it, each through the small form under the comment.
    for number, email in enumerate(people.reporters, start=1):
        page = browsers.page_for(email)
        page.goto(thread_url)
        report = page.locator(f"#report-{comment_id}")
        report.locator("summary").click()
        report.locator("select").select_option("personal_data")
        report.locator("textarea").fill(f"Anmälan {number}")
        report.locator("button[type='submit']").click()
        expect(page.locator(f"#report-{comment_id} .notice")).to_be_visible()
        expect(page.locator(f"#report-{comment_id} form")).to_have_count(0)

    # Hidden at the threshold: the last reporter no longer sees it after a reload.
    page.reload()
    expect(page.locator(f"#c-{comment_id}")).to_have_count(0)

    # Staff see it hidden in the queue and show it again (htmx swaps the row).
    staff = browsers.page_for(people.staff)
    expect(staff.locator(".site-header .nav-count")).to_contain_text("1")
    staff.locator(".site-header a[href='/moderering/']").click()
    row = staff.locator(f"#q-{comment_id}")
    expect(row.locator(".tag.queue-hidden")).to_be_visible()
    expect(row.locator(".queue-reports")).to_contain_text("3")
    expect(row.locator(".report-notes li")).to_have_count(3)
    screenshot(staff, "11-moderation-queue")
    assert_accessible(staff, "moderation queue")
    url = staff.url
    row.locator("form[action$='/visa'] button[type='submit']").click()
    row = staff.locator(f"#q-{comment_id}")
    expect(row.locator(".notice")).to_be_visible()
    expect(row.locator(".notice")).to_be_focused()
    expect(row.locator("form[action$='/visa']")).to_have_count(0)
    assert staff.url == url
    assert_accessible(staff, "moderation queue after showing a comment again")

    # Everyone sees the comment again.
    page.goto(thread_url)
    expect(page.locator(f"#c-{comment_id}")).to_contain_text(COMMENT_TEXT)
    assert browsers.all_problems() == []
