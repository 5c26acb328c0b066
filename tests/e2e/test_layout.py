"""Pages fit a phone, the header fits one line on a desktop, and the browser logs no errors.

On the demo consultation: round 1 closed with its results published, round 2 open on a
revised draft (so there is a "what changed" page), as a person meets them at 390 px and at
1280 px. Screenshots go to test-artifacts/layout-*.png.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.request import urlopen

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from consult import clock
from consult.analysis import jobs
from consult.analysis import services as analysis_services
from consult.consultations import versions
from consult.consultations.importer import import_markdown
from consult.demo import DATA, DEMO_ACCOUNTS, SLUG
from consult.demo import load as load_demo
from consult.models import (
    Category,
    Comment,
    CommentRevision,
    CommentStatus,
    Consultation,
    ModerationMode,
    Role,
    Round,
)
from tests import factories
from tests.analysis_seed import seed_round

from .conftest import PHONE, assert_accessible, empty_tables, screenshot

pytestmark = pytest.mark.e2e

DESKTOP_WIDE = {"width": 1280, "height": 900}
# A long Swedish compound and a long address: words a phone must break, not scroll to.
LONG_WORD = "Infrastrukturinvesteringsfinansieringsplaneringsprocessen"
LONG_URL = "https://www.example.se/regional-utvecklingsstrategi/bilagor/trafikstrategi-2030.pdf"


@dataclass
class World:
    slug: str
    first_anchor: str  # a paragraph of round 1 with many comments
    second_anchor: str  # a paragraph of round 2 (open) with a comment
    second_comment: int  # that comment


def _account(role: str) -> tuple[str, str]:
    email, password, _ = next(a for a in DEMO_ACCOUNTS if a[2] == role)
    return email, password


def _revised(markdown: str) -> str:
    """The demo draft as a second round might change it: a word changed, a paragraph added."""
    revised = markdown.replace("Västerbotten", "Västerbottens län", 3)
    return revised.replace(
        "# Innovationskraft\n",
        f"# Innovationskraft\n\nNytt stycke om {LONG_WORD}, se {LONG_URL}.\n",
        1,
    )


@pytest.fixture(scope="module")
def world(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        load_demo(session, now)
        first = session.scalar(
            select(Round).join(Consultation).where(Consultation.slug == SLUG, Round.number == 1)
        )
        first.closed_at = now - timedelta(days=2)
        first.results_published_at = now - timedelta(days=1)
        second = Round(
            consultation=first.consultation,
            number=2,
            title="Remissomgång 2",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=30),
            moderation=ModerationMode.POST,
        )
        session.add(second)
        markdown = _revised((DATA / "strategy.md").read_text(encoding="utf-8"))
        import_markdown(session, second, markdown, title=first.consultation.title)
        session.flush()
        versions.link_to_previous(session, second)
        busiest = session.scalar(
            select(Comment.paragraph_id)
            .where(Comment.round_id == first.id, Comment.paragraph_id.is_not(None))
            .group_by(Comment.paragraph_id)
            .order_by(Comment.paragraph_id.desc())
        )
        first_anchor = next(p.anchor for p in first.document.paragraphs if p.id == busiest)
        paragraph = second.document.paragraphs[0]
        author = session.get(Comment, 1).author
        long_comment = Comment(
            round=second,
            paragraph=paragraph,
            **Comment.written_by(author),
            kind="comment",
            body=f"{LONG_WORD} och {LONG_URL}",
            body_html=f"<p>{LONG_WORD} och {LONG_URL}</p>",
            status=CommentStatus.PUBLISHED,
            submission_key="layout",
            created_at=now,
            updated_at=now,
        )
        session.add(long_comment)
        # Edited once: the thread marks it and keeps the first text.
        long_comment.created_at = now - timedelta(hours=1)
        session.add(
            CommentRevision(
                comment=long_comment,
                kind="comment",
                body="Den första lydelsen av synpunkten.",
                written_at=now - timedelta(hours=1),
                replaced_at=now,
                was_published=True,
            )
        )
        session.commit()
        data = World(SLUG, first_anchor, paragraph.anchor, long_comment.id)
    yield data
    empty_tables(live_server.app.extensions["db_engine"])


def log_in(page: Page, live_server, role: str, next_path: str = "/") -> None:
    email, password = _account(role)
    page.goto(live_server.at(f"/konto/logga-in?next={next_path}"))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(password)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at(next_path))


def page_width(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def wider_than_the_screen(page: Page) -> list[str]:
    """Describe the elements that reach past the right edge of the window (for a message)."""
    return page.evaluate(
        """() => {
            const limit = document.documentElement.clientWidth;
            const found = [];
            for (const el of document.querySelectorAll("body *")) {
                const box = el.getBoundingClientRect();
                if (box.right > limit + 0.5 && box.width > 0) {
                    found.push(`${el.tagName.toLowerCase()}.${el.className} right=${box.right}`);
                }
            }
            return found.slice(0, 8);
        }"""
    )


def test_no_page_scrolls_sideways_on_a_phone(page: Page, live_server, world: World):
    page.set_viewport_size(PHONE)
    pages = {
        "login": "/konto/logga-in",
        "register": "/konto/registrera",
        "results": f"/samrad/{world.slug}/omgang/1/",
        "draft": f"/samrad/{world.slug}/omgang/2/",
        "changes": f"/samrad/{world.slug}/omgang/2/andringar",
        "thread-results-round": f"/samrad/{world.slug}/omgang/1/synpunkter/{world.first_anchor}",
    }
    widths = {}
    for name, path in pages.items():
        page.goto(live_server.at(path))
        widths[name] = page_width(page)
        screenshot(page, f"layout-phone-{name}")
        assert widths[name] <= PHONE["width"], (name, widths[name], wider_than_the_screen(page))
    log_in(page, live_server, "participant", f"/samrad/{world.slug}/omgang/2/")
    page.goto(live_server.at(f"/samrad/{world.slug}/omgang/2/synpunkter/{world.second_anchor}"))
    expect(page.locator("form.comment-form")).to_be_visible()
    page.locator(".earlier-versions summary").click()
    expect(page.locator(".earlier-versions .versions")).to_contain_text("första lydelsen")
    screenshot(page, "layout-phone-thread-with-form")
    assert page_width(page) <= PHONE["width"], wider_than_the_screen(page)
    for name, path in {
        "draft-logged-in": f"/samrad/{world.slug}/omgang/2/",
        "mine": "/mina-synpunkter",
        "notifications": "/notiser",
        "notification-settings": "/notiser/installningar",
        "versions": f"/synpunkter/{world.second_comment}/versioner",
    }.items():
        page.goto(live_server.at(path))
        screenshot(page, f"layout-phone-{name}")
        assert page_width(page) <= PHONE["width"], (name, wider_than_the_screen(page))
    assert not page.problems.all(), page.problems.all()


def test_results_tables_fit_a_phone_and_keep_their_figures(page: Page, live_server, world):
    page.set_viewport_size(PHONE)
    page.goto(live_server.at(f"/samrad/{world.slug}/omgang/1/"))
    table = page.locator("#results-category")
    expect(table).to_be_visible()
    table.scroll_into_view_if_needed()
    screenshot(page, "layout-phone-results-table", full_page=False)
    # Every row's count, share and bar stay inside the window.
    right = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('.results-table td, .results-table svg')]
            .map(el => el.getBoundingClientRect().right))"""
    )
    assert right <= PHONE["width"]
    assert_accessible(page, "results on a phone")


