"""The public follow-up pages: the list of strategies, a strategy's goals under each filter, a
goal's progress computation and indicator charts, an action's "you said → we decided → we did",
and the link from a consultation's published results to the actions carrying them out."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import flask_babel
import pytest
from sqlalchemy import select

from consult.models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    Direction,
    Goal,
    GoalTarget,
    GroupMembership,
    GroupRole,
    Indicator,
    IndicatorValue,
    Milestone,
    Origin,
    Paragraph,
    Priority,
    Response,
    Role,
    Strategy,
    Synthesis,
    Theme,
    WorkingGroup,
    WorkStatus,
    action_area,
    action_sdg,
    goal_indicator,
    goal_sdg,
)
from tests import factories


@dataclass
class World:
    strategy: Strategy
    hidden: Strategy
    round: object
    goals: dict
    actions: dict
    groups: dict
    indicator: Indicator
    theme: Theme
    theme_entry: Synthesis
    paragraph_entry: Synthesis
    paragraph: Paragraph


def build_world(session, now: datetime, *, results_published=True, slug="rus") -> World:
    """A published strategy (two priorities, three goals, four actions, one indicator), an
    unpublished one, and a consultation round with published results and a reviewed synthesis."""
    round_ = factories.make_round(
        session, opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=10)
    )
    if results_published:
        round_.results_published_at = now - timedelta(days=1)
    consultation = round_.consultation
    paragraphs = session.scalars(
        select(Paragraph)
        .where(Paragraph.document_id == round_.document.id)
        .order_by(Paragraph.position)
    ).all()
    paragraph = paragraphs[0]
    theme = Theme(round_id=round_.id, name="Bättre tågförbindelser", origin=Origin.STAFF)
    session.add(theme)
    session.flush()
    theme_entry = Synthesis(
        round_id=round_.id,
        theme_id=theme.id,
        summary="Många vill ha fler tåg mellan kusten och inlandet.",
        response=Response.ACCEPTED,
        motivation="Regionen satsar på Norrbotniabanan.",
        status=WorkStatus.REVIEWED,
    )
    paragraph_entry = Synthesis(
        round_id=round_.id,
        paragraph_id=paragraphs[1].id,
        summary="Strategiperioden bör förlängas.",
        response=Response.PARTLY,
        motivation="Perioden följs upp årligen.",
        status=WorkStatus.REVIEWED,
    )
    session.add_all([theme_entry, paragraph_entry])

    innovation = WorkingGroup(
        consultation_id=consultation.id, slug="innovation", name="Innovationskraft"
    )
    transport = WorkingGroup(consultation_id=consultation.id, slug="trafik", name="Trafikgruppen")
    session.add_all([innovation, transport])

    strategy = Strategy(
        slug=slug,
        title="Regional utvecklingsstrategi 2020–2030",
        summary="Västerbottens väg mot 2030.",
        consultation_id=consultation.id,
        starts_year=2020,
        ends_year=2030,
        published_at=now - timedelta(days=5),
    )
    hidden = Strategy(slug="hemlig", title="Ett utkast till plan", starts_year=2024, ends_year=2030)
    session.add_all([strategy, hidden])
    session.flush()
    work = Priority(strategy_id=strategy.id, position=1, title="Arbete och kompetens")
    places = Priority(strategy_id=strategy.id, position=2, title="Attraktiva livsmiljöer")
    session.add_all([work, places])
    session.flush()
    jobs = Goal(
        strategy_id=strategy.id, priority_id=work.id, position=1, code="1.1",
        title="Fler i arbete", description="Sysselsättningen ska öka i hela länet.",
    )  # fmt: skip
    housing = Goal(
        strategy_id=strategy.id, priority_id=work.id, position=2, code="1.2",
        title="Bostäder för alla",
    )  # fmt: skip
    travel = Goal(
        strategy_id=strategy.id, priority_id=places.id, position=1, code="2.1",
        title="Hållbart resande",
    )  # fmt: skip
    secret_goal = Goal(strategy_id=hidden.id, title="Hemligt mål")
    session.add_all([jobs, housing, travel, secret_goal])
    session.flush()

    def action(code, title, goal_weights, *, progress, status, group=None, strategy_=strategy):
        found = Action(
            strategy_id=strategy_.id, code=code, title=title, progress=progress, status=status,
            group_id=group.id if group else None, responsible="Regionala utvecklingsavdelningen",
            description=f"Beskrivning av {title.lower()}.",
            starts_on=date(2021, 1, 1), ends_on=date(2026, 12, 31),
        )  # fmt: skip
        session.add(found)
        session.flush()
        for goal, weight in goal_weights:
            session.add(ActionGoal(action_id=found.id, goal_id=goal.id, weight=weight))
        return found

    a1 = action("A-1", "Kompetenslyft i länet", [(jobs, 2)], progress=50,
                status=ActionStatus.ONGOING, group=innovation)  # fmt: skip
    a2 = action("A-2", "Validering av yrkeskunskap", [(jobs, 1)], progress=80,
                status=ActionStatus.ONGOING, group=transport)  # fmt: skip
    a3 = action("A-3", "Pendlarparkeringar", [(travel, 1)], progress=20,
                status=ActionStatus.PLANNED, group=transport)  # fmt: skip
    a4 = action("A-4", "Nedlagd mässa", [(jobs, 1)], progress=10, status=ActionStatus.STOPPED)
    secret = action("H-1", "Hemlig insats", [(secret_goal, 1)], progress=5,
                    status=ActionStatus.PLANNED, strategy_=hidden)  # fmt: skip
    session.add_all(
        [
            Milestone(action_id=a1.id, due_on=date(2022, 6, 1), title="Förstudie klar",
                      done_on=date(2022, 5, 20)),
            Milestone(action_id=a1.id, due_on=date(2025, 12, 31), title="Tusen deltagare"),
        ]
    )  # fmt: skip
    session.execute(
        goal_sdg.insert(),
        [{"goal_id": jobs.id, "code": "8"}, {"goal_id": jobs.id, "code": "4.4"},
         {"goal_id": housing.id, "code": "11.1"}],
    )  # fmt: skip
    session.execute(action_sdg.insert(), [{"action_id": a3.id, "code": "11"}])
    session.execute(
        action_area.insert(),
        [{"action_id": a1.id, "area_code": "2480"}, {"action_id": a2.id, "area_code": "24"},
         {"action_id": a3.id, "area_code": "2482"}],
    )  # fmt: skip
    indicator = Indicator(
        code="sysselsattning", name="Sysselsättningsgrad 20–64 år", unit="%",
        source="SCB", direction=Direction.HIGHER,
    )  # fmt: skip
    session.add(indicator)
    session.flush()
    values = [("24", 2019, 78.0), ("24", 2020, 77.1), ("24", 2021, 78.3), ("24", 2022, 79.5),
              ("2480", 2021, 80.1), ("2480", 2022, 80.9), ("00", 2022, 80.0),
              ("2482", 2022, 81.5)]  # fmt: skip
    session.add_all(
        IndicatorValue(indicator_id=indicator.id, area_code=a, year=y, value=v)
        for a, y, v in values
    )
    session.execute(goal_indicator.insert(), [{"goal_id": jobs.id, "indicator_id": indicator.id}])
    session.add(
        GoalTarget(
            goal_id=jobs.id,
            label="Länet",
            value=80,
            unit="%",
            target_year=2030,
            baseline_year=2019,
            baseline_value=78.0,
            indicator_id=indicator.id,
            area_code="24",
        )  # fmt: skip
    )
    session.flush()
    session.add_all(
        [
            ActionSource(action_id=a1.id, synthesis_id=theme_entry.id),
            ActionSource(action_id=a1.id, theme_id=theme.id),
            ActionSource(action_id=a1.id, paragraph_id=paragraph.id),
            ActionSource(action_id=a2.id, synthesis_id=paragraph_entry.id),
            ActionSource(action_id=secret.id, synthesis_id=theme_entry.id),
        ]
    )
    session.commit()
    return World(
        strategy=strategy,
        hidden=hidden,
        round=round_,
        goals={"jobs": jobs, "housing": housing, "travel": travel, "secret": secret_goal},
        actions={"a1": a1, "a2": a2, "a3": a3, "a4": a4, "secret": secret},
        groups={"innovation": innovation, "transport": transport},
        indicator=indicator,
        theme=theme,
        theme_entry=theme_entry,
        paragraph_entry=paragraph_entry,
        paragraph=paragraph,
    )


@pytest.fixture
def world(session, now):
    return build_world(session, now.get())


def text_of(html: str) -> str:
    """The page's text with tags removed and spaces collapsed, for reading assertions."""
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for before, after in ((" :", ":"), (" ,", ","), (" )", ")"), ("( ", "("), (" .", ".")):
        text = text.replace(before, after)
    return text


