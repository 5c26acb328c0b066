"""Staff analyse a round in a real browser: start the job, watch the progress bar finish,
read the theme board, rename a theme and move a comment; axe checks the pages.

Assertions rely on ids, classes and digits rather than translated text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from consult import clock
from consult.analysis import jobs, services
from consult.models import Category, Role
from tests import factories
from tests.analysis_seed import seed_round

from .conftest import assert_accessible, screenshot

pytestmark = pytest.mark.e2e
# The first analysis in a process also loads the engine's word lists.
ANALYSIS_TIMEOUT_MS = 180_000


@dataclass
class Analysable:
    round_id: int
    email: str


def _seed(live_server, *, analyse: bool) -> Analysable:
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=7)
        )
        staff = factories.make_user(session, role=Role.STAFF, category=Category.REGION)
        seed_round(session, round_, staff=staff)
        if analyse:
            job = services.start(
                session, staff, round_.id, now=clock.now(), stale_after=timedelta(hours=1)
            )
            jobs.run(session, job.id)
        return Analysable(round_.id, staff.email)


@pytest.fixture
def analysable(live_server):
    """A seeded round that nobody has analysed yet."""
    return _seed(live_server, analyse=False)


@pytest.fixture
def analysed(live_server):
    """A seeded round analysed before the test (so no test waits for another to run first)."""
    return _seed(live_server, analyse=True)


def log_in(page: Page, live_server, email: str) -> None:
    page.goto(live_server.at("/konto/logga-in?next=/analys/"))
    page.locator("input[name='email']").press_sequentially(email)
    page.locator("input[name='password']").press_sequentially(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at("/analys/"))


def test_staff_analyse_a_round_and_read_the_board(page: Page, live_server, analysable):
    log_in(page, live_server, analysable.email)
    page.locator(f"a[href='/analys/omgang/{analysable.round_id}/']").click()
    status = page.locator("#analysis-status")
    page.evaluate("() => { window.__marker = 1; }")

    status.locator("button[type='submit']").click()

    # The progress bar appears in place (htmx), then polling ends when the job is done.
    expect(status.locator("progress")).to_have_count(1)
    assert page.evaluate("() => window.__marker") == 1, "starting reloaded the page"
    expect(status.locator("progress")).to_have_count(0, timeout=ANALYSIS_TIMEOUT_MS)
    expect(status.locator(".notice-error")).to_have_count(0)
    status.locator(f"a[href='/analys/omgang/{analysable.round_id}/']").click()

    cards = page.locator(".theme-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2
    expect(page.locator(".theme-card svg.share-chart").first).to_be_visible()
    expect(page.locator("table.heatmap")).to_be_visible()
    screenshot(page, "analysis-board")
    assert_accessible(page, "theme board")


def test_staff_rename_a_theme_and_move_a_comment(page: Page, live_server, analysed):
    log_in(page, live_server, analysed.email)
    page.goto(live_server.at(f"/analys/omgang/{analysed.round_id}/"))
    page.locator(".theme-card h3 a").first.click()

    edit = page.locator("details.theme-edit").filter(has=page.locator("#name"))
    edit.locator("summary").click()
    page.locator("#name").fill("Järnvägen i länet")
    edit.locator("button[type='submit']").click()
    expect(page.locator("h1")).to_have_text("Järnvägen i länet")

    first = page.locator("article.analysis-comment").first
    article_id = first.get_attribute("id")
    page.evaluate("() => { window.__marker = 1; }")
    first.locator(".move-form button").click()
    moved = page.locator(f"#{article_id}")
    expect(moved.locator(".notice")).to_be_visible()
    expect(moved.locator(".move-form")).to_have_count(0)
    assert page.evaluate("() => window.__marker") == 1, "moving reloaded the page"
    screenshot(page, "analysis-theme")
    assert_accessible(page, "theme drill-down")


def test_staff_move_several_comments_at_once_and_read_a_history(page: Page, live_server, analysed):
    log_in(page, live_server, analysed.email)
    page.goto(live_server.at(f"/analys/omgang/{analysed.round_id}/"))
    page.locator(".theme-card h3 a").first.click()
    articles = page.locator("article.analysis-comment")
    chosen = [articles.nth(i).get_attribute("id") for i in range(2)]

    for article_id in chosen:
        page.locator(f"#{article_id} .select-comment input").check()
    page.locator("#bulk-action").select_option("move")
    page.locator("#bulk-form button[type='submit']").click()

    for article_id in chosen:
        expect(page.locator(f"#{article_id}")).to_have_count(0)
    # The history disclosure loads the list of the comment's tags in place (htmx).
    first = page.locator("article.analysis-comment").first
    first.locator(".history-disclosure summary").click()
    expect(first.locator("ol.history li").first).to_be_visible()
    screenshot(page, "analysis-bulk-history")
    assert_accessible(page, "theme page after a bulk move")
