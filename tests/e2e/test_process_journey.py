"""Issue 14, "Done when", in a real browser: the working groups and the dialogue events.

A member of the traffic group logs in, finds their workspace from the account page, reads the
theme board of their chapter, renames a theme of it and writes its synthesis, and is refused
the school group's workspace and the school chapter's theme and paragraph. A participant
registers for a full event, lands on the waiting list, and gets the place when its holder
cancels (and the outbox holds the mail telling them). Another registers by keyboard with
JavaScript off. Every new page is axe-checked at 390 px and 1280 px, must not scroll
sideways at 390 px, and is photographed to test-artifacts/process-*.png.

Assertions rely on ids, URLs and classes, and on the Swedish text a person reads where that
is the point (the waiting-list position, the place).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from consult import clock
from consult.analysis import jobs
from consult.analysis import services as analysis
from consult.events import registration
from consult.events import services as events
from consult.groups import services as groups
from consult.models import (
    Category,
    EventKind,
    EventSession,
    OutboxEmail,
    Registration,
    RegistrationStatus,
    Role,
    Section,
    Synthesis,
    Theme,
    User,
)
from tests import factories
from tests.analysis_helpers import theme_of
from tests.analysis_seed import seed_round
from tests.conftest import empty_tables
from tests.events_seed import make_event

from .conftest import DESKTOP, PHONE, assert_accessible, screenshot

pytestmark = pytest.mark.e2e

NEW_NAME = "Norrbotniabanan och järnvägen"
SUMMARY = "Nästan alla vill att Norrbotniabanan byggs snabbt, för gods och för restider."


@dataclass
class World:
    slug: str
    consultation_id: int
    round_id: int
    staff: str
    member: str  # of the traffic group
    traffic_id: int
    traffic_slug: str
    school_id: int
    traffic_theme: int  # most of its comments on the traffic chapter
    school_theme: int  # most of its comments on the school (introduction) chapter
    school_paragraph: int
    full_slug: str  # capacity 1, taken by the holder
    full_id: int
    open_slug: str  # places left
    past_id: int  # with a summary and a workshop session, for the notes page
    holder: str
    waiter: str
    walker: str  # registers by keyboard, JavaScript off


def _section(session, round_, heading: str) -> Section:
    return session.scalars(
        select(Section).where(Section.document_id == round_.document.id, Section.heading == heading)
    ).one()


def _person(session, name: str, category=Category.MUNICIPALITY):
    return factories.make_user(session, name=name, category=category)


@pytest.fixture(scope="module")
def world(live_server):
    """A round whose draft has an introduction (the school group's) and a traffic chapter
    (the traffic group's), commented on and analysed; and the consultation's events."""
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=7)
        )
        staff = factories.make_user(
            session, role=Role.STAFF, category=Category.REGION, name="Stina Staff"
        )
        seeded = seed_round(session, round_, staff=staff)
        job = analysis.start(
            session, staff, round_.id, now=clock.now(), stale_after=timedelta(hours=1)
        )
        jobs.run(session, job.id)
        session.expire_all()

        cid = round_.consultation_id
        traffic = groups.create_group(
            session, staff, cid,
            {"name": "Trafik och infrastruktur", "description": "Vägar, järnväg och flyg.",
             "position": 1},
        )  # fmt: skip
        school = groups.create_group(
            session, staff, cid,
            {"name": "Sysselsättning och kompetensförsörjning",
             "description": "Skolan och kompetensen i länet.", "position": 2},
        )  # fmt: skip
        groups.assign_chapter(
            session, staff, traffic.id, _section(session, round_, "Trafik och infrastruktur").anchor
        )
        groups.assign_chapter(
            session, staff, school.id, _section(session, round_, "Inledning").anchor
        )
        member = _person(session, "Malin Medlem")
        groups.add_member(session, staff, traffic.id, member.email, "member")
        groups.add_member(session, staff, traffic.id, _person(session, "Tore Ordf").email, "chair")
        groups.add_member(session, staff, school.id, _person(session, "Sara Skola").email, "chair")

        traffic_comment, school_comment = seeded.comments[0], seeded.comments[10]
        traffic_theme = theme_of(session, traffic_comment)
        school_theme = theme_of(session, school_comment)
        assert traffic_theme.id != school_theme.id

        day = (now + timedelta(days=20)).replace(hour=7, minute=30, second=0, microsecond=0)
        full = make_event(
            session, round_.consultation, [traffic], title="Uppstartsdag",
            starts_at=day, ends_at=day + timedelta(hours=6, minutes=30),
            venue_name="Hotell Lappland", venue_address="Kungsgatan 10\n921 31 Lycksele",
            stream_url="https://zoom.us/j/1", contact_name="Eva Ek",
            contact_email="eva@region.se", registration_enabled=True, capacity=1,
            description="Uppstart för arbetsgrupperna.",
        )  # fmt: skip
        local = clock.to_local(day)
        work = None
        for minutes, title in [(0, "Fika"), (30, "Inledning"), (210, "Arbete i grupperna"),
                               (360, "Fika och avslutning")]:  # fmt: skip
            at = (local + timedelta(minutes=minutes)).strftime("%H:%M")
            item = events.add_item(session, staff, full.id, title=title, start=at)
            work = item if title == "Arbete i grupperna" else work
        for group in (traffic, school):
            events.add_session(
                session, staff, full.id, title=f"Workshop: {group.name}", room="Sal 2",
                group_id=group.id, programme_item_id=work.id,
            )  # fmt: skip
        open_day = day + timedelta(days=7)
        opened = make_event(
            session, round_.consultation, [school], title="Skolträff i Lycksele",
            slug="skoltraff-i-lycksele", starts_at=open_day,
            ends_at=open_day + timedelta(hours=2), kind=EventKind.HYBRID,
            venue_name="Lycksele gymnasium", registration_enabled=True, capacity=30,
        )  # fmt: skip
        past_day = now - timedelta(days=30)
        past = make_event(
            session, round_.consultation, [traffic], title="Förra mötet", starts_at=past_day,
            ends_at=past_day + timedelta(hours=2), summary="Vi pratade om tåg och bredband.",
        )  # fmt: skip
        session.add(
            EventSession(
                event_id=past.id, group_id=traffic.id, title="Workshop: Trafik", room="Sal 1",
                notes="Järnvägen först.",
            )
        )  # fmt: skip
        session.commit()

        holder = _person(session, "Hanna Platsinnehavare")
        waiter = _person(session, "Vera Väntelista", Category.BUSINESS)
        walker = _person(session, "Kalle Tangentbord", Category.CIVIL_SOCIETY)
        registration.register(session, holder, full.id, now=datetime.now(UTC))

        made = World(
            slug=round_.consultation.slug,
            consultation_id=cid,
            round_id=round_.id,
            staff=staff.email,
            member=member.email,
            traffic_id=traffic.id,
            traffic_slug=traffic.slug,
            school_id=school.id,
            traffic_theme=traffic_theme.id,
            school_theme=school_theme.id,
            school_paragraph=school_comment.paragraph_id,
            full_slug=full.slug,
            full_id=full.id,
            open_slug=opened.slug,
            past_id=past.id,
            holder=holder.email,
            waiter=waiter.email,
            walker=walker.email,
        )
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


# --- Helpers ---------------------------------------------------------------------------------


def _check(page: Page, name: str) -> None:
    """Axe-check the page at 390 px and 1280 px, see that it fits the phone, photograph it."""
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert_accessible(page, f"{name} at {size['width']} px")
        if size is PHONE:
            width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
            assert width[0] <= width[1], f"{name} scrolls sideways at 390 px: {width}"
        screenshot(page, f"process-{name}-{size['width']}")
    page.set_viewport_size(DESKTOP)


def _log_in(page: Page, live_server, email: str, then: str) -> None:
    """Log in through the form that ``then`` sends an anonymous visitor to."""
    page.goto(live_server.at(then))
    expect(page).to_have_url(re.compile(r"/konto/logga-in\?next="))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page.locator(".site-header .who")).to_be_visible()
    expect(page).to_have_url(live_server.at(then))


def _log_in_form(page: Page, live_server, email: str, next_path: str) -> None:
    """Log in on the login page, which sends the person on to ``next_path``."""
    page.goto(live_server.at(f"/konto/logga-in?next={next_path}"))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at(next_path))


def _tab_to(page: Page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{selector} was not reached in {limit} presses of Tab")


def _tab_to_without_js(page: Page, selector: str, *, limit: int = 80) -> None:
    """Like ``_tab_to`` where the page runs no scripts: ask the locator engine for :focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.locator(f"{selector}:focus").count():
            return
    pytest.fail(f"{selector} was not reached in {limit} presses of Tab")


# --- 1. The group member's workspace ---------------------------------------------------------


def test_a_member_works_on_their_chapter_and_not_on_another_groups(page: Page, live_server, world):
    home = f"/arbetsgrupper/{world.traffic_id}/arbetsyta"
    base = f"{home}/omgang/{world.round_id}"

    # Log in, then find the workspace from the account page as a person would.
    _log_in(page, live_server, world.member, "/konto")
    page.locator("ul.account-sections a[href='/arbetsgrupper/mina']").click()
    expect(page).to_have_url(live_server.at(home))
    expect(page.locator("h1")).to_contain_text("Trafik och infrastruktur")

    # The board holds the themes of the traffic chapter's comments, not the school theme.
    expect(page.locator(f"#ws-theme-{world.traffic_theme}")).to_be_visible()
    expect(page.locator(f"#ws-theme-{world.school_theme}")).to_have_count(0)
    expect(page.locator(".ws-counts")).to_contain_text("10 ")
    _check(page, "workspace-home")

    # Open the traffic theme and rename it.
    page.locator(f"#ws-theme-{world.traffic_theme} th a").click()
    expect(page).to_have_url(live_server.at(f"{base}/tema/{world.traffic_theme}"))
    expect(page.locator("article.analysis-comment").first).to_be_visible()
    _check(page, "workspace-theme")
    page.locator("details#rename summary").click()
    page.locator("#name").fill(NEW_NAME)
    page.locator("details#rename button[type='submit']").click()
    expect(page.locator("h1")).to_have_text(NEW_NAME)
    expect(page.locator("#flash .flash-success")).to_have_text("Temat är sparat.")

    # Write the theme's synthesis: summary, response, status; save (in place, with htmx).
    page.locator(f"a[href='{base}/tema/{world.traffic_theme}/sammanstallning']").first.click()
    expect(page).to_have_url(live_server.at(f"{base}/tema/{world.traffic_theme}/sammanstallning"))
    expect(page.locator("h1")).to_contain_text(NEW_NAME)
    _check(page, "workspace-synthesis")
    # axe leaves empty style attributes behind; htmx's swap would copy them with setAttribute,
    # which the Content-Security-Policy (rightly) reports. A person's page has none.
    page.reload()
    form = page.locator("#synthesis-entry form")
    form.locator("textarea[name='summary']").fill(SUMMARY)
    form.locator("select[name='response']").select_option("partly_accepted")
    form.locator("input[name='status'][value='drafted']").check()
    form.locator("button[type='submit']").click()
    expect(page.locator("#synthesis-entry .notice.success")).to_be_visible()
    expect(page.locator("#synthesis-entry .meta")).to_contain_text("Malin Medlem")
    page.reload()
    expect(page.locator("textarea[name='summary']")).to_have_value(SUMMARY)
    expect(page.locator("select[name='response']")).to_have_value("partly_accepted")
    with live_server.session() as session:
        theme = session.get(Theme, world.traffic_theme)
        assert theme.name == NEW_NAME
        saved = session.scalars(select(Synthesis).where(Synthesis.theme_id == theme.id)).one()
        assert saved.summary == SUMMARY

    # The board says the work is drafted and shows the new name.
    page.locator(".breadcrumb a").first.click()
    row = page.locator(f"#ws-theme-{world.traffic_theme}")
    expect(row).to_contain_text(NEW_NAME)
    expect(row.locator(".work-status-drafted")).to_be_visible()

    # The school group's workspace, and the school chapter's theme and paragraph: refused.
    school = f"/arbetsgrupper/{world.school_id}/arbetsyta"
    for path in (
        school,
        f"{base}/tema/{world.school_theme}",
        f"{base}/tema/{world.school_theme}/sammanstallning",
        f"{base}/stycke/{world.school_paragraph}/sammanstallning",
    ):
        response = page.goto(live_server.at(path))
        assert response.status == 403, path
        expect(page.locator("h1")).to_have_text("Du har inte behörighet att göra det.")
    screenshot(page, "process-workspace-refused-1280")
    assert not [p for p in page.problems.all() if "403" not in p], page.problems.all()


# --- 2. The waiting list moves up ------------------------------------------------------------


def test_a_participant_moves_up_from_the_waiting_list(page: Page, browser, live_server, world):
    event_path = f"/samrad/{world.slug}/moten/{world.full_slug}"

    # Anonymous: the page says it is full and offers a login.
    page.goto(live_server.at(event_path))
    box = page.locator("section#anmalan")
    expect(box.locator("a[href^='/konto/logga-in']")).to_be_visible()
    expect(box.locator("p.notice")).to_contain_text("Alla platser är tagna")
    _check(page, "event-anonymous")

    # Register by keyboard: Tab to the button, press Enter.
    _log_in_form(page, live_server, world.waiter, event_path)
    button = "section#anmalan form.stack-form button[type='submit']"
    expect(page.locator(button)).to_have_text("Ställ dig på väntelistan")  # all places taken
    _tab_to(page, button)
    page.keyboard.press("Enter")
    expect(box.locator("p.notice strong")).to_have_text("Du är nummer 1 på väntelistan.")
    _check(page, "event-waiting")

    # The holder cancels in a browser of their own.
    other = browser.new_context(viewport=PHONE, locale="sv-SE")
    try:
        holder = other.new_page()
        _log_in_form(holder, live_server, world.holder, event_path)
        expect(holder.locator("section#anmalan p.notice strong")).to_have_text(
            "Du har en plats på det här mötet."
        )
        holder.locator("section#anmalan form.action-form button[type='submit']").click()
        expect(holder.locator("section#anmalan form.stack-form")).to_be_visible()
    finally:
        other.close()

    # The waiting participant reloads: the place is theirs, and a mail tells them.
    page.reload()
    expect(box.locator("p.notice strong")).to_have_text("Du har en plats på det här mötet.")
    _check(page, "event-registered")
    with live_server.session() as session:
        statuses = dict(
            session.execute(
                select(Registration.user_id, Registration.status).where(
                    Registration.event_id == world.full_id
                )
            ).all()
        )
        assert sorted(statuses.values()) == sorted(
            [RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED]
        )
        subjects = session.scalars(
            select(OutboxEmail.subject).where(OutboxEmail.to_address == world.waiter)
        ).all()
    assert "Du har fått en plats: Uppstartsdag" in subjects, subjects
    assert not page.problems.all(), page.problems.all()


# --- 3. Registering by keyboard without JavaScript -------------------------------------------


def test_register_by_keyboard_without_javascript(browser, live_server, world):
    event_path = f"/samrad/{world.slug}/moten/{world.open_slug}"
    context = browser.new_context(viewport=PHONE, locale="sv-SE", java_script_enabled=False)
    try:
        page = context.new_page()
        _log_in_form(page, live_server, world.walker, event_path)
        box = page.locator("section#anmalan")
        expect(box).to_contain_text("30")  # "30 platser kvar"
        _tab_to_without_js(page, "section#anmalan form.stack-form button[type='submit']")
        page.keyboard.press("Enter")
        expect(page).to_have_url(live_server.at(event_path + "#anmalan"))
        expect(box.locator("p.notice strong")).to_have_text(
            "Du har en plats på det här mötet."
        )
        screenshot(page, "process-event-nojs-registered-390")
    finally:
        context.close()
    with live_server.session() as session:
        (status,) = session.scalars(
            select(Registration.status)
            .join(User, User.id == Registration.user_id)
            .where(User.email == world.walker)
        ).all()
    assert status == RegistrationStatus.CONFIRMED


# --- 4. The other new pages, public and staff's ----------------------------------------------


def test_the_public_and_staff_pages_are_accessible_and_fit(page: Page, live_server, world):
    public = {
        "groups-list": f"/samrad/{world.slug}/arbetsgrupper",
        "group": f"/samrad/{world.slug}/arbetsgrupper/{world.traffic_slug}",
        "events-list": f"/samrad/{world.slug}/moten",
    }
    for name, path in public.items():
        page.goto(live_server.at(path))
        expect(page.locator("h1")).to_be_visible()
        _check(page, name)
    expect(page.locator("main")).to_contain_text("Uppstartsdag")

    _log_in_form(page, live_server, world.staff, f"/moten/{world.full_id}/anmalda")
    staff = {
        "attendees": f"/moten/{world.full_id}/anmalda",
        "notes": f"/moten/{world.past_id}/anteckningar",
        "events-manage": f"/moten/samrad/{world.consultation_id}",
        "event-edit": f"/moten/{world.full_id}/redigera",
        "groups-manage-list": f"/arbetsgrupper/samrad/{world.consultation_id}",
        "group-manage": f"/arbetsgrupper/{world.traffic_id}/hantera",
        "groups-progress": f"/arbetsgrupper/samrad/{world.consultation_id}/framsteg",
    }
    for name, path in staff.items():
        response = page.goto(live_server.at(path))
        assert response.status == 200, path
        expect(page.locator("h1")).to_be_visible()
        _check(page, name)
    assert not page.problems.all(), page.problems.all()