def get(client, url, status=200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def goal_titles(html: str) -> list[str]:
    return re.findall(r'<li class="goal-card">\s*<h3><a [^>]+>([^<]+)</a>', html)


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_published_strategies_with_goal_count_and_progress(client, world):
    html = get(client, "/uppfoljning")
    text = text_of(html)
    assert "Regional utvecklingsstrategi 2020–2030" in text
    assert "2020–2030" in text
    assert "Ett utkast till plan" not in text
    # Three goals; "Fler i arbete" is at 60 %, "Hållbart resande" at 20 %, housing has none.
    assert re.search(r"Mål 3\b", text)
    assert "40 %" in text


def test_the_list_says_so_when_nothing_is_published(client, session, now):
    html = get(client, "/uppfoljning")
    assert "Ingen strategi" in text_of(html)


# --- The strategy page and its filters -----------------------------------------------------


def test_the_strategy_page_shows_priorities_goals_progress_badges_and_changes(client, world):
    html = get(client, "/uppfoljning/rus")
    text = text_of(html)
    assert goal_titles(html) == [
        "1.1 Fler i arbete",
        "1.2 Bostäder för alla",
        "2.1 Hållbart resande",
    ]
    assert text.index("Arbete och kompetens") < text.index("Fler i arbete")
    assert text.index("Fler i arbete") < text.index("Attraktiva livsmiljöer")
    # Weighted: (2 × 50 + 1 × 80) / 3 = 60; the stopped action is not counted.
    card = text[text.index("Fler i arbete") : text.index("Bostäder för alla")]
    assert "60 %" in card
    assert "3 insatser" in card
    # Global goals as badges with their names for screen readers, in the goals' colours.
    assert 'class="sdg-badge sdg-8"' in html and 'class="sdg-badge sdg-4"' in html
    assert "Globalt mål 8: Anständiga arbetsvillkor och ekonomisk tillväxt" in text
    # The county's latest change: 79.5 − 78.3, in percentage points, and that it is good.
    assert "+1,2 procentenheter sedan 2021" in card
    assert "till det bättre" in card


def test_filter_by_global_goal_keeps_goals_linked_to_it_or_its_targets_or_by_an_action(
    client, world
):
    html = get(client, "/uppfoljning/rus?globalt_mal=11")
    # Housing links target 11.1; travel has an action linked to goal 11; jobs neither.
    assert goal_titles(html) == ["1.2 Bostäder för alla", "2.1 Hållbart resande"]
    text = text_of(html)
    assert "globalt mål 11, Hållbara städer och samhällen" in text
    assert 'href="/uppfoljning/rus">Visa alla</a>' in html
    assert '<option value="11" selected>' in html
    # A priority's progress counts all its goals, not only those the filter shows.
    assert "Inriktningens genomförandegrad: 60 %" in text


def test_filter_by_working_group_keeps_its_goals_and_actions(client, world):
    group = world.groups["innovation"]
    html = get(client, f"/uppfoljning/rus?grupp={group.id}")
    assert goal_titles(html) == ["1.1 Fler i arbete"]
    text = text_of(html)
    assert "Kompetenslyft i länet" in text
    assert "Validering av yrkeskunskap" not in text
    assert "1 insats här" in text
    assert "insatser som Innovationskraft genomför" in text


def test_filter_by_municipality_shows_its_indicator_change_and_the_actions_there(client, world):
    html = get(client, "/uppfoljning/rus?kommun=2480")
    text = text_of(html)
    # All goals stay; the indicator is shown for Umeå: 80.9 − 80.1.
    assert len(goal_titles(html)) == 3
    assert "(Umeå): +0,8 procentenheter sedan 2021" in text
    # Umeå's own action and the county-wide one, not Skellefteå's.
    assert "Kompetenslyft i länet" in text
    assert "Validering av yrkeskunskap" in text
    assert "Pendlarparkeringar" not in text
    # The goal links keep the municipality.
    assert f"/uppfoljning/rus/mal/{world.goals['jobs'].id}?kommun=2480" in html


def test_a_filter_matching_nothing_says_so(client, world):
    html = get(client, "/uppfoljning/rus?globalt_mal=14")
    assert goal_titles(html) == []
    assert "Inget mål matchar filtret" in text_of(html)


def test_unknown_filter_values_are_ignored(client, world):
    html = get(client, "/uppfoljning/rus?globalt_mal=99&grupp=abc&kommun=9999")
    assert len(goal_titles(html)) == 3
    assert "Visa alla</a>" not in html


# --- The goal page -------------------------------------------------------------------------


def test_the_goal_page_shows_how_the_progress_was_computed(client, world):
    html = get(client, f"/uppfoljning/rus/mal/{world.goals['jobs'].id}")
    table = html[html.index('<table class="progress-table">') : html.index("</table>")]
    rows = [text_of(row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    assert rows[1:] == [
        "Kompetenslyft i länet Pågår 50 % 2 Ja: 2 × 50",
        "Validering av yrkeskunskap Pågår 80 % 1 Ja: 1 × 80",
        "Nedlagd mässa Avbruten 10 % 1 Avbruten: räknas inte",
        "Resultat (2 × 50 + 1 × 80) / 3 = 60 %",
    ]


def test_the_goal_chart_has_the_target_line_and_baseline_and_the_table_every_value(client, world):
    html = get(client, f"/uppfoljning/rus/mal/{world.goals['jobs'].id}?kommun=2480")
    svg = html[
        html.index('<svg class="indicator-chart"') : html.index(
            "</svg>", html.index("indicator-chart")
        )
        + 6
    ]
    assert 'role="img"' in svg
    ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
    for id_ in ids:
        assert f'id="{id_}"' in svg
    assert "<title" in svg and "<desc" in svg
    assert 'class="chart-target"' in svg and 'stroke-dasharray="7 4"' in svg
    assert "Länet: 80 % år 2030" in svg
    assert 'class="chart-baseline"' in svg and "Utgångsläge 2019: 78" in svg
    assert "<script" not in html[html.index("<main") : html.index("</main>")]
    # The table: a caption, a row per year, a column per area, every value in Swedish.
    table = html[
        html.index('<table class="indicator-table">') : html.index(
            "</table>", html.index('<table class="indicator-table">')
        )
    ]
    assert "<caption" in table
    headers = re.findall(r'<th scope="col">([^<]+)</th>', table)
    assert headers == ["År", "Sverige", "Västerbottens län", "Umeå"]
    rows = [text_of(r) for r in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", table, re.S)]
    assert rows == ["2019 78", "2020 77,1", "2021 78,3 80,1", "2022 80 79,5 80,9"]
    # Skellefteå was not asked for.
    assert "81,5" not in table
    text = text_of(html)
    assert "(Umeå): +0,8 procentenheter sedan 2021" in text


def test_the_goal_page_lists_targets_and_actions(client, world):
    text = text_of(get(client, f"/uppfoljning/rus/mal/{world.goals['jobs'].id}"))
    assert "Länet: 80 % till 2030 (utgångsläge 78 % år 2019)" in text
    assert "Insatser som bidrar till målet" in text
    assert "Kompetenslyft i länet (Pågår, 50 %, Regionala utvecklingsavdelningen)" in text


# --- The action page -----------------------------------------------------------------------


def test_the_action_page_shows_timeline_goals_and_what_it_answers(client, world):
    a1 = world.actions["a1"]
    html = get(client, f"/uppfoljning/rus/insatser/{a1.id}")
    text = text_of(html)
    assert "Kompetenslyft i länet" in text
    assert "Innovationskraft" in text and "Regionala utvecklingsavdelningen" in text
    assert "1 januari 2021 – 31 december 2026" in text
    assert "Umeå" in text
    timeline = html[html.index('<ol class="timeline">') : html.index("</ol>")]
    assert text_of(timeline).startswith("✓ 1 juni 2022: Förstudie klar Klar 20 maj 2022")
    # Past its date and not reached (the tests' clock is in 2026): marked late.
    assert "31 december 2025: Tusen deltagare Försenad: inte nådd än" in text_of(timeline)
    assert f"/uppfoljning/rus/mal/{world.goals['jobs'].id}" in html
    assert "Anständiga arbetsvillkor" not in text  # the action's own global goals only
    said = text[text.index("Ni sa → Vi beslutade → Vi gjorde") :]
    assert "Bättre tågförbindelser (0 synpunkter)" in said
    round_url = f"/samrad/{world.round.consultation.slug}/omgang/1/"
    assert f'href="{round_url}#{world.paragraph.anchor}"' in html
    assert f'href="{round_url}#public-theme-{world.theme.id}"' in html
    assert "Många vill ha fler tåg mellan kusten och inlandet." in text
    assert "Godtas" in text and "Regionen satsar på Norrbotniabanan." in text
    assert "Vi gjorde Kompetenslyft i länet: Pågår, 50 %." in text


def test_the_response_waits_for_the_round_results(client, session, now):
    world = build_world(session, now.get(), results_published=False)
    text = text_of(get(client, f"/uppfoljning/rus/insatser/{world.actions['a1'].id}"))
    # The paragraph is public with the round; the theme and the response are not yet.
    assert "Stycke 1" in text
    assert "Bättre tågförbindelser" not in text
    assert "Regionen satsar på Norrbotniabanan." not in text


def _theme_sources_in_open_data(client, action_id: int) -> tuple[list, str]:
    body = get(client, "/uppfoljning/rus/data/actions.json")
    [item] = [a for a in json.loads(body)["items"] if a["id"] == action_id]
    urls = [s["url"] for s in item["sources"] if s["kind"] in ("theme", "synthesis")]
    return urls, body


def test_a_drafted_response_is_not_shown(client, session, world):
    world.theme_entry.status = WorkStatus.DRAFTED
    session.commit()
    a1 = world.actions["a1"]
    text = text_of(get(client, f"/uppfoljning/rus/insatser/{a1.id}"))
    assert "Regionen satsar på Norrbotniabanan." not in text
    # Nor its theme: the results page shows a theme only with its reviewed response.
    assert "Bättre tågförbindelser" not in text
    assert "Stycke 1" in text  # the paragraph of the open draft still is
    urls, body = _theme_sources_in_open_data(client, a1.id)
    assert urls == [None, None]
    assert "Bättre tågförbindelser" not in body


def test_a_retired_theme_is_not_shown(client, session, world, now):
    world.theme.retired_at = now.get()
    session.commit()
    a1 = world.actions["a1"]
    text = text_of(get(client, f"/uppfoljning/rus/insatser/{a1.id}"))
    assert "Bättre tågförbindelser" not in text
    assert "Regionen satsar på Norrbotniabanan." not in text  # its response neither
    assert "Stycke 1" in text
    urls, body = _theme_sources_in_open_data(client, a1.id)
    assert urls == [None, None]
    # The round's own results page agrees.
    round_page = text_of(get(client, f"/samrad/{world.round.consultation.slug}/omgang/1/"))
    assert "Bättre tågförbindelser" not in round_page


# --- Access --------------------------------------------------------------------------------


def test_an_unpublished_strategy_is_not_found_for_anonymous_visitors(client, world):
    hidden = world.hidden
    get(client, "/uppfoljning/hemlig", 404)
    get(client, f"/uppfoljning/hemlig/mal/{world.goals['secret'].id}", 404)
    get(client, f"/uppfoljning/hemlig/insatser/{world.actions['secret'].id}", 404)
    assert hidden.published_at is None


def test_staff_see_an_unpublished_strategy_marked_so(client, auth, world):
    auth.login(role=Role.STAFF)
    text = text_of(get(client, "/uppfoljning/hemlig"))
    assert "Inte publicerad" in text


def test_another_strategys_goal_or_action_is_not_found(client, world):
    get(client, f"/uppfoljning/rus/mal/{world.goals['secret'].id}", 404)
    get(client, f"/uppfoljning/rus/insatser/{world.actions['secret'].id}", 404)
    get(client, "/uppfoljning/rus/mal/2147483648", 404)


# --- From the consultation's results to the actions ----------------------------------------


def test_the_results_page_links_each_response_to_its_actions(client, world):
    round_ = world.round
    html = get(client, f"/samrad/{round_.consultation.slug}/omgang/1/")
    text = text_of(html)
    a1, a2 = world.actions["a1"], world.actions["a2"]
    assert (
        f'href="/uppfoljning/rus/insatser/{a1.id}">Kompetenslyft i länet</a> (Pågår, 50 %)' in html
    )
    assert "Genomförs genom: Kompetenslyft i länet (Pågår, 50 %)" in text
    # The paragraph's response, under its paragraph.
    at = html.index(f'id="{world.paragraph_entry.paragraph.anchor}"')
    assert html.index(f"/uppfoljning/rus/insatser/{a2.id}") > at
    # Not the unpublished strategy's action on the same response.
    assert "Hemlig insats" not in text
    assert f"/insatser/{world.actions['secret'].id}" not in html


def test_the_results_page_reads_the_links_in_one_query(client, session, world, app):
    from sqlalchemy import event

    statements = []
    engine = app.extensions["db_engine"]

    def count(conn, cursor, statement, *args):
        if "action_source" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        get(client, f"/samrad/{world.round.consultation.slug}/omgang/1/")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1


def test_a_strategy_published_later_is_not_linked_yet(client, session, world, now):
    world.strategy.published_at = now.get() + timedelta(days=1)
    session.commit()
    html = get(client, f"/samrad/{world.round.consultation.slug}/omgang/1/")
    assert "/uppfoljning/rus/insatser/" not in html
    assert "Regional utvecklingsstrategi" not in text_of(get(client, "/uppfoljning"))


def test_the_page_reads_in_english_with_a_decimal_point(client, world):
    client.post("/sprak", data={"lang": "en", "next": "/"})
    # The tests share one app context, where Flask-Babel keeps the locale it chose first.
    flask_babel.refresh()
    text = text_of(get(client, "/uppfoljning/rus"))
    assert "+1.2 percentage points since 2021" in text


def test_a_fall_is_good_news_when_lower_is_better(client, session, world):
    world.indicator.direction = Direction.LOWER
    session.commit()
    html = get(client, "/uppfoljning/rus")
    assert "+1,2 procentenheter sedan 2021 – en förändring till det sämre" in text_of(html)
    # The arrow shows the rise; its colour that the rise is bad news.
    assert "indicator-change-bad indicator-change-up" in html


def test_a_goal_without_counted_actions_says_so(client, world):
    text = text_of(get(client, f"/uppfoljning/rus/mal/{world.goals['housing'].id}"))
    assert "Genomförandegrad: Inget framsteg räknat än" in text
    assert "Ingen insats bidrar till målet än." in text
    assert "Målet har inga indikatorer än." in text


def test_the_action_page_leads_those_who_may_update_it_to_its_form(client, session, world, auth):
    a1 = world.actions["a1"]
    page, form = f"/uppfoljning/rus/insatser/{a1.id}", f"/uppfoljning/rus/hantera/insatser/{a1.id}"
    assert form not in get(client, page)

    other = factories.make_user(session)
    session.add(GroupMembership(group_id=world.groups["transport"].id, user_id=other.id,
                                role=GroupRole.MEMBER, category=other.category))  # fmt: skip
    session.commit()
    auth.login(other)
    assert form not in get(client, page)  # a member of another group
    client.post("/konto/logga-ut")

    member = factories.make_user(session)
    session.add(GroupMembership(group_id=world.groups["innovation"].id, user_id=member.id,
                                role=GroupRole.MEMBER, category=member.category))  # fmt: skip
    session.commit()
    auth.login(member)
    assert f'href="{form}"' in get(client, page)


def test_a_framework_without_actions_shows_no_empty_progress(client, session, now):
    framework = Strategy(slug="europa-2020", title="Europa 2020", starts_year=2010, ends_year=2020,
                         published_at=now.get() - timedelta(days=1))  # fmt: skip
    goal = Goal(strategy=framework, code="1", title="75 % i arbete")
    session.add_all([framework, goal])
    session.commit()

    pages = ("/uppfoljning", "/uppfoljning/europa-2020", f"/uppfoljning/europa-2020/mal/{goal.id}")
    for url in pages:
        text = text_of(get(client, url))
        assert "Europa 2020" in text
        assert "Genomförandegrad" not in text and "Inget framsteg räknat än" not in text
    assert "75 % i arbete" in text_of(get(client, "/uppfoljning/europa-2020"))
