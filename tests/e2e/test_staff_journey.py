"""The whole staff journey of issue 5 on the demo round, in headless Chromium.

Staff start the analysis, watch the progress bar finish without a reload, rename a theme,
merge two themes, move a comment to another theme, write a theme's summary and response,
download the report (.docx) and all comments (.xlsx) and read them back; an administrator
closes the round and publishes its results, and the public round page shows the theme and
the response. axe-core checks the board; screenshots of the board, a theme page, the report
and the public results go to test-artifacts/ (or $CONSULT_SHOTS when set).

Assertions rely on ids, names, values and the texts the test itself wrote, not on
translated labels.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from consult.demo import DEMO_ACCOUNTS, SLUG
from consult.demo import load as load_demo
from consult.models import Comment, Consultation, Round, Theme

from .conftest import ARTIFACTS, AXE_JS, assert_accessible, empty_tables

pytestmark = pytest.mark.e2e
# The first analysis in a process also loads the engine's word lists; on two busy cores the
# demo round has taken over three minutes.
ANALYSIS_TIMEOUT_MS = 300_000
NEW_NAME = "Markanvändning, skog och energi"
SUMMARY = "Många vill att strategin öppet väger skogsbruk, vindkraft och rennäring mot varandra."
MOTIVATION = "Regionen lägger till ett avsnitt om hur markanvändningens intressen vägs samman."
# The columns of the comment exports' themes (consult/synthesis/exports.headers).
MODEL_THEMES, STAFF_THEMES = 11, 12
SHOTS = Path(os.environ.get("CONSULT_SHOTS", ARTIFACTS))


@dataclass
class Demo:
    round_id: int
    slug: str
    number: int


def _password(role: str) -> tuple[str, str]:
    email, password, _ = next(a for a in DEMO_ACCOUNTS if a[2] == role)
    return email, password


@pytest.fixture(scope="module")
def demo(live_server):
    """The demo consultation, loaded as ``flask demo`` loads it; emptied afterwards."""
    from consult import clock

    with live_server.session() as session:
        load_demo(session, clock.now())
        round_ = session.scalar(
            select(Round).join(Consultation).where(Consultation.slug == SLUG, Round.number == 1)
        )
        data = Demo(round_.id, SLUG, round_.number)
    yield data
    empty_tables(live_server.app.extensions["db_engine"])


def shot(page: Page, name: str, view=None) -> Path:
    """Save a full-page screenshot as <SHOTS>/<name>.png, and with ``view`` (a locator) also
    the window scrolled to it as <name>-view.png, which is easier to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if view is not None:
        view.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{name}-view.png"))
    return path


def log_in(page: Page, live_server, role: str, next_path: str) -> None:
    """Log in as the demo account of ``role`` and land on ``next_path``."""
    email, password = _password(role)
    page.goto(live_server.at(f"/konto/logga-in?next={next_path}"))
    page.locator("input[name='email']").press_sequentially(email)
    page.locator("input[name='password']").press_sequentially(password)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at(next_path))


def theme_ids(page: Page) -> list[int]:
    """The ids of the themes on the board, largest first."""
    hrefs = page.locator(".theme-card h3 a").evaluate_all("links => links.map(a => a.href)")
    return [int(re.search(r"/tema/(\d+)", h).group(1)) for h in hrefs]


def run_analysis(page: Page, live_server, demo: Demo) -> None:
    """Start the analysis from the round's page and wait for the htmx-polled bar to finish."""
    page.locator(f"a[href='/analys/omgang/{demo.round_id}/']").first.click()
    status = page.locator("#analysis-status")
    page.evaluate("() => { window.__marker = 1; }")
    status.locator("button[type='submit']").click()
    expect(status.locator("progress")).to_have_count(1)
    expect(status.locator("progress")).to_have_count(0, timeout=ANALYSIS_TIMEOUT_MS)
    assert page.evaluate("() => window.__marker") == 1, "the progress was not shown in place"
    expect(status.locator(".notice-error")).to_have_count(0)
    status.locator(f"a[href='/analys/omgang/{demo.round_id}/']").click()
    expect(page.locator(".theme-card").first).to_be_visible()


