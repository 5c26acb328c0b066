"""Issue 15, "Done when", in a real browser: the follow-up of an adopted strategy, end to end.

Staff log in, open the strategy's overview, import indicator values and actions from CSV files
on the import page (and see a bad file refused row by row, with nothing saved), link an
imported action to the region's response in the consultation's results and update its
progress, then write and publish the yearly report. An anonymous visitor filters the public
follow-up page by a global goal with the form, and follows the link from the response on the
consultation's public results to the action, which tells "you said → we decided → we did".

The starting state (a closed round with published results and a reviewed response, a
published strategy with goals and an indicator but no actions and no values) is seeded with
models; every step tested goes through the pages. The key pages are axe-checked (serious and
critical violations fail) and must not scroll sideways at 390 px; screenshots go to
$CONSULT_E2E_SHOTS (default test-artifacts/) as followup-journey-*.png.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from consult.models import (
    Action,
    ActionSource,
    Category,
    Goal,
    Indicator,
    IndicatorValue,
    Origin,
    Priority,
    Response,
    Role,
    Strategy,
    Synthesis,
    Theme,
    WorkingGroup,
    WorkStatus,
    goal_indicator,
    goal_sdg,
)
from tests import factories
from tests.conftest import empty_tables

from .conftest import ARTIFACTS, AXE_JS, DESKTOP, PHONE, Problems, assert_accessible

pytestmark = pytest.mark.e2e

SLUG = "rus-resan"
SHOTS = Path(os.environ.get("CONSULT_E2E_SHOTS") or ARTIFACTS)
YEAR = 2025
FOREWORD = "Året då tågen började gå i inlandet.\n\nTack till alla som svarade på samrådet."
SAID = "Många vill ha fler tåg mellan kusten och inlandet."
DECIDED = "Regionen satsar på persontrafik i inlandet."

VALUES_CSV = """indikator,område,år,värde
sysselsattning,24,2021,78.3
sysselsattning,24,2022,79.5
sysselsattning,2480,2022,80.9
"""
ACTIONS_CSV = "\n".join(
    [
        "kod,titel,beskrivning,ansvarig,arbetsgrupp,start,slut,status,framsteg,mål,"
        "globala_mål,områden",
        "A-1,Kompetenslyft i länet,Utbildning för den som vill byta yrke.,"
        "Regionala utvecklingsavdelningen,,2021-01-01,2026-12-31,pågående,40,1.1,8;4.4,24",
        "A-2,Tåg i inlandet,Persontrafik på Inlandsbanan.,Kollektivtrafikmyndigheten,trafik,"
        "2022-03-01,2028-12-31,planerad,10,2.1:2,11.2,2480;2482",
        "",
    ]
)
# Row 2 is fine (it would rename A-1), rows 3 and 4 are not: nothing of the file is saved.
BAD_ACTIONS_CSV = """kod,titel,status,framsteg,områden
A-1,Ett nytt namn som inte får sparas,pågående,45,24
A-3,Cykelvägar,planerad,150,24
A-4,Laddstolpar,planerad,5,9999
"""


@dataclass
class World:
    staff: str
    results: str  # the consultation round's public results page
    theme: str


@pytest.fixture(scope="module")
def world(live_server):
    """A closed round with published results and a reviewed response to a theme; a published
    strategy adopted from it, with two priorities and three goals, an indicator without values
    and no actions."""
    now = datetime.now(UTC)
    with live_server.session() as session:
        round_ = factories.make_round(
            session, opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=20)
        )
        round_.results_published_at = now - timedelta(days=2)
        consultation = round_.consultation
        theme = Theme(round_id=round_.id, name="Bättre tågförbindelser", origin=Origin.STAFF)
        session.add(theme)
        session.flush()
        session.add(
            Synthesis(
                round_id=round_.id,
                theme_id=theme.id,
                summary=SAID,
                response=Response.ACCEPTED,
                motivation=DECIDED,
                status=WorkStatus.REVIEWED,
            )
        )
        session.add(WorkingGroup(consultation_id=consultation.id, slug="trafik", name="Trafik"))
        strategy = Strategy(
            slug=SLUG,
            title="Regional utvecklingsstrategi 2020–2030",
            summary="Västerbottens väg mot 2030.",
            consultation_id=consultation.id,
            starts_year=2020,
            ends_year=2030,
            published_at=now - timedelta(days=1),
        )
        session.add(strategy)
        session.flush()
        work = Priority(strategy_id=strategy.id, position=1, title="Arbete och kompetens")
        places = Priority(strategy_id=strategy.id, position=2, title="Attraktiva livsmiljöer")
        session.add_all([work, places])
        session.flush()
        jobs = Goal(strategy_id=strategy.id, priority_id=work.id, position=1, code="1.1",
                    title="Fler i arbete")  # fmt: skip
        travel = Goal(strategy_id=strategy.id, priority_id=places.id, position=1, code="2.1",
                      title="Hållbart resande")  # fmt: skip
        housing = Goal(strategy_id=strategy.id, priority_id=places.id, position=2, code="2.2",
                       title="Bostäder för alla")  # fmt: skip
        session.add_all([jobs, travel, housing])
        session.flush()
        # Global goal 11 reaches 2.2 through the goal itself and 2.1 only through the action
        # the import links to it.
        session.execute(
            goal_sdg.insert(), [{"goal_id": jobs.id, "code": "8"},
                                {"goal_id": housing.id, "code": "11.1"}],
        )  # fmt: skip
        indicator = Indicator(code="sysselsattning", name="Sysselsättningsgrad 20–64 år",
                              unit="%", source="SCB")  # fmt: skip
        session.add(indicator)
        session.flush()
        session.execute(
            goal_indicator.insert(), [{"goal_id": jobs.id, "indicator_id": indicator.id}]
        )
        staff = factories.make_user(
            session, role=Role.STAFF, category=Category.REGION, name="Stina Staff"
        )
        session.commit()
        made = World(
            staff=staff.email,
            results=f"/samrad/{consultation.slug}/omgang/1/",
            theme=theme.name,
        )
    yield made
    empty_tables(live_server.app.extensions["db_engine"])


# --- Helpers ---------------------------------------------------------------------------------


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"followup-journey-{name}.png"), full_page=True)


def _check(page: Page, name: str) -> None:
    """Axe-check the page at 390 px and 1280 px, see that it fits the phone, photograph it."""
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        assert_accessible(page, f"{name} at {size['width']} px")
        if size is PHONE:
            width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
            assert width[0] <= width[1], f"{name} scrolls sideways at 390 px: {width}"
        _shot(page, f"{name}-{size['width']}")
    page.set_viewport_size(DESKTOP)


def _fits_phone(page: Page, name: str) -> None:
    page.set_viewport_size(PHONE)
    width = page.evaluate("() => [document.documentElement.scrollWidth, innerWidth]")
    assert width[0] <= width[1], f"{name} scrolls sideways at 390 px: {width}"
    page.set_viewport_size(DESKTOP)


def _log_in(page: Page, live_server, email: str, then: str) -> None:
    """Open ``then`` anonymously, get sent to the login form, log in, land on ``then``."""
    page.goto(live_server.at(then))
    expect(page).to_have_url(re.compile(r"/konto/logga-in\?next="))
    page.locator("input[name='email']").fill(email)
    page.locator("input[name='password']").fill(factories.PASSWORD)
    page.locator("form.stack-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at(then))


def _action_id(live_server, code: str) -> int:
    with live_server.session() as session:
        return session.scalars(select(Action.id).where(Action.code == code)).one()


def _counts(live_server) -> tuple:
    with live_server.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Action)),
            session.scalar(select(func.count()).select_from(IndicatorValue)),
            session.scalars(select(Action.title).where(Action.code == "A-1")).one(),
        )


# --- The journey -----------------------------------------------------------------------------


def test_staff_follow_up_the_strategy_and_a_visitor_follows_what_they_said(
    page: Page, browser, live_server, world, tmp_path
):
    manage = f"/uppfoljning/{SLUG}/hantera"

    # 1. Staff log in, open the overview and go to the import page.
    _log_in(page, live_server, world.staff, manage)
    expect(page.locator("h1")).to_have_text("Regional utvecklingsstrategi 2020–2030")
    _check(page, "overview")
    page.locator(f"a[href='{manage}/import']").click()
    expect(page).to_have_url(live_server.at(f"{manage}/import"))
    expect(page.locator("h1")).to_have_text("Import och export")
    expect(page.locator("main")).to_contain_text("Strategin har 0 insatser.")

    values = tmp_path / "indikatorvarden.csv"
    values.write_text(VALUES_CSV, encoding="utf-8")
    page.get_by_label("Indikatorvärden: en CSV-fil eller en arbetsbok (.xlsx)").set_input_files(
        values
    )
    page.get_by_role("button", name="Importera indikatorvärden").click()
    expect(page.locator("#flash .flash-success")).to_have_text(
        "Indikatorvärdena importerades: 3 nya, 0 ändrade, 0 oförändrade."
    )

    actions_file = tmp_path / "insatser.csv"
    actions_file.write_text(ACTIONS_CSV, encoding="utf-8")
    page.locator("#insatser").set_input_files(actions_file)
    page.get_by_role("button", name="Importera insatser").click()
    expect(page.locator("#flash .flash-success")).to_have_text(
        "Filen importerades: 2 nya och 0 uppdaterade insatser."
    )
    expect(page.locator("main")).to_contain_text("Strategin har 2 insatser.")
    _shot(page, "imported-1280")
    before = _counts(live_server)
    assert before == (2, 3, "Kompetenslyft i länet")

    # A bad file: every problem listed by row and column, and nothing saved.
    bad = tmp_path / "insatser-fel.csv"
    bad.write_text(BAD_ACTIONS_CSV, encoding="utf-8")
    page.locator("#insatser").set_input_files(bad)
    page.get_by_role("button", name="Importera insatser").click()
    problems = page.locator("#import-problems")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("ingenting sparades")
    expect(problems.locator("li")).to_have_count(2)
    expect(problems.locator("li").nth(0)).to_contain_text("Rad 3, kolumn framsteg:")
    expect(problems.locator("li").nth(1)).to_contain_text("Rad 4, kolumn områden:")
    expect(problems.locator("li").nth(1)).to_contain_text("9999")
    expect(page.locator("#insatser")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("main")).to_contain_text("Strategin har 2 insatser.")
    assert _counts(live_server) == before
    _check(page, "import-refused")

    # 2. The imported action: link it to the region's response, update its progress.
    train = _action_id(live_server, "A-2")
    edit = f"{manage}/insatser/{train}"
    page.goto(live_server.at(f"{manage}/insatser"))
    page.get_by_role("link", name=re.compile("Tåg i inlandet")).first.click()
    expect(page).to_have_url(live_server.at(edit))
    expect(page.locator("h1")).to_have_text("A-2 Tåg i inlandet")
    expect(page.locator("#summary")).to_contain_text("10 %")
    page.locator("#sources a.button").click()
    expect(page).to_have_url(live_server.at(f"{edit}/kallor"))
    page.locator("#synthesis-form").get_by_label(re.compile(world.theme)).check()
    page.locator("#synthesis-form button[type='submit']").click()
    expect(page).to_have_url(live_server.at(f"{edit}#sources"))
    expect(page.locator("#flash .flash-success")).to_have_text(
        "Kopplingen till samrådet är tillagd."
    )
    expect(page.locator("#sources")).to_contain_text(f"Tema: {world.theme}")

    page.locator("#details > details > summary").click()
    page.locator("#details select[name='status']").select_option("ongoing")
    page.locator("#details input[name='progress']").fill("35")
    page.locator("#details button[type='submit']").click()
    expect(page.locator("#flash .flash-success")).to_have_text("Insatsen är sparad.")
    expect(page.locator("#summary")).to_contain_text("Pågår")
    expect(page.locator("#summary")).to_contain_text("35 %")
    with live_server.session() as session:
        action = session.get(Action, train)
        assert (action.progress, action.status.value) == (35, "ongoing")
        assert (
            session.scalar(
                select(func.count())
                .select_from(ActionSource)
                .where(ActionSource.action_id == train)
            )
            == 1
        )
    _check(page, "action-edit")

    # 3. The yearly report: create it, write the foreword, publish it with the confirmation box.
    page.goto(live_server.at(manage))
    page.locator(f"a[href='{manage}/rapporter']").click()
    page.get_by_label("År", exact=True).fill(str(YEAR))
    page.get_by_role("button", name="Skapa rapporten").click()
    expect(page).to_have_url(live_server.at(f"{manage}/rapporter/{YEAR}"))
    page.locator("#foreword").fill(FOREWORD)
    page.locator(f"form[action$='/rapporter/{YEAR}'] button[type='submit']").click()
    expect(page.locator("#flash .flash-success")).to_have_text("Rapporten är sparad.")
    expect(page.locator("#foreword")).to_have_value(FOREWORD)

    publish = page.locator("form[action$='/publicera']")
    publish.locator("button[type='submit']").click()  # without the box: refused
    expect(page.locator("#confirm-publish-error")).to_be_visible()
    expect(page.locator(".badge-draft")).to_be_visible()
    page.locator("#confirm-publish").check()
    page.locator("form[action$='/publicera'] button[type='submit']").click()
    expect(page.locator("#flash .flash-success")).to_have_text("Rapporten är publicerad.")
    expect(page.locator(".badge-published").first).to_be_visible()
    _shot(page, "report-published-1280")
    # The two refusals above answered 422 on purpose; nothing else may go wrong.
    unexpected = [p for p in page.problems.all() if "422" not in p]
    assert not unexpected, unexpected

    # The public report, read anonymously: the foreword and the action's progress.
    visitor = browser.new_context(viewport=DESKTOP, locale="sv-SE")
    visitor.add_init_script(path=str(AXE_JS))
    try:
        anon = visitor.new_page()
        seen = Problems()
        anon.on("pageerror", lambda error: seen.js.append(str(error)))
        anon.on("console", seen.on_console)
        anon.on("response", seen.on_response)
        anon.goto(live_server.at(f"/uppfoljning/{SLUG}/rapporter/{YEAR}"))
        expect(anon.locator("h1")).to_contain_text(f"Resultat {YEAR}")
        foreword = anon.locator("section[aria-labelledby='foreword-h']")
        expect(foreword.locator("p")).to_have_text(
            ["Året då tågen började gå i inlandet.", "Tack till alla som svarade på samrådet."]
        )
        row = anon.locator("tr", has=anon.locator("a", has_text="A-2 Tåg i inlandet")).first
        expect(row).to_contain_text("Pågår")
        expect(row.locator("td.num").first).to_have_text("35 %")
        # The imported indicator values, in the goal's table of values per year.
        values_table = anon.locator("table", has_text="Värden per år: Sysselsättningsgrad")
        expect(values_table.locator("tbody tr")).to_have_text(
            [re.compile(r"Västerbottens län\s*78,3\s*79,5"), re.compile(r"Umeå\s*–\s*80,9")]
        )
        _check(anon, "report-public")

        # 4. The visitor filters the public page by global goal 11, by keyboard.
        anon.goto(live_server.at(f"/uppfoljning/{SLUG}"))
        expect(anon.locator(".goal-card h3")).to_have_count(3)
        anon.get_by_label("Globalt mål").select_option("11")
        anon.get_by_role("button", name="Visa").focus()
        anon.keyboard.press("Enter")
        expect(anon).to_have_url(re.compile(rf"/uppfoljning/{SLUG}\?globalt_mal=11"))
        expect(anon.locator(".goal-card h3")).to_have_text(
            ["2.1 Hållbart resande", "2.2 Bostäder för alla"]
        )
        expect(anon.locator(".active-filters")).to_contain_text("Hållbara städer och samhällen")
        _check(anon, "public-filtered")

        # From the consultation's results, the response links to the action carrying it out.
        anon.goto(live_server.at(world.results))
        theme = anon.locator("article.public-theme", has_text=world.theme)
        expect(theme.locator(".carried-out")).to_contain_text("Genomförs genom")
        link = theme.locator(".carried-out a", has_text="Tåg i inlandet")
        expect(link).to_have_attribute("href", f"/uppfoljning/{SLUG}/insatser/{train}")
        expect(theme.locator(".carried-out")).to_contain_text("Pågår, 35 %")
        _fits_phone(anon, "results")
        _shot(anon, "results-1280")
        link.focus()
        anon.keyboard.press("Enter")
        expect(anon).to_have_url(live_server.at(f"/uppfoljning/{SLUG}/insatser/{train}"))
        expect(anon.locator("h1")).to_have_text("Tåg i inlandet")
        story = anon.locator(".said-decided-did")
        expect(story.locator("h2")).to_have_text("Ni sa → Vi beslutade → Vi gjorde")
        expect(story.locator(".sdd-step").nth(0)).to_contain_text(SAID)
        expect(story.locator(".sdd-step").nth(1)).to_contain_text(DECIDED)
        expect(story.locator(".sdd-step").nth(2)).to_contain_text("Tåg i inlandet")
        expect(story.locator(".sdd-step").nth(2)).to_contain_text("35 %")
        _fits_phone(anon, "action-public")
        _shot(anon, "action-public-1280")
        anon.set_viewport_size(PHONE)
        _shot(anon, "action-public-390")
        assert not seen.all(), seen.all()
    finally:
        visitor.close()
