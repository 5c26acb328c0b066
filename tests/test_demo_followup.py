"""The demo follows up its strategy: RUS 2020–2030 with the draft's three priorities and a goal
per chapter, Europa 2020 as the finished framework with the EU's and Sweden's targets side by
side, the actions of 2025 that answer paragraphs of the draft, illustrative indicator values for
the county, Sweden and municipalities, and the yearly reports."""

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from consult import areas, demo
from consult.demo import _read_json, followup
from consult.followup import agenda2030, progress, queries
from consult.models import (
    Action,
    ActionStatus,
    Comment,
    Consultation,
    Direction,
    FollowupReport,
    Goal,
    GoalTarget,
    Indicator,
    IndicatorValue,
    Milestone,
    Strategy,
    StrategyKind,
    WorkingGroup,
    action_area,
    action_sdg,
    goal_sdg,
)

FOLLOWUP_TABLES = [
    Strategy,
    Goal,
    GoalTarget,
    Action,
    Milestone,
    Indicator,
    IndicatorValue,
    FollowupReport,
]


def _load(session, now):
    assert demo.load(session, now.get()) is True
    return session.scalar(select(Strategy).where(Strategy.slug == followup.STRATEGY_SLUG))


def _targets(goal):
    return {t.label: (t.value, t.unit, t.target_year) for t in goal.targets}


def test_rus_has_the_drafts_priorities_goals_and_targets(session, now):
    rus = _load(session, now)
    assert rus.title.startswith("RUS 2020–2030")
    assert rus.kind == StrategyKind.STRATEGY
    assert rus.consultation.slug == demo.SLUG
    assert (rus.starts_year, rus.ends_year) == (2020, 2030)
    assert rus.adopted_on and rus.published_at is not None
    # Published: an anonymous visitor finds it by its address.
    assert queries.strategy_by_slug(session, None, followup.STRATEGY_SLUG) is rus

    # The three priorities are the inriktningar of the draft's vision, each with its goals.
    document = rus.consultation.rounds[0].document
    vision = next(s for s in document.sections if s.heading == "Vision")
    vision_text = " ".join(p.text for p in document.paragraphs if p.section_id == vision.id)
    assert [p.title for p in rus.priorities] == [
        "Hållbar omställning",
        "Hela länets utveckling",
        "Inkludering och jämställdhet",
    ]
    for priority in rus.priorities:
        assert priority.title in vision_text and priority.description and priority.goals
    # One goal per chapter of the draft, each described and linked to global goals.
    assert len(rus.goals) == 8
    assert {g.code for g in rus.goals} == {"1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2"}
    sdgs = queries.goal_sdgs(session, [g.id for g in rus.goals])
    for goal in rus.goals:
        assert goal.priority is not None and len(goal.description) > 80, goal.title
        assert sdgs[goal.id], goal.title
        # Every goal has actions, so its weighted progress is a figure.
        assert progress.goal_progress(goal).value is not None, goal.title

    # The quantified targets of the draft's "Mål och indikatorer" tables, on the county's charts.
    by_code = {g.code: g for g in rus.goals}
    assert _targets(by_code["2.1"])["Delmål 2025"] == (95, "%", 2025)
    assert _targets(by_code["2.1"])["Mål 2030"] == (99, "%", 2030)
    emissions = next(t for t in by_code["1.3"].targets if t.indicator is not None)
    assert (emissions.baseline_year, emissions.baseline_value, emissions.value) == (2019, 5.9, 2.5)
    assert emissions.indicator.direction == Direction.LOWER
    charted = [t for g in rus.goals for t in g.targets if t.indicator is not None]
    assert len(charted) >= 5
    for target in charted:
        assert target.area_code == "24" and target.baseline_year == 2019
        assert target.indicator in target.goal.indicators
        # The baseline is the county's value that year.
        value = session.scalar(
            select(IndicatorValue.value).where(
                IndicatorValue.indicator_id == target.indicator_id,
                IndicatorValue.area_code == "24",
                IndicatorValue.year == 2019,
            )
        )
        assert value == target.baseline_value, target.label
    assert any(t.indicator is None for g in rus.goals for t in g.targets)  # not every one charted


