"""The yearly results report of a strategy: what a year's report contains (the year's
milestones only, indicator values up to the year, the global goals), the services' rules
(a year within the strategy's period, one report a year, stale edits refused, a published
report frozen in its snapshot), and the Word file read back with python-docx."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from docx import Document
from sqlalchemy import func, select

from consult.errors import Conflict, Invalid, NotAllowed, NotFound, WrongState
from consult.followup import report, report_docx
from consult.models import (
    Action,
    ActionGoal,
    ActionSource,
    ActionStatus,
    AuditEntry,
    Direction,
    FollowupReport,
    Goal,
    GoalTarget,
    GroupMembership,
    GroupRole,
    Indicator,
    IndicatorValue,
    Milestone,
    Origin,
    Priority,
    Response,
    Role,
    Strategy,
    Synthesis,
    Theme,
    WorkingGroup,
    WorkStatus,
    action_sdg,
    goal_sdg,
)

from . import factories


def seed(session, now) -> SimpleNamespace:
    """A strategy 2020–2030 with two priorities' goals and a loose one, three actions (one
    stopped), milestones over three years, an indicator for the county and two
    municipalities, links to the global goals and to a consultation's paragraph, theme and
    reviewed response, and a working group responsible for one action."""
    staff = factories.make_user(session, role=Role.STAFF, name="Stina Staff")
    round_ = factories.make_round(
        session, opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=30)
    )
    round_.results_published_at = now - timedelta(days=10)
    consultation = round_.consultation
    paragraph = round_.document.paragraphs[0]
    theme = Theme(round_id=round_.id, name="Kollektivtrafik i inlandet", origin=Origin.STAFF)
    theme_of_response = Theme(
        round_id=round_.id, name="Forskning och innovation", origin=Origin.STAFF
    )
    session.add_all([theme, theme_of_response])
    session.flush()
    response = Synthesis(
        round_id=round_.id,
        theme_id=theme_of_response.id,
        summary="Många vill se mer forskning i länet.",
        response=Response.ACCEPTED,
        motivation="Regionen inrättar en forskningsfond.",
        status=WorkStatus.REVIEWED,
    )
    draft_response = Synthesis(
        round_id=round_.id,
        theme_id=theme.id,
        summary="Inte granskad än.",
        response=Response.PARTLY,
        status=WorkStatus.DRAFTED,
    )
    group = WorkingGroup(consultation_id=consultation.id, slug="trafik", name="Trafikgruppen")
    session.add_all([response, draft_response, group])

    strategy = Strategy(
        slug="rus",
        title="Regional utvecklingsstrategi 2020–2030",
        summary="Västerbottens väg mot 2030.",
        consultation_id=consultation.id,
        starts_year=2020,
        ends_year=2030,
        published_at=now - timedelta(days=5),
    )
    growth = Priority(strategy=strategy, position=1, title="Hållbar tillväxt")
    skills = Priority(strategy=strategy, position=2, title="Kompetens")
    jobs = Goal(strategy=strategy, priority=growth, position=1, code="1.1", title="Fler i arbete")
    research = Goal(
        strategy=strategy, priority=growth, position=2, code="1.2", title="Mer forskning"
    )
    school = Goal(
        strategy=strategy, priority=skills, position=1, code="2.1", title="Fler klarar skolan"
    )
    loose = Goal(strategy=strategy, position=9, title="Ett mål utan inriktning")
    employment = Indicator(
        code="sysselsattning-20-64",
        name="Sysselsättningsgrad 20–64 år",
        unit="%",
        source="SCB",
        direction=Direction.HIGHER,
    )
    jobs.indicators = [employment]
    session.add_all([strategy, growth, skills, jobs, research, school, loose, employment])
    session.flush()
    for area, year, value in [
        ("24", 2021, 78.0),
        ("24", 2022, 79.5),
        ("24", 2023, 80.1),
        ("24", 2024, 81.0),
        ("2480", 2022, 80.0),
        ("2480", 2023, 79.0),
        ("2482", 2024, 77.0),  # first measured after 2023
    ]:
        session.add(
            IndicatorValue(indicator_id=employment.id, area_code=area, year=year, value=value)
        )
    session.add(
        GoalTarget(
            goal=jobs,
            label="EU",
            value=75,
            unit="%",
            target_year=2020,
            baseline_year=2010,
            baseline_value=70,
            indicator=employment,
            area_code="24",
        )
    )
    track = Action(
        strategy=strategy,
        code="A-1",
        title="Jobbspår för nyanlända",
        status=ActionStatus.ONGOING,
        progress=40,
        group=group,
        starts_on=date(2021, 1, 1),
    )
    fund = Action(
        strategy=strategy,
        code="A-2",
        title="Forskningsfond",
        status=ActionStatus.DONE,
        progress=100,
        responsible="Regional utveckling",
    )
    stopped = Action(
        strategy=strategy, code="A-3", title="Nedlagd satsning", status=ActionStatus.STOPPED,
        progress=10,
    )  # fmt: skip
    session.add_all([track, fund, stopped])
    session.flush()
    session.add_all(
        [
            ActionGoal(action=track, goal=jobs, weight=2),
            ActionGoal(action=fund, goal=jobs, weight=1),
            ActionGoal(action=stopped, goal=jobs, weight=5),
            ActionGoal(action=fund, goal=research, weight=1),
            Milestone(action=track, due_on=date(2022, 5, 1), title="Förstudie klar",
                      done_on=date(2022, 6, 1)),
            Milestone(action=track, due_on=date(2023, 3, 1), title="Pilot startad",
                      done_on=date(2023, 4, 1)),
            Milestone(action=track, due_on=date(2022, 11, 1), title="Sen delrapport",
                      done_on=date(2023, 1, 10)),
            Milestone(action=track, due_on=date(2024, 1, 15), title="Utvärdering"),
            ActionSource(action=track, paragraph_id=paragraph.id),
            ActionSource(action=track, synthesis_id=draft_response.id),
            ActionSource(action=fund, synthesis_id=response.id),
            ActionSource(action=fund, theme_id=theme.id),
        ]
    )  # fmt: skip
    session.execute(
        goal_sdg.insert(),
        [{"goal_id": jobs.id, "code": "8"}, {"goal_id": jobs.id, "code": "8.5"},
         {"goal_id": research.id, "code": "9.5"}],
    )  # fmt: skip
    session.execute(
        action_sdg.insert(),
        [{"action_id": track.id, "code": "8.5"}, {"action_id": track.id, "code": "4.4"},
         {"action_id": fund.id, "code": "9.5"}],
    )  # fmt: skip
    session.commit()
    member = factories.make_user(session, name="Maja Medlem")
    session.add(
        GroupMembership(
            group_id=group.id, user_id=member.id, role=GroupRole.MEMBER, category=member.category
        )
    )
    session.commit()
    return SimpleNamespace(
        staff=staff,
        member=member,
        participant=factories.make_user(session, name="Pia Deltagare"),
        round=round_,
        paragraph=paragraph,
        strategy=strategy,
        growth=growth,
        jobs=jobs,
        research=research,
        school=school,
        loose=loose,
        employment=employment,
        track=track,
        fund=fund,
        stopped=stopped,
        group=group,
    )


@pytest.fixture
def world(session, now):
    return seed(session, now.get())


def goal_in(content, goal_id):
    for priority in content["priorities"]:
        for goal in priority["goals"]:
            if goal["id"] == goal_id:
                return goal
    raise AssertionError(goal_id)


def make_report(session, world, year=2023, **texts):
    created = report.create_report(session, world.staff, "rus", str(year), now=report.clock.now())
    if texts:
        report.save_report(
            session,
            world.staff,
            created.id,
            foreword=texts.get("foreword", ""),
            notes=texts.get("notes", {}),
            version=created.version,
            now=report.clock.now(),
        )
    return created


# --- Content ---------------------------------------------------------------------------------


def test_a_year_shows_the_goals_by_priority_with_their_weighted_progress(session, world):
    content = report.content(session, world.strategy, 2023)
    assert [p["title"] for p in content["priorities"]] == ["Hållbar tillväxt", "Kompetens", ""]
    jobs = goal_in(content, world.jobs.id)
    # (2 × 40 + 1 × 100) / 3; the stopped action is listed but not counted.
    assert jobs["progress"]["percent"] == 60
    assert [(a["code"], a["status"], a["progress"], a["counted"]) for a in jobs["actions"]] == [
        ("A-1", "ongoing", 40, True),
        ("A-2", "done", 100, True),
        ("A-3", "stopped", 10, False),
    ]
    assert content["priorities"][0]["progress"] == 80.0  # mean of 60 and 100
    assert goal_in(content, world.loose.id)["progress"]["value"] is None
    json.dumps(content)  # stored as it is


def test_only_the_milestones_due_or_reached_in_the_year_are_listed(session, world):
    jobs = goal_in(report.content(session, world.strategy, 2023), world.jobs.id)
    track = jobs["actions"][0]
    assert [m["title"] for m in track["milestones"]] == ["Sen delrapport", "Pilot startad"]
    earlier = goal_in(report.content(session, world.strategy, 2022), world.jobs.id)
    assert [m["title"] for m in earlier["actions"][0]["milestones"]] == [
        "Förstudie klar",
        "Sen delrapport",
    ]


def test_indicators_show_the_values_up_to_the_year_and_the_latest_change(session, world):
    jobs = goal_in(report.content(session, world.strategy, 2023), world.jobs.id)
    (indicator,) = jobs["indicators"]
    assert indicator["areas"] == ["24", "2480"]  # Skellefteå is first measured in 2024
    assert max(v["year"] for v in indicator["values"]) == 2023
    assert {"year": 2024, "area": "24", "value": 81.0} not in indicator["values"]
    county, umea = indicator["latest"]
    assert (county["year"], county["value"], county["previous_year"]) == (2023, 80.1, 2022)
    assert county["change"] == pytest.approx(0.6) and county["better"] is True
    assert umea["change"] == -1.0 and umea["better"] is False
    assert jobs["targets"][0]["value"] == 75 and jobs["targets"][0]["area"] == "24"
    first = goal_in(report.content(session, world.strategy, 2021), world.jobs.id)
    assert first["indicators"][0]["latest"] == [{"area": "24", "year": 2021, "value": 78.0}]


def test_the_global_goals_name_the_goals_and_actions_that_link_to_them(session, world):
    content = report.content(session, world.strategy, 2023)
    by_number = {item["number"]: item for item in content["global_goals"]}
    assert sorted(by_number) == [4, 8, 9]
    eight = by_number[8]
    assert (eight["goal_count"], eight["action_count"]) == (1, 1)
    assert eight["goals"][0]["codes"] == ["8", "8.5"]
    assert eight["actions"][0]["code"] == "A-1"
    nine = by_number[9]
    assert [g["title"] for g in nine["goals"]] == ["Mer forskning"]
    assert [a["title"] for a in nine["actions"]] == ["Forskningsfond"]
    assert by_number[4]["goal_count"] == 0 and by_number[4]["action_count"] == 1


def test_from_the_consultation_shows_only_what_is_public(session, world):
    content = report.content(session, world.strategy, 2023)
    by_code = {a["code"]: a for a in content["consultation"]}
    # The draft (unreviewed) response to A-1's theme stays internal; its paragraph is shown.
    assert [s["kind"] for s in by_code["A-1"]["sources"]] == ["paragraph"]
    assert by_code["A-1"]["sources"][0]["text"] == world.paragraph.text
    assert by_code["A-1"]["sources"][0]["path"].endswith(f"#{world.paragraph.anchor}")
    # A-2's theme is not shown either: the public results page shows a theme only with a
    # reviewed response, and its response is a draft.
    kinds = {s["kind"]: s for s in by_code["A-2"]["sources"]}
    assert set(kinds) == {"response"}
    assert kinds["response"]["response"] == "accepted"
    assert kinds["response"]["name"] == "Forskning och innovation"
    assert "Kollektivtrafik i inlandet" not in json.dumps(content, ensure_ascii=False)

    theme = session.scalar(select(Theme).where(Theme.name == "Kollektivtrafik i inlandet"))
    theme.description = "Intern anteckning om temat."
    session.scalar(
        select(Synthesis).where(Synthesis.theme_id == theme.id)
    ).status = WorkStatus.REVIEWED
    session.commit()
    reviewed = report.content(session, world.strategy, 2023)
    kinds = {
        s["kind"]: s for s in {a["code"]: a for a in reviewed["consultation"]}["A-2"]["sources"]
    }
    assert kinds["theme"]["name"] == "Kollektivtrafik i inlandet"
    assert kinds["theme"]["path"].endswith(f"#public-theme-{theme.id}")
    # The public results page never shows a theme's description, so neither does the report.
    assert "Intern anteckning" not in json.dumps(reviewed, ensure_ascii=False)

    # A retired theme leaves the report, both as a theme and as the subject of a response.
    theme.retired_at = report.clock.now()
    session.scalar(
        select(Theme).where(Theme.name == "Forskning och innovation")
    ).retired_at = report.clock.now()
    session.commit()
    retired = json.dumps(report.content(session, world.strategy, 2023), ensure_ascii=False)
    assert "Kollektivtrafik i inlandet" not in retired
    assert "Forskning och innovation" not in retired
    assert "Regionen inrättar en forskningsfond." not in retired

    theme.retired_at = None
    session.commit()
    world.round.results_published_at = None
    session.commit()
    hidden = report.content(session, world.strategy, 2023)["consultation"]
    assert [a["code"] for a in hidden] == ["A-1"]  # only the paragraph of the public draft


def test_staff_notes_and_foreword_are_in_the_content(session, world):
    make_report(session, world, foreword="Ett år av framsteg.", notes={world.jobs.id: "Bra år."})
    content = report.content(session, world.strategy, 2023)
    assert content["foreword"] == "Ett år av framsteg."
    assert goal_in(content, world.jobs.id)["note"] == "Bra år."
    assert goal_in(content, world.research.id)["note"] == ""


# --- Services --------------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["2019", "2031", "tjugo", ""])
def test_a_year_outside_the_period_or_not_a_year_is_refused(session, world, year):
    with pytest.raises(Invalid) as refused:
        report.create_report(session, world.staff, "rus", year, now=report.clock.now())
    assert refused.value.errors["year"] in ("year_outside_period", "number", "required")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(FollowupReport)) == 0


def test_one_report_a_year(session, world):
    make_report(session, world)
    with pytest.raises(Invalid) as refused:
        make_report(session, world)
    assert refused.value.errors == {"year": "report_exists"}


@pytest.mark.parametrize("who", ["participant", "member"])
def test_only_staff_create_edit_and_publish(session, world, who):
    actor = getattr(world, who)
    with pytest.raises(NotAllowed):
        report.create_report(session, actor, "rus", "2023", now=report.clock.now())
    created = make_report(session, world)
    with pytest.raises(NotAllowed):
        report.save_report(
            session, actor, created.id, foreword="x", notes={}, version=created.version,
            now=report.clock.now(),
        )  # fmt: skip
    with pytest.raises(NotAllowed):
        report.publish(session, actor, created.id, version=created.version, now=report.clock.now())


def test_a_stale_edit_is_refused_and_overwrites_nothing(session, world, now):
    created = make_report(session, world)
    loaded = created.version
    report.save_report(
        session, world.staff, created.id, foreword="Först.", notes={}, version=loaded,
        now=now.get(),
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        report.save_report(
            session, world.staff, created.id, foreword="Sen.", notes={world.jobs.id: "Nej"},
            version=loaded, now=now.get(),
        )  # fmt: skip
    assert refused.value.current.foreword == "Först."
    session.rollback()
    session.expire_all()
    kept = session.get(FollowupReport, created.id)
    assert kept.foreword == "Först." and kept.goal_notes == []


def test_notes_are_saved_changed_and_removed_and_audited(session, world, now):
    created = make_report(session, world)
    report.save_report(
        session, world.staff, created.id, foreword="", notes={world.jobs.id: "Bra år."},
        version=created.version, now=now.get(),
    )  # fmt: skip
    assert [n.text for n in created.goal_notes] == ["Bra år."]
    report.save_report(
        session, world.staff, created.id, foreword="", notes={world.jobs.id: "  "},
        version=created.version, now=now.get(),
    )  # fmt: skip
    session.expire_all()
    assert session.get(FollowupReport, created.id).goal_notes == []
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["followup_report.create", "followup_report.edit", "followup_report.edit"]


def test_a_note_for_another_strategys_goal_is_refused(session, world, now):
    created = make_report(session, world)
    other = Strategy(slug="eu2020", title="Europa 2020", starts_year=2010, ends_year=2020)
    goal = Goal(strategy=other, title="75 % i arbete")
    session.add_all([other, goal])
    session.commit()
    with pytest.raises(NotFound):
        report.save_report(
            session, world.staff, created.id, foreword="", notes={goal.id: "Nej"},
            version=created.version, now=now.get(),
        )  # fmt: skip


def test_publishing_freezes_the_report(session, world, now):
    created = make_report(session, world, foreword="Förord 2023.")
    report.publish(session, world.staff, created.id, version=created.version, now=now.get())
    # Later work changes the actions; the published year stays as it was read.
    world.track.progress = 90
    world.track.title = "Jobbspår, nytt namn"
    session.commit()
    _strategy, found, content = report.public_report(session, None, "rus", 2023)
    jobs = goal_in(content, world.jobs.id)
    assert [a["progress"] for a in jobs["actions"]] == [40, 100, 10]
    assert jobs["progress"]["percent"] == 60
    assert goal_in(report.content(session, world.strategy, 2023), world.jobs.id)["progress"][
        "percent"
    ] == round((2 * 90 + 100) / 3)
    with pytest.raises(WrongState):
        report.save_report(
            session, world.staff, found.id, foreword="Ändrat", notes={}, version=found.version,
            now=now.get(),
        )  # fmt: skip


def test_unpublishing_makes_a_draft_again_and_republishing_stores_anew(session, world, now):
    created = make_report(session, world)
    report.publish(session, world.staff, created.id, version=created.version, now=now.get())
    report.unpublish(session, world.staff, created.id, version=created.version, now=now.get())
    assert created.published_at is None and created.snapshot is None
    with pytest.raises(NotFound):
        report.public_report(session, None, "rus", 2023)
    world.track.progress = 90
    session.commit()
    report.publish(session, world.staff, created.id, version=created.version, now=now.get())
    _s, _r, content = report.public_report(session, None, "rus", 2023)
    assert goal_in(content, world.jobs.id)["actions"][0]["progress"] == 90
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == [
        "followup_report.publish",
        "followup_report.unpublish",
        "followup_report.publish",
    ]


def test_a_stale_publish_is_refused(session, world, now):
    created = make_report(session, world)
    stale = created.version
    report.save_report(
        session, world.staff, created.id, foreword="Nytt", notes={}, version=stale, now=now.get()
    )
    with pytest.raises(Conflict):
        report.publish(session, world.staff, created.id, version=stale, now=now.get())


def test_a_draft_is_not_public(session, world):
    make_report(session, world)
    for actor in (None, world.participant, world.member, world.staff):
        with pytest.raises(NotFound):
            report.public_report(session, actor, "rus", 2023)


# --- The Word file ---------------------------------------------------------------------------


def _docx(content, **kwargs) -> Document:
    return Document(io.BytesIO(report_docx.docx_bytes(content, **kwargs)))


def test_the_docx_has_the_headings_the_foreword_and_the_tables(app, session, world, now):
    make_report(session, world, foreword="Ett år av framsteg.", notes={world.jobs.id: "Bra år."})
    content = report.content(session, world.strategy, 2023)
    with app.test_request_context():
        document = _docx(content, published_at=now.get())
        ongoing = report.status_label("ongoing")
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[0] == "Resultat 2023"
    assert "Förord" in headings
    assert "Hållbar tillväxt" in headings and "1.1 Fler i arbete" in headings
    assert "Bidrag till de globala målen" in headings and "Från samrådet" in headings
    texts = [p.text for p in document.paragraphs]
    assert "Ett år av framsteg." in texts
    assert any("Bra år." in t for t in texts)
    rows = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert ["A-1 Jobbspår för nyanlända", ongoing, "40 %"] in rows
    assert ["2023", "Västerbottens län", "80,1"] in rows
    assert ["2024", "Västerbottens län", "81"] not in rows
    assert any(row[0].startswith("8 ") and row[1:] == ["1", "1"] for row in rows)
    # Printed on A4, by Consult.
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert document.core_properties.author == "Consult"


def test_a_report_of_forty_goals_holds_every_goal_and_action(app, session, world, now):
    # Tens of goals with actions and indicator series, as a real strategy has. How long it
    # takes is measured outside the tests (see the closing note), not asserted here.
    for n in range(40):
        goal = Goal(strategy=world.strategy, priority=world.growth, position=10 + n,
                    code=f"9.{n}", title=f"Mål {n}")  # fmt: skip
        goal.indicators = [world.employment]
        session.add(goal)
        for m in range(3):
            action = Action(strategy=world.strategy, code=f"B-{n}-{m}", title=f"Insats {n}.{m}",
                            progress=(n + m) % 100)  # fmt: skip
            session.add_all([action, ActionGoal(action=action, goal=goal)])
    session.commit()
    with app.test_request_context():
        body = report_docx.docx_bytes(report.content(session, world.strategy, 2023))
    document = Document(io.BytesIO(body))
    headings = {p.text for p in document.paragraphs if p.style.name.startswith("Heading")}
    assert {f"9.{n} Mål {n}" for n in range(40)} <= headings
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    assert {f"B-{n}-{m} Insats {n}.{m}" for n in range(40) for m in range(3)} <= cells