def rename(page: Page, live_server, demo: Demo, theme_id: int, name: str) -> None:
    """Rename a theme through its page's form."""
    page.goto(live_server.at(f"/analys/omgang/{demo.round_id}/tema/{theme_id}"))
    edit = page.locator("details.theme-edit").filter(has=page.locator("#name"))
    edit.locator("summary").click()
    page.locator("#name").fill(name)
    edit.locator("button[type='submit']").click()
    expect(page.locator("h1")).to_have_text(name)


def merge_into(page: Page, live_server, demo: Demo, *, keep: int, drop: int) -> int:
    """Merge theme ``drop`` into ``keep`` from ``keep``'s page; return the comments it has then."""
    page.goto(live_server.at(f"/analys/omgang/{demo.round_id}/tema/{keep}"))
    before = comment_count(page)
    page.locator("#merge summary").click()
    page.locator(f"#merge-{drop}").check()
    page.locator("#merge button[type='submit']").click()
    expect(page).to_have_url(live_server.at(f"/analys/omgang/{demo.round_id}/tema/{keep}"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f"#merge-{drop}")).to_have_count(0)  # no longer a theme to merge
    after = comment_count(page)
    assert after > before, f"merging did not add comments ({before} → {after})"
    # The merged theme's own page says where it went.
    page.goto(live_server.at(f"/analys/omgang/{demo.round_id}/tema/{drop}"))
    expect(page.locator(f"a[href='/analys/omgang/{demo.round_id}/tema/{keep}']")).to_be_visible()
    return after


def comment_count(page: Page) -> int:
    """The number of comments in the drill-down's heading (digits only, any language)."""
    return int(re.sub(r"\D", "", page.locator("#list-h").text_content()))


def move_first_comment(page: Page, to_theme: int) -> int:
    """Move the first comment of the open theme page to ``to_theme``; return its id."""
    first = page.locator("article.analysis-comment").filter(has=page.locator(".move-form")).first
    article_id = first.get_attribute("id")
    page.evaluate("() => { window.__marker = 2; }")
    # The page has one list of themes (the selection bar's); each comment has a button.
    page.locator("#bulk-theme").select_option(str(to_theme))
    first.locator(".move-form button").click()
    moved = page.locator(f"#{article_id}")
    expect(moved.locator(".notice")).to_be_visible()
    expect(moved.locator(".move-form")).to_have_count(0)
    assert page.evaluate("() => window.__marker") == 2, "moving reloaded the page"
    return int(article_id.removeprefix("ac-"))


def write_response(page: Page, live_server, demo: Demo, theme_id: int) -> None:
    """Write and review a theme's summary and response (saved in place by htmx)."""
    page.goto(live_server.at(f"/sammanstallning/omgang/{demo.round_id}/tema/{theme_id}"))
    page.locator("#summary").fill(SUMMARY)
    page.locator("#response").select_option("partly_accepted")
    page.locator("#motivation").fill(MOTIVATION)
    page.locator("input[name='status'][value='reviewed']").check()
    page.locator("#synthesis-entry button[type='submit']").click()
    expect(page.locator("#synthesis-entry .notice.success")).to_be_visible()
    expect(page.locator("#summary")).to_have_value(SUMMARY)


def download(page: Page, link_suffix: str) -> bytes:
    """Click the overview's download link ending in ``link_suffix``; return the file's bytes."""
    with page.expect_download() as info:
        page.locator(f"ul.downloads a[href$='{link_suffix}']").click()
    return Path(info.value.path()).read_bytes()


def docx_text(data: bytes) -> str:
    """The paragraphs and table cells of a Word document, one per line."""
    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(lines)


def xlsx_rows(data: bytes) -> dict[int, tuple]:
    """The first sheet of the workbook (all comments) as {comment id: row}, headings left out."""
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    next(rows)
    return {row[0]: row for row in rows}


def themes_in(row: tuple, column: int) -> list[str]:
    """The theme names in a cell of the workbook's theme columns."""
    return str(row[column] or "").split("; ")