def test_europa_2020_is_a_finished_framework_with_eu_and_swedish_targets(session, now):
    _load(session, now)
    europe = session.scalar(select(Strategy).where(Strategy.slug == followup.FRAMEWORK_SLUG))
    assert europe.title == "Europa 2020" and europe.kind == StrategyKind.FRAMEWORK
    assert europe.consultation is None and europe.published_at is not None
    assert (europe.starts_year, europe.ends_year) == (2010, 2020)
    assert [p.title for p in europe.priorities] == [
        "Smart tillväxt",
        "Hållbar tillväxt",
        "Tillväxt för alla",
    ]
    assert not europe.actions

    goals = {g.title: g for g in europe.goals}
    for goal in europe.goals:
        assert [t.label for t in goal.targets] == ["EU", "Sverige"], goal.title
        assert all(t.target_year == 2020 for t in goal.targets)
    expected = {
        "Sysselsättning": (75, 80),
        "Forskning och utveckling": (3, 4),
        "Minskade utsläpp av växthusgaser": (-20, -40),
        "Mer förnybar energi": (20, 49),
        "Effektivare energianvändning": (20, 20),
        "Färre som lämnar skolan i förtid": (10, 10),
        "Fler med högre utbildning": (40, 45),
        "Minskad fattigdom och social utestängning": (20, 14),
    }
    assert {title: tuple(t.value for t in g.targets) for title, g in goals.items()} == expected
    assert "väl över 80 procent" in goals["Sysselsättning"].description
    assert "utanför EU:s system för handel" in goals["Minskade utsläpp av växthusgaser"].description
    poverty = goals["Minskad fattigdom och social utestängning"]
    assert poverty.targets[0].unit == "miljoner färre i fattigdom"
    assert "väl under 14 procent" in poverty.description
    # Sweden's targets are drawn on Sweden's chart where there is an indicator for them.
    swedish = [g.targets[1] for g in europe.goals if g.targets[1].indicator is not None]
    assert len(swedish) >= 4 and all(t.area_code == "00" for t in swedish)
    assert all(g.targets[0].indicator is None for g in europe.goals)


def test_actions_of_2025_answer_paragraphs_of_the_draft(session, now):
    rus = _load(session, now)
    data = {item["code"]: item for item in _read_json("followup.json")["actions"]["items"]}
    actions = rus.actions
    assert 10 <= len(actions) <= 14
    assert len({a.code for a in actions}) == len(actions)
    assert set(Counter(a.status for a in actions)) == set(ActionStatus)
    group_ids = set(
        session.scalars(
            select(WorkingGroup.id).where(WorkingGroup.consultation_id == rus.consultation_id)
        )
    )
    document = rus.consultation.rounds[0].document
    sdgs = queries.action_sdgs(session, [a.id for a in actions])
    places = queries.action_areas(session, [a.id for a in actions])
    for action in actions:
        assert action.responsible.startswith("Region Västerbotten"), action.code
        assert action.group_id in group_ids, action.code
        assert action.starts_on and action.ends_on and action.ends_on >= action.starts_on
        if action.status == ActionStatus.DONE:
            assert action.progress == 100
            assert all(m.done_on for m in action.milestones), action.code
        if action.status == ActionStatus.PLANNED:
            assert action.progress == 0 and action.starts_on > date(2025, 12, 31)
        assert action.goal_links and all(link.weight >= 1 for link in action.goal_links)
        assert all(link.goal.strategy_id == rus.id for link in action.goal_links)
        assert sdgs[action.id] and places[action.id], action.code
        assert action.milestones, action.code
        for milestone in action.milestones:
            assert 2024 <= milestone.due_on.year <= 2026, action.code
            assert milestone.done_on is None or milestone.done_on.year <= 2025
        # "You said → we decided → we did": each action names the paragraphs it answers.
        assert len(action.sources) == len(data[action.code]["sources"]) >= 1, action.code
        for source in action.sources:
            assert source.paragraph.document_id == document.id
            assert source.synthesis_id is None and source.theme_id is None
    stopped = next(a for a in actions if a.status == ActionStatus.STOPPED)
    assert "avbröts" in stopped.description
    assert any(m.done_on is None for a in actions for m in a.milestones)  # some still ahead

    # People commented on the paragraphs the actions answer.
    linked = {s.paragraph_id for a in actions for s in a.sources}
    commented = set(
        session.scalars(select(Comment.paragraph_id).where(Comment.paragraph_id.in_(linked)))
    )
    assert len(commented) >= len(linked) // 2
    # The inland municipalities and the county appear, as the public filter by municipality uses.
    used = {code for codes in places.values() for code in codes}
    assert {"24", "2480", "2482", "2481", "2462", "2421"} <= used


