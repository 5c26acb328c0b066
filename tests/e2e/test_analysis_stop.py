"""Staff stop a running analysis in a real browser: the question appears in place of the
progress bar (htmx), and the stopped job is shown as such with the button to start again;
axe checks the question and the outcome.

Assertions rely on ids, classes and URLs rather than translated text.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from consult.analysis import jobs, queue
from consult.models import Analysis, AnalysisStatus, Category, Role
from tests import factories

from .conftest import assert_accessible, screenshot

pytestmark = pytest.mark.e2e
TEXTS = [
    "Skolan i inlandet behöver fler behöriga lärare.",
    "Bredband och fiber till alla byar i länet.",
    "Norrbotniabanan behövs för godstrafiken.",
]


def test_staff_stop_a_running_analysis_after_confirming_it(page: Page, live_server, monkeypatch):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=7)
        )
        staff = factories.make_user(session, role=Role.STAFF, category=Category.REGION)
        for n in range(12):
            author = factories.make_user(session)
            factories.make_comment(session, round_, author, body=f"{TEXTS[n % 3]} ({n})")
        round_id, email = round_.id, staff.email

    entered, release = threading.Event(), threading.Event()
    real = jobs.nlp.discover_themes

    def held(texts, **kwargs):
        entered.set()
        release.wait(120)
        return real(texts, **kwargs)

    monkeypatch.setattr(jobs.nlp, "discover_themes", held)
    try:
        page.goto(live_server.at(f"/konto/logga-in?next=/analys/omgang/{round_id}/"))
        page.locator("input[name='email']").press_sequentially(email)
        page.locator("input[name='password']").press_sequentially(factories.PASSWORD)
        page.locator("form.stack-form button[type='submit']").click()
        expect(page).to_have_url(live_server.at(f"/analys/omgang/{round_id}/"))
        status = page.locator("#analysis-status")
        status.locator("button[type='submit']").click()
        assert entered.wait(120), "the job never reached discovery"

        stop = status.locator(f"a[href='/analys/omgang/{round_id}/avbryt']")
        expect(stop).to_be_visible()
        stop.click()
        # The question, in place: nothing stopped yet.
        question = status.locator("#analysis-cancel form")
        expect(question).to_be_visible()
        assert page.url == live_server.at(f"/analys/omgang/{round_id}/")
        screenshot(page, "analysis-stop-question", full_page=False)
        assert_accessible(page, "stop question")

        question.locator("button[type='submit']").click()
        expect(status.locator(".notice-error")).to_be_visible()
        expect(status.locator("progress")).to_have_count(0)
        expect(status.locator(f"form[action='/analys/omgang/{round_id}/starta']")).to_be_visible()
        screenshot(page, "analysis-stopped", full_page=False)
        assert_accessible(page, "stopped analysis")
        with live_server.session() as session:
            job = session.query(Analysis).filter_by(round_id=round_id).one()
            assert (job.status, job.error) == (AnalysisStatus.FAILED, "cancelled")
    finally:
        release.set()
        pool = live_server.app.extensions.get(queue.EXECUTOR_KEY)
        if pool is not None:
            pool.submit(lambda: None).result(timeout=120)
