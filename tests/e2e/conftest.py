"""Fixtures for the browser tests: a live server, seeded data, Chromium, pages and axe.

The live server runs the real app (real clock, no frozen time) on a free port in a daemon
thread, on the database the ``database_url`` fixture of ``tests/conftest.py`` migrated.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright import sync_api as playwright_sync

from consult import create_app, db
from tests import factories
from tests.conftest import empty_tables, make_config

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_JS = ROOT / "static" / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("CONSULT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Playwright's expect() waits this long before failing; the app answers in milliseconds.
EXPECT_TIMEOUT_MS = 5_000


def pytest_collection_modifyitems(config, items):
    """Mark everything under tests/e2e as ``e2e`` so that ``-m "not e2e"`` leaves it out."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so that fixtures can see whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- The live server -----------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: object

    def at(self, path: str) -> str:
        """Return the absolute URL of ``path`` on the live server."""
        return self.url + path

    @contextmanager
    def session(self):
        """Yield a database session of the live app (for seeding and checking)."""
        with self.app.app_context():
            yield db.get_session()


@pytest.fixture(scope="session")
def live_server(database_url) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    # No SERVER_NAME: the browser talks to 127.0.0.1:<port>, and nothing here builds
    # external URLs outside a request. The clock is NOT frozen (unlike the `app` fixture).
    app = create_app(make_config(database_url, SERVER_NAME=None))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="consult-e2e", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        engine = app.extensions["db_engine"]
        empty_tables(engine)
        engine.dispose()


@dataclass
class Seed:
    slug: str
    title: str
    round_number: int
    organisation: str
    paragraphs: list[tuple[str, str]]  # (anchor, plain text) in reading order
    user_email: str
    user_name: str


@pytest.fixture(scope="module")
def seed(live_server) -> Iterator[Seed]:
    """One consultation open for comments (opened a week ago, closes in a week)."""
    from sqlalchemy import select

    from consult.models import Category, Paragraph

    now = datetime.now(UTC)
    with live_server.session() as session:
        organisation = factories.make_organisation(
            session, "Umeå kommun", category=Category.MUNICIPALITY
        )
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=7)
        )
        user = factories.make_user(session, organisation=organisation, name="Anna Andersson")
        paragraphs = session.scalars(
            select(Paragraph)
            .where(Paragraph.document_id == round_.document.id)
            .order_by(Paragraph.position)
        )
        data = Seed(
            slug=round_.consultation.slug,
            title=round_.consultation.title,
            round_number=round_.number,
            organisation=organisation.name,
            paragraphs=[(p.anchor, p.text) for p in paragraphs],
            user_email=user.email,
            user_name=user.display_name,
        )
    yield data
    empty_tables(live_server.app.extensions["db_engine"])


# --- The browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (run `make browser`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        playwright_sync.expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        yield browser
        browser.close()


@dataclass
class Problems:
    """What went wrong in the page without failing an action: script errors, 5xx answers."""

    js: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    server: list[str] = field(default_factory=list)

    def on_console(self, message) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def on_response(self, response) -> None:
        if response.status >= 500:
            self.server.append(f"{response.status} {response.request.method} {response.url}")

    def all(self) -> list[str]:
        return self.js + self.console + self.server


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")


@pytest.fixture
def context(browser):
    # The app's Content-Security-Policy stays on: a policy that broke htmx or app.js must
    # fail these tests. axe is added as an init script, which the policy does not govern.
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE")
    context.add_init_script(path=str(AXE_JS))
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    page = context.new_page()
    problems = Problems()
    page.on("pageerror", lambda error: problems.js.append(str(error)))
    page.on("console", problems.on_console)
    page.on("response", problems.on_response)
    page.problems = problems
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"FAILED-{_artifact_name(request.node.nodeid)}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as error:  # noqa: BLE001 - a screenshot must never hide the failure
            print(f"Could not save a screenshot of the failure: {error}")
        else:
            print(f"Screenshot of the failure: {path}")


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot of ``page`` as test-artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


# --- Accessibility -------------------------------------------------------------------------


def axe_violations(page, context: str | dict | None = None) -> list[dict]:
    """Run axe-core on ``page``; return its serious and critical WCAG 2.1 A/AA violations.

    The returned list is empty when the page passes. Use ``format_violations`` for a readable
    assertion message: ``assert not v, format_violations(v)``.
    """
    if not AXE_JS.exists():
        pytest.fail(
            f"{AXE_JS} is missing: run `make setup` (or copy node_modules/axe-core/axe.min.js)"
        )
    results = page.evaluate(
        """async ([context, tags]) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const result = await axe.run(context || document, options);
            return result.violations;
        }""",
        [context, AXE_TAGS],
    )
    return [v for v in results if v.get("impact") in ("serious", "critical")]


def format_violations(violations: list[dict]) -> str:
    """Describe axe violations one rule at a time, with the offending elements."""
    if not violations:
        return "no serious or critical accessibility violations"
    lines = [f"{len(violations)} serious/critical accessibility violation(s):"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v.get("nodes", [])[:5]:
            target = " ".join(
                json.dumps(t) if not isinstance(t, str) else t for t in node["target"]
            )
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n      ")
            if summary:
                lines.append(f"      {summary}")
            lines.append(f"      html: {node.get('html', '')[:200]}")
        if len(v.get("nodes", [])) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more element(s)")
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    """Fail with a readable list when axe finds serious or critical violations on ``page``."""
    violations = axe_violations(page)
    assert not violations, f"{what}: {format_violations(violations)}"