def test_indicators_have_illustrative_values_for_county_sweden_and_municipalities(session, now):
    _load(session, now)
    indicators = session.scalars(select(Indicator)).all()
    assert len(indicators) >= 7
    names = {i.name for i in indicators}
    assert {"Sysselsättningsgrad 20–64 år", "Befolkning 31 december"} <= names
    for indicator in indicators:
        # Never passed off as real statistics.
        assert indicator.source == "Demo: illustrativa värden i Kolada-format"
        years = Counter((v.area_code, v.year) for v in indicator.values)
        for area in ("24", "00"):
            assert [y for a, y in sorted(years) if a == area] == list(range(2015, 2026))
    municipal = session.scalars(
        select(Indicator.code)
        .join(IndicatorValue)
        .where(IndicatorValue.area_code.in_(["2480", "2482", "2481", "2462", "2421"]))
        .distinct()
    ).all()
    assert len(municipal) >= 4
    by_code = {i.code: i for i in indicators}
    assert by_code["utslapp-vaxthusgaser-per-invanare"].direction == Direction.LOWER
    population = {v.area_code: v.value for v in by_code["befolkning"].values if v.year == 2025}
    assert 250_000 < population["24"] < 300_000 and population["2480"] > population["2482"]


def test_yearly_reports_2024_published_and_2025_draft(session, now):
    rus = _load(session, now)
    reports = session.scalars(
        select(FollowupReport)
        .where(FollowupReport.strategy_id == rus.id)
        .order_by(FollowupReport.year)
    ).all()
    assert [r.year for r in reports] == [2024, 2025]
    published, draft = reports
    assert published.published_at is not None and "2024" in published.foreword
    assert published.goal_notes and all(n.goal.strategy_id == rus.id for n in published.goal_notes)
    # The snapshot is filled by the report builder when the demo publishes through it.
    assert published.snapshot is None
    assert draft.published_at is None and draft.snapshot is None and draft.foreword


def test_codes_are_known_and_loading_twice_adds_nothing(session, now):
    rus = _load(session, now)
    codes = set(session.scalars(select(goal_sdg.c.code))) | set(
        session.scalars(select(action_sdg.c.code))
    )
    assert "9" in codes and any("." in c for c in codes)  # goals and their targets
    has_targets = any(g.targets for g in agenda2030.goals())
    for code in codes:
        assert agenda2030.goal(agenda2030.goal_number(code)) is not None, code
        if has_targets:  # the 169 targets are built in
            assert agenda2030.known(code), code
    places = set(session.scalars(select(action_area.c.area_code)))
    places |= set(session.scalars(select(IndicatorValue.area_code).distinct()))
    places |= {t.area_code for t in session.scalars(select(GoalTarget)) if t.area_code}
    assert all(areas.known(code) for code in places), places
    assert all(code in ("00", "24") or areas.county_of(code) == "24" for code in places)

    counts = {t: session.scalar(select(func.count()).select_from(t)) for t in FOLLOWUP_TABLES}
    assert demo.load(session, now.get()) is False
    document = rus.consultation.rounds[0].document
    admin = rus.consultation.owner
    assert followup.load(session, document.round, document, admin) is False
    session.commit()
    assert {
        t: session.scalar(select(func.count()).select_from(t)) for t in FOLLOWUP_TABLES
    } == counts
    assert session.scalar(select(func.count()).select_from(Consultation)) == 1


def test_a_demo_loaded_before_the_follow_up_gets_it_on_the_next_load(session, now, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(followup, "load", lambda *args: False)
        assert demo.load(session, now.get()) is True
    assert session.scalar(select(func.count()).select_from(Strategy)) == 0

    assert demo.load(session, now.get()) is True
    rus = session.scalar(select(Strategy).where(Strategy.slug == followup.STRATEGY_SLUG))
    assert rus.consultation.slug == demo.SLUG and len(rus.actions) == 14
    assert all(a.sources and a.group_id for a in rus.actions)
    assert demo.load(session, now.get()) is False