@pytest.fixture(scope="module")
def analysed_round(live_server, world: World) -> int:
    """A seeded round (beside the demo's) that has been analysed: it has themes."""
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=7)
        )
        staff = factories.make_user(session, role=Role.STAFF, category=Category.REGION)
        seed_round(session, round_, staff=staff)
        job = analysis_services.start(
            session, staff, round_.id, now=clock.now(), stale_after=timedelta(hours=1)
        )
        jobs.run(session, job.id)
        return round_.id


def test_the_synthesis_pages_do_not_scroll_sideways_on_a_phone(
    page: Page, live_server, analysed_round: int
):
    page.set_viewport_size(PHONE)
    overview = f"/sammanstallning/omgang/{analysed_round}/"
    log_in(page, live_server, "staff", overview)
    expect(page.locator(".synthesis-table").first).to_be_visible()
    for name, path in {
        "synthesis-overview": overview,
        "synthesis-report": f"/sammanstallning/omgang/{analysed_round}/rapport",
    }.items():
        page.goto(live_server.at(path))
        screenshot(page, f"layout-phone-{name}")
        assert page_width(page) <= PHONE["width"], (name, wider_than_the_screen(page))
        # Every table scrolls in its own labelled box (keyboard too), not the page.
        tables = page.locator("table.synthesis-table")
        assert tables.count() >= 1
        for i in range(tables.count()):
            box = tables.nth(i).locator("xpath=..")
            expect(box).to_have_attribute("role", "region")
            expect(box).to_have_attribute("tabindex", "0")
            label = box.get_attribute("aria-labelledby")
            assert label and page.locator(f"#{label}").inner_text().strip(), (name, i)
        assert_accessible(page, f"{name} on a phone")
    # The charts fit the column: a figure keeps no side margins and its SVG scales down.
    right = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('.report-charts :is(figure, svg)')]
            .map(el => el.getBoundingClientRect().right))"""
    )
    assert 0 < right <= PHONE["width"], right
    assert not page.problems.all(), page.problems.all()


# Records every Content-Security-Policy violation of a page, also those not logged.
CSP_WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`));"""


