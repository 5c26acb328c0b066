"""Issue 13, item 4 in a real browser: a person downloads their data from "Mina uppgifter" by
keyboard, and the readable page inside the ZIP opens offline, accessible and without sideways
scrolling on a phone; staff download it for them from the user's page.

The assertions rely on ids, URLs and file names rather than translated text.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from consult.models import Role
from tests import factories
from tests.conftest import empty_tables

from .conftest import PHONE, assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture
def people(live_server):
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=9)
        )
        person = factories.make_user(session, name="Maja Mydata")
        factories.make_comment(session, round_, person, body="Min synpunkt om bredband.")
        staff = factories.make_user(session, role=Role.STAFF, name="Stig Staff")
        made = {"person": person.email, "person_id": person.id, "staff": staff.email}
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


def _log_in(page, live_server, email: str) -> None:
    page.goto(live_server.at("/konto/logga-in"))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_be_visible()


def test_a_person_downloads_their_data_and_reads_it_offline(page, live_server, people, tmp_path):
    _log_in(page, live_server, people["person"])
    page.goto(live_server.at("/mina-synpunkter"))
    page.locator("a[href='/konto/mina-uppgifter']").click()
    expect(page).to_have_url(live_server.at("/konto/mina-uppgifter"))
    assert_accessible(page, "my data page")

    link = page.locator("a[href='/konto/mina-uppgifter/zip']")
    link.focus()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.startswith("mina-uppgifter-")
    assert download.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(download.path())
    html = next(name for name in archive.namelist() if name.endswith(".html"))
    (tmp_path / html).write_bytes(archive.read(html))
    assert any(name.endswith(".json") for name in archive.namelist())

    page.context.set_offline(True)
    page.set_viewport_size(PHONE)
    page.goto((tmp_path / html).as_uri())
    expect(page.locator("blockquote").first).to_contain_text("Min synpunkt om bredband.")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page, "the readable page in the ZIP")
    page.context.set_offline(False)


def test_staff_download_a_persons_data_from_the_user_page(page, live_server, people):
    _log_in(page, live_server, people["staff"])
    page.goto(live_server.at(f"/admin/anvandare/{people['person_id']}"))
    page.locator(f"a[href='/admin/anvandare/{people['person_id']}/uppgifter']").click()
    assert_accessible(page, "staff download form")
    page.locator("input[name='export-reason']").fill("Dnr RS 2027/12")
    with page.expect_download() as info:
        page.locator("form.stack-form button[type='submit']").click()
    name = info.value.suggested_filename
    assert name.startswith(f"mina-uppgifter-{people['person_id']}-") and name.endswith(".zip")