def test_staff_journey_from_analysis_to_published_results(
    page: Page, context, live_server, demo: Demo
):
    log_in(page, live_server, "staff", "/analys/")
    run_analysis(page, live_server, demo)

    # The board: readable, accessible.
    ids = theme_ids(page)
    assert len(ids) >= 4, f"the demo round should give several themes, got {ids}"
    expect(page.locator("table.heatmap")).to_be_visible()
    shot(page, "journey-board", page.locator(".theme-card").first)
    assert_accessible(page, "theme board")

    renamed, target, merged_away = ids[0], ids[1], ids[2]
    rename(page, live_server, demo, renamed, NEW_NAME)

    merge_into(page, live_server, demo, keep=renamed, drop=merged_away)
    with live_server.session() as session:
        merged_name = session.get(Theme, merged_away).name

    page.goto(live_server.at(f"/analys/omgang/{demo.round_id}/tema/{renamed}"))
    target_name = page.locator(f"select[name='to_theme'] option[value='{target}']").first
    target_name = target_name.text_content().strip()
    moved = move_first_comment(page, target)
    shot(page, "journey-theme", page.locator(f"#ac-{moved}"))
    assert_accessible(page, "theme drill-down")

    write_response(page, live_server, demo, renamed)

    # The downloads, read back.
    page.goto(live_server.at(f"/sammanstallning/omgang/{demo.round_id}/"))
    report = docx_text(download(page, "rapport.docx"))
    assert NEW_NAME in report and SUMMARY in report and MOTIVATION in report
    assert merged_name not in report
    with live_server.session() as session:
        bodies = list(
            session.scalars(select(Comment.body).where(Comment.round_id == demo.round_id))
        )
    quoted = [line for line in report.splitlines() if line.startswith("”")]
    assert quoted, "the report quotes no comments"
    assert any(q[1:].split("”")[0] in bodies for q in quoted), "a quotation is not a comment"

    comments = xlsx_rows(download(page, "synpunkter.xlsx"))
    assert len(comments) == len(bodies)  # the demo has no withdrawn comments
    assert target_name in themes_in(comments[moved], STAFF_THEMES), comments[moved]
    assert NEW_NAME not in themes_in(comments[moved], MODEL_THEMES), comments[moved]
    assert any(NEW_NAME in themes_in(row, MODEL_THEMES) for row in comments.values())

    page.goto(live_server.at(f"/sammanstallning/omgang/{demo.round_id}/rapport"))
    expect(page.locator("h2, h3").filter(has_text=NEW_NAME).first).to_be_visible()
    expect(page.locator("h2, h3").filter(has_text=merged_name)).to_have_count(0)
    expect(page.get_by_text(SUMMARY).first).to_be_visible()
    shot(page, "journey-report", page.locator("h2, h3").filter(has_text=NEW_NAME).last)
    assert_accessible(page, "synthesis report")

    # An administrator closes the round and publishes the results.
    admin = context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    try:
        admin_page = admin.new_page()
        admin_path = f"/admin/omgang/{demo.round_id}/"
        log_in(admin_page, live_server, "admin", admin_path)
        # Both are asked about first, in a dialog over the page.
        admin_page.locator(f"form[action='/admin/omgang/{demo.round_id}/stang'] button").click()
        admin_page.get_by_role("dialog").locator("button[type='submit']").click()
        publish = admin_page.locator(f"form[action='/admin/omgang/{demo.round_id}/publicera']")
        publish.locator("button").click()
        admin_page.get_by_role("dialog").locator("button[type='submit']").click()
        expect(admin_page.locator(".badge-published").first).to_be_visible()
    finally:
        admin.close()

    # The public page, read by anyone.
    visitor = context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    visitor.add_init_script(path=str(AXE_JS))  # as conftest does: the CSP stays on
    try:
        public_page = visitor.new_page()
        public_page.goto(live_server.at(f"/samrad/{demo.slug}/omgang/{demo.number}/"))
        public = public_page.locator(".public-synthesis .public-theme").filter(has_text=NEW_NAME)
        expect(public).to_have_count(1)
        expect(public.locator(".summary")).to_have_text(SUMMARY)
        expect(public.locator(".motivation")).to_have_text(MOTIVATION)
        shot(public_page, "journey-public", public)
        assert_accessible(public_page, "public round page with results")
    finally:
        visitor.close()
    assert not page.problems.all(), page.problems.all()