@pytest.mark.parametrize("role", ["participant", "staff"])
def test_opening_a_thread_logs_no_content_security_policy_errors(
    page: Page, live_server, world: World, role: str
):
    page.add_init_script(CSP_WATCH)
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    violations: list[str] = []

    def collect() -> None:
        violations.extend(page.evaluate("() => window.__csp"))

    log_in(page, live_server, role, f"/samrad/{world.slug}/omgang/1/")
    # In place (htmx), on its own page, and a thread with the comment form.
    page.locator(f"[data-thread-toggle='{world.first_anchor}']").click()
    expect(page.locator(f"#thread-{world.first_anchor}")).to_have_class("thread")
    collect()
    page.goto(live_server.at(f"/samrad/{world.slug}/omgang/1/synpunkter/{world.first_anchor}"))
    collect()
    page.goto(live_server.at(f"/samrad/{world.slug}/omgang/2/"))
    page.locator(f"[data-thread-toggle='{world.second_anchor}']").click()
    expect(page.locator(f"#form-{world.second_anchor}")).to_be_visible()
    collect()
    logged = [m for m in messages if "Content Security Policy" in m]
    assert violations == [] and logged == [], (violations, logged)
    assert not page.problems.all(), page.problems.all()


def test_favicon_is_served_and_linked(page: Page, live_server, world: World):
    with urlopen(live_server.at("/favicon.ico")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
        assert len(response.read()) > 0
    page.goto(live_server.at("/"))
    assert page.locator("link[rel='icon']").count() >= 1


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_the_header_is_one_line_at_1280_for_staff_and_admins(
    page: Page, live_server, world: World, role: str
):
    page.set_viewport_size(DESKTOP_WIDE)
    log_in(page, live_server, role, "/")
    tops = page.locator(".site-header .header-row > *, .nav-list > li").evaluate_all(
        "items => items.map(el => Math.round(el.getBoundingClientRect().top))"
    )
    height = page.locator(".site-header").evaluate("el => el.getBoundingClientRect().height")
    screenshot(page, f"layout-header-{role}", full_page=False)
    assert max(tops) - min(tops) <= 12, tops
    assert height <= 72, height
    # Everything the header had is still there, some of it in the "more" menu.
    for path in ("/analys", "/moderering", "/admin/anvandare", "/notiser", "/mina-synpunkter"):
        assert page.locator(f".site-header a[href^='{path}']").count() == 1, path
    if role == "admin":
        assert page.locator(".site-header a[href^='/admin/']").count() >= 2


def test_the_tools_menu_opens_inside_a_phone_screen(page: Page, live_server, world: World):
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "admin", "/")
    page.locator(".nav-menu summary").click()
    menu = page.locator(".nav-menu > ul")
    expect(menu).to_be_visible()
    box = menu.bounding_box()
    screenshot(page, "layout-phone-tools-menu", full_page=False)
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page_width(page) <= PHONE["width"]
    assert_accessible(page, "the open tools menu")
    menu.locator("a[href^='/analys']").click()
    expect(page).to_have_url(live_server.at("/analys/"))
