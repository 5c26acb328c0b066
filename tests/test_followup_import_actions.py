"""Bulk import and export of a strategy's actions and milestones (.xlsx and CSV): the same
columns both ways, every refusal listed by row and column, and nothing of a refused file
written."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from types import SimpleNamespace

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consult.errors import NotAllowed
from consult.followup import transfer
from consult.followup.transfer import ACTION_COLUMNS, MILESTONE_COLUMNS, FileRefused, Upload
from consult.models import (
    Action,
    ActionGoal,
    ActionStatus,
    AuditEntry,
    Goal,
    GroupMembership,
    GroupRole,
    Indicator,
    IndicatorValue,
    Milestone,
    Role,
    Strategy,
    WorkingGroup,
    action_area,
    action_sdg,
)

from . import factories

ACTION_HEADINGS = [c.name for c in ACTION_COLUMNS]
MILESTONE_HEADINGS = [c.name for c in MILESTONE_COLUMNS]


@pytest.fixture
def world(session, open_round):
    """A strategy with coded goals (and one without a code), two working groups of its
    consultation, an indicator linked to a goal, staff, a participant and a group member."""
    consultation_id = open_round.consultation_id
    strategy = Strategy(
        slug="rus",
        title="RUS 2020–2030",
        consultation_id=consultation_id,
        starts_year=2020,
        ends_year=2030,
    )
    goals = {
        code: Goal(strategy=strategy, code=code, title=f"Mål {code}", position=i)
        for i, code in enumerate(("1.1", "1.2", "2.1"))
    }
    uncoded = Goal(strategy=strategy, code="", title="Mål utan kod", position=9)
    traffic = WorkingGroup(consultation_id=consultation_id, slug="trafik", name="Trafik")
    innovation = WorkingGroup(
        consultation_id=consultation_id, slug="innovation", name="Innovationskraft"
    )
    employment = Indicator(code="N00914", name="Sysselsättning 20–64", unit="%")
    education = Indicator(code="U00001", name="Eftergymnasial utbildning", unit="%")
    goals["1.1"].indicators.append(employment)
    goals["2.1"].indicators.append(education)
    session.add_all([strategy, uncoded, traffic, innovation, employment, education])
    session.commit()
    staff = factories.make_user(session, role=Role.STAFF, name="Stina Staff")
    member = factories.make_user(session, name="Mia Member")
    session.add(
        GroupMembership(group=traffic, user=member, role=GroupRole.MEMBER, category=member.category)
    )
    session.commit()
    return SimpleNamespace(
        strategy=strategy,
        goals=goals,
        uncoded=uncoded,
        traffic=traffic,
        innovation=innovation,
        employment=employment,
        education=education,
        staff=staff,
        member=member,
        participant=factories.make_user(session, name="Pia Participant"),
        admin=factories.make_user(session, role=Role.ADMIN, name="Ada Admin"),
    )


def csv_data(headings, rows, delimiter=",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headings)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_data(sheets: dict[str, list[list]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def action_row(code="A-1", **values) -> list:
    row = {
        "kod": code,
        "titel": f"Insats {code}",
        "beskrivning": "",
        "ansvarig": "",
        "arbetsgrupp": "",
        "start": "",
        "slut": "",
        "status": "planerad",
        "framsteg": "0",
        "mål": "",
        "globala_mål": "",
        "områden": "",
    }
    row.update(values)
    return [row[name] for name in ACTION_HEADINGS]


def import_csv(session, actor, actions: bytes, milestones: bytes | None = None):
    return transfer.import_actions(
        session,
        actor,
        "rus",
        Upload("insatser.csv", actions),
        Upload("milstolpar.csv", milestones) if milestones is not None else None,
    )


def counts(session) -> dict:
    """Everything an import could write."""
    return {
        name: session.scalar(select(func.count()).select_from(table))
        for name, table in (
            ("actions", Action),
            ("milestones", Milestone),
            ("goal links", ActionGoal),
            ("global goals", action_sdg),
            ("areas", action_area),
            ("audit", AuditEntry),
            ("values", IndicatorValue),
        )
    }


def state(session, strategy) -> list[dict]:
    """The strategy's actions as a person reads them: everything but ids and times."""
    session.expire_all()
    found = []
    for action in sorted(strategy.actions, key=lambda a: a.code):
        found.append(
            {
                "code": action.code,
                "title": action.title,
                "description": action.description,
                "responsible": action.responsible,
                "group": action.group.slug if action.group else None,
                "starts_on": action.starts_on,
                "ends_on": action.ends_on,
                "status": action.status,
                "progress": action.progress,
                "goals": sorted((link.goal.title, link.weight) for link in action.goal_links),
                "sdgs": sorted(
                    session.scalars(
                        select(action_sdg.c.code).where(action_sdg.c.action_id == action.id)
                    )
                ),
                "areas": sorted(
                    session.scalars(
                        select(action_area.c.area_code).where(action_area.c.action_id == action.id)
                    )
                ),
                "milestones": [
                    (m.due_on, m.title, m.description, m.done_on) for m in action.milestones
                ],
            }
        )
    return found


def fresh_counts(session) -> dict:
    """``counts`` as stored, read in a session of its own (not the one the import used)."""
    with Session(session.get_bind()) as fresh:
        return counts(fresh)


def refused(session, call) -> list[tuple]:
    """Run an import that must be refused: return its problems as (sheet, row, column, key,
    value), after checking that nothing was written: not in the import's own session (nothing
    flushed and left pending), and not in the database after that session commits whatever it
    may still hold (read in a fresh session, with no rollback by the test)."""
    before = fresh_counts(session)
    with pytest.raises(FileRefused) as caught:
        call()
    assert counts(session) == before
    session.commit()
    assert fresh_counts(session) == before
    return [(p.sheet, p.row, p.column, p.key, p.value) for p in caught.value.problems]


def test_refused_sees_a_flushed_partial_write(session, world):
    """The check itself: an import that flushed a row before refusing is caught."""

    def partial():
        session.add(Action(strategy=world.strategy, code="HALV", title="Halvskriven"))
        session.flush()
        raise FileRefused([transfer.Problem("no_rows")])

    with pytest.raises(AssertionError):
        refused(session, partial)
    session.rollback()


RICH_ACTIONS = [
    action_row(
        "A-1",
        titel="Snabbare resor Umeå–Skellefteå",
        beskrivning="Planering av Norrbotniabanan.\nTvå rader, med ”citat”, komma; semikolon.",
        ansvarig="Regional utveckling",
        arbetsgrupp="trafik",
        start="2021-01-01",
        slut="2026-12-31",
        status="pågående",
        framsteg="40",
        mål="1.1;1.2:3",
        globala_mål="11;9",
        områden="24;2480;2482",
    ),
    action_row(
        "A-2",
        titel='=HYPERLINK("http://example.com")',
        beskrivning="-minus först, @at och +plus",
        arbetsgrupp="innovation",
        status="klar",
        framsteg="100",
        mål="2.1:2",
        globala_mål="8",
        områden="2480",
    ),
    action_row("B-7", titel="Bredband i inlandet", status="avbruten", framsteg="15"),
    action_row("C-1", titel="Planerad insats"),
]
RICH_MILESTONES = [
    ["A-1", "2022-06-30", "Järnvägsplan klar", "Samråd med kommunerna", "2022-09-01"],
    ["A-1", "2021-03-01", "Start", "", "2021-03-01"],
    ["A-2", "2024-01-15", "Utvärdering", "", ""],
]


def test_a_csv_import_creates_the_actions_with_their_links_and_milestones(session, world):
    result = import_csv(
        session,
        world.staff,
        csv_data(ACTION_HEADINGS, RICH_ACTIONS),
        csv_data(MILESTONE_HEADINGS, RICH_MILESTONES),
    )
    assert (result.created, result.updated, result.milestones) == (4, 0, 3)
    first, second, stopped, planned = state(session, world.strategy)
    assert first["group"] == "trafik" and first["status"] == ActionStatus.ONGOING
    assert first["progress"] == 40 and first["ends_on"] == date(2026, 12, 31)
    assert first["goals"] == [("Mål 1.1", 1), ("Mål 1.2", 3)]
    assert first["sdgs"] == ["11", "9"] and first["areas"] == ["24", "2480", "2482"]
    # Milestones in date order, whatever the file's order.
    assert [m[1] for m in first["milestones"]] == ["Start", "Järnvägsplan klar"]
    assert second["title"] == '=HYPERLINK("http://example.com")'
    assert second["status"] == ActionStatus.DONE and second["goals"] == [("Mål 2.1", 2)]
    assert stopped["status"] == ActionStatus.STOPPED and stopped["milestones"] == []
    assert planned["status"] == ActionStatus.PLANNED and planned["group"] is None
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "followup.import_actions"))
    assert entry is not None and entry.actor_id == world.staff.id


def _wipe_actions(session, strategy):
    for action in list(strategy.actions):
        session.delete(action)
    session.commit()
    session.expire_all()


def test_round_trip_through_xlsx_gives_the_same_actions(session, world):
    import_csv(
        session,
        world.staff,
        csv_data(ACTION_HEADINGS, RICH_ACTIONS),
        csv_data(MILESTONE_HEADINGS, RICH_MILESTONES),
    )
    before = state(session, world.strategy)
    _strategy, workbook = transfer.export_xlsx(session, world.staff, "rus")
    sheets = load_workbook(io.BytesIO(workbook)).sheetnames
    assert sheets == ["Insatser", "Milstolpar"]
    _wipe_actions(session, world.strategy)
    assert state(session, world.strategy) == []
    result = transfer.import_actions(
        session, world.staff, "rus", Upload("rus-insatser.xlsx", workbook)
    )
    assert (result.created, result.milestones) == (4, 3)
    assert state(session, world.strategy) == before
    # Importing the same file again changes nothing but counts the actions as updated.
    result = transfer.import_actions(
        session, world.staff, "rus", Upload("rus-insatser.xlsx", workbook)
    )
    assert (result.created, result.updated) == (0, 4)
    assert state(session, world.strategy) == before


def test_round_trip_through_csv_gives_the_same_actions(session, world):
    import_csv(
        session,
        world.staff,
        csv_data(ACTION_HEADINGS, RICH_ACTIONS),
        csv_data(MILESTONE_HEADINGS, RICH_MILESTONES),
    )
    before = state(session, world.strategy)
    _s, actions = transfer.export_csv(session, world.staff, "rus", "insatser")
    _s, milestones = transfer.export_csv(session, world.staff, "rus", "milstolpar")
    assert actions.startswith("\ufeff".encode()) and milestones.startswith("\ufeff".encode())
    _wipe_actions(session, world.strategy)
    result = import_csv(session, world.staff, actions, milestones)
    assert (result.created, result.milestones) == (4, 3)
    assert state(session, world.strategy) == before


def test_both_exports_have_the_same_columns_in_the_same_order(session, world):
    import_csv(
        session,
        world.staff,
        csv_data(ACTION_HEADINGS, RICH_ACTIONS),
        csv_data(MILESTONE_HEADINGS, RICH_MILESTONES),
    )
    _s, workbook = transfer.export_xlsx(session, world.staff, "rus")
    _s, actions = transfer.export_csv(session, world.staff, "rus", "insatser")
    _s, milestones = transfer.export_csv(session, world.staff, "rus", "milstolpar")
    book = load_workbook(io.BytesIO(workbook))
    csv_actions = list(csv.reader(io.StringIO(actions.decode("utf-8-sig"))))
    csv_milestones = list(csv.reader(io.StringIO(milestones.decode("utf-8-sig"))))
    assert [c.value for c in book["Insatser"][1]] == csv_actions[0] == ACTION_HEADINGS
    assert [c.value for c in book["Milstolpar"][1]] == csv_milestones[0] == MILESTONE_HEADINGS
    assert ACTION_HEADINGS[:3] == ["kod", "titel", "beskrivning"]
    assert csv_actions[1][ACTION_HEADINGS.index("status")] == "pågående"
    assert csv_actions[1][ACTION_HEADINGS.index("mål")] == "1.1;1.2:3"


def test_exports_never_hand_a_spreadsheet_a_formula(session, world):
    import_csv(session, world.staff, csv_data(ACTION_HEADINGS, RICH_ACTIONS))
    _s, actions = transfer.export_csv(session, world.staff, "rus", "insatser")
    rows = list(csv.reader(io.StringIO(actions.decode("utf-8-sig"))))
    second = rows[2]
    assert second[1] == '\'=HYPERLINK("http://example.com")'
    assert second[2].startswith("'-minus")
    _s, workbook = transfer.export_xlsx(session, world.staff, "rus")
    cell = load_workbook(io.BytesIO(workbook))["Insatser"]["B3"]
    assert cell.data_type == "s" and cell.quotePrefix
    assert cell.value == '=HYPERLINK("http://example.com")'


def test_english_status_values_and_spreadsheet_cells_are_read(session, world):
    data = xlsx_data(
        {
            "Insatser": [
                ACTION_HEADINGS,
                [
                    "A-9",
                    "Insats",
                    None,
                    None,
                    None,
                    date(2024, 5, 1),
                    None,
                    "Ongoing",
                    55.0,
                    "1.1",
                    8,
                    2480,
                ],
            ]
        }
    )
    result = transfer.import_actions(session, world.staff, "rus", Upload("fil.xlsx", data))
    assert result.created == 1 and result.milestones is None
    (action,) = state(session, world.strategy)
    assert action["starts_on"] == date(2024, 5, 1) and action["status"] == ActionStatus.ONGOING
    assert action["progress"] == 55 and action["sdgs"] == ["8"] and action["areas"] == ["2480"]


def test_an_update_changes_only_the_columns_the_file_has(session, world):
    import_csv(
        session,
        world.staff,
        csv_data(ACTION_HEADINGS, RICH_ACTIONS),
        csv_data(MILESTONE_HEADINGS, RICH_MILESTONES),
    )
    action = session.scalar(select(Action).where(Action.code == "A-1"))
    action.goal_links.append(ActionGoal(goal=world.uncoded, weight=2))
    session.commit()
    before = state(session, world.strategy)
    result = import_csv(
        session,
        world.staff,
        csv_data(["kod", "titel", "framsteg", "mål"], [["A-1", "Nytt namn", "60", "2.1"]]),
    )
    assert (result.created, result.updated, result.milestones) == (1 - 1, 1, None)
    after = state(session, world.strategy)
    assert after[0]["title"] == "Nytt namn" and after[0]["progress"] == 60
    # The goal links are as the file says; the link to the goal without a code is kept.
    assert after[0]["goals"] == [("Mål 2.1", 1), ("Mål utan kod", 2)]
    # Columns the file does not have, milestones and actions it does not name stay.
    for key in ("group", "status", "sdgs", "areas", "milestones", "description"):
        assert after[0][key] == before[0][key]
    assert after[1:] == before[1:]


def test_only_staff_import_and_export(session, world):
    data = csv_data(ACTION_HEADINGS, [action_row("A-1")])
    for person in (None, world.participant, world.member):
        before = counts(session)
        with pytest.raises(NotAllowed):
            import_csv(session, person, data)
        with pytest.raises(NotAllowed):
            transfer.export_xlsx(session, person, "rus")
        assert counts(session) == before
    assert import_csv(session, world.admin, data).created == 1


# --- Refusals: every problem listed, nothing written --------------------------------------


def test_every_bad_row_is_listed_with_its_column_and_nothing_is_written(session, world):
    rows = [
        action_row("A-1"),  # row 2, fine
        action_row("A-2", framsteg="140"),  # row 3
        action_row("A-3", framsteg="-5", status="pausad"),  # row 4
        action_row("A-4", start="2024-13-01", slut="2023-01-01"),  # row 5
        action_row("A-5", titel=""),  # row 6
        action_row("A-6", framsteg="50,5"),  # row 7
    ]
    problems = refused(
        session, lambda: import_csv(session, world.staff, csv_data(ACTION_HEADINGS, rows))
    )
    assert problems == [
        ("Insatser", 3, "framsteg", "percent", None),
        ("Insatser", 4, "status", "status", None),
        ("Insatser", 4, "framsteg", "percent", None),
        ("Insatser", 5, "start", "date", None),
        ("Insatser", 6, "titel", "required", None),
        ("Insatser", 7, "framsteg", "percent", None),
    ]


def test_the_end_before_the_start_is_refused(session, world):
    rows = [action_row("A-1", start="2025-01-01", slut="2024-01-01")]
    problems = refused(
        session, lambda: import_csv(session, world.staff, csv_data(ACTION_HEADINGS, rows))
    )
    assert problems == [("Insatser", 2, "slut", "ends_before_start", None)]


def test_a_file_over_the_size_limit_is_refused(app, session, world):
    app.config["FOLLOWUP_IMPORT_MAX_BYTES"] = 2000
    rows = [action_row(f"A-{n}", beskrivning="x" * 100) for n in range(30)]
    data = csv_data(ACTION_HEADINGS, rows)
    assert len(data) > 2000
    problems = refused(session, lambda: import_csv(session, world.staff, data))
    assert problems == [(None, None, None, "too_large", None)]
    stream = io.BytesIO(data)
    upload = transfer.read_upload("insatser.csv", stream)
    # The upload is never read whole: one byte past the limit tells it is too large.
    assert len(upload.data) == 2001


@pytest.mark.parametrize(
    ("filename", "data", "key"),
    [
        ("insatser.pdf", b"%PDF-1.4 not a table", "file_type"),
        ("insatser.xls", b"\xd0\xcf\x11\xe0 an old Excel file", "file_type"),
        ("insatser.xlsx", b"kod,titel\nA-1,Insats\n", "file_type"),
        ("insatser.csv", b"", "empty_file"),
    ],
)
def test_a_file_that_is_not_a_workbook_or_csv_is_refused(session, world, filename, data, key):
    problems = refused(
        session,
        lambda: transfer.import_actions(session, world.staff, "rus", Upload(filename, data)),
    )
    assert problems == [(None, None, None, key, None)]


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_that_is_not_a_workbook_is_refused(session, world):
    word = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    problems = refused(
        session,
        lambda: transfer.import_actions(session, world.staff, "rus", Upload("a.xlsx", word)),
    )
    assert problems == [("Insatser", None, None, "not_xlsx", None)]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(session, world):
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"\0" * 60_000_000})
    assert len(bomb) < 200_000
    problems = refused(
        session,
        lambda: transfer.import_actions(session, world.staff, "rus", Upload("a.xlsx", bomb)),
    )
    assert problems == [("Insatser", None, None, "bomb", None)]


def test_unknown_and_missing_columns_are_refused(session, world):
    headings = ["kod", "färg", "beskrivning", "Beskrivning"]
    data = csv_data(headings, [["A-1", "röd", "", ""]])
    problems = refused(session, lambda: import_csv(session, world.staff, data))
    assert problems == [
        ("Insatser", 1, "färg", "unknown_column", None),
        ("Insatser", 1, "beskrivning", "repeated_column", None),
        ("Insatser", 1, "titel", "missing_column", None),
    ]
    milestones = csv_data(["insats", "titel", "ansvarig"], [["A-1", "Start", "x"]])
    problems = refused(
        session,
        lambda: import_csv(
            session, world.staff, csv_data(ACTION_HEADINGS, [action_row()]), milestones
        ),
    )
    assert problems == [
        ("Milstolpar", 1, "ansvarig", "unknown_column", None),
        ("Milstolpar", 1, "datum", "missing_column", None),
    ]


def test_repeated_action_codes_in_the_file_are_refused(session, world):
    rows = [action_row("A-1"), action_row("A-2"), action_row("A-1"), action_row("A-1")]
    problems = refused(
        session, lambda: import_csv(session, world.staff, csv_data(ACTION_HEADINGS, rows))
    )
    assert problems == [
        ("Insatser", 4, "kod", "repeated_code", "2"),
        ("Insatser", 5, "kod", "repeated_code", "2"),
    ]


def test_unknown_goals_groups_global_goals_and_areas_are_refused(session, world):
    rows = [
        action_row("A-1", mål="1.1;9.9"),
        action_row("A-2", arbetsgrupp="finns-inte"),
        action_row("A-3", globala_mål="8;18"),
        action_row("A-4", områden="24;9999"),
        action_row("A-5", mål="1.2:0"),
    ]
    problems = refused(
        session, lambda: import_csv(session, world.staff, csv_data(ACTION_HEADINGS, rows))
    )
    assert problems == [
        ("Insatser", 2, "mål", "unknown_goal", "9.9"),
        ("Insatser", 3, "arbetsgrupp", "unknown_group", "finns-inte"),
        ("Insatser", 4, "globala_mål", "unknown_global_goal", "18"),
        ("Insatser", 5, "områden", "unknown_area", "9999"),
        ("Insatser", 6, "mål", "weight", "1.2:0"),
    ]


def test_a_group_of_another_consultation_is_unknown(session, world):
    other_round = factories.make_round(session, opens_at=None, closes_at=None)
    session.add(
        WorkingGroup(consultation_id=other_round.consultation_id, slug="energi", name="Energi")
    )
    session.commit()
    rows = [action_row("A-1", arbetsgrupp="energi")]
    problems = refused(
        session, lambda: import_csv(session, world.staff, csv_data(ACTION_HEADINGS, rows))
    )
    assert problems == [("Insatser", 2, "arbetsgrupp", "unknown_group", "energi")]


def test_milestones_of_actions_not_in_the_file_are_refused(session, world):
    actions = csv_data(ACTION_HEADINGS, [action_row("A-1")])
    milestones = csv_data(
        MILESTONE_HEADINGS,
        [
            ["A-1", "2024-01-01", "Start", "", ""],
            ["X-9", "2024-02-01", "Okänd", "", ""],
            ["A-1", "", "Utan datum", "", "igår"],
        ],
    )
    problems = refused(session, lambda: import_csv(session, world.staff, actions, milestones))
    assert problems == [
        ("Milstolpar", 3, "insats", "unknown_action", "X-9"),
        ("Milstolpar", 4, "datum", "required", None),
        ("Milstolpar", 4, "klar", "date", None),
    ]


def test_a_bad_milestone_sheet_in_a_workbook_leaves_the_actions_unwritten(session, world):
    data = xlsx_data(
        {
            "Insatser": [ACTION_HEADINGS, action_row("A-1"), action_row("A-2", framsteg="101")],
            "Milstolpar": [MILESTONE_HEADINGS, ["A-3", "2024-01-01", "Start", None, None]],
        }
    )
    problems = refused(
        session,
        lambda: transfer.import_actions(session, world.staff, "rus", Upload("a.xlsx", data)),
    )
    assert problems == [
        ("Insatser", 3, "framsteg", "percent", None),
        ("Milstolpar", 2, "insats", "unknown_action", "A-3"),
    ]


def test_a_semicolon_csv_from_excel_is_read(session, world):
    data = csv_data(ACTION_HEADINGS, [action_row("A-1", framsteg="25 %", områden="24")], ";")
    result = import_csv(session, world.staff, data)
    assert result.created == 1
    (action,) = state(session, world.strategy)
    assert action["progress"] == 25 and action["areas"] == ["24"]


def test_the_column_definitions_are_defined_once_with_help():
    assert ACTION_HEADINGS == [
        "kod", "titel", "beskrivning", "ansvarig", "arbetsgrupp", "start", "slut", "status",
        "framsteg", "mål", "globala_mål", "områden",
    ]  # fmt: skip
    assert MILESTONE_HEADINGS == ["insats", "datum", "titel", "beskrivning", "klar"]
    assert all(str(column.help) for column in ACTION_COLUMNS + MILESTONE_COLUMNS)


def test_a_broken_workbook_is_refused_as_unreadable(session, world):
    broken = _zip(
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook><sheets><oops"}
    )
    problems = refused(
        session,
        lambda: transfer.import_actions(session, world.staff, "rus", Upload("a.xlsx", broken)),
    )
    assert problems == [("Insatser", None, None, "not_xlsx", None)]


def test_rows_are_numbered_as_the_spreadsheet_shows_them(session, world):
    data = xlsx_data(
        {
            "Insatser": [
                [None],
                ["Insatser i RUS", None],  # a title above the headings is not a heading row
            ]
        }
    )
    problems = refused(
        session,
        lambda: transfer.import_actions(session, world.staff, "rus", Upload("a.xlsx", data)),
    )
    assert ("Insatser", 2, "insatser i rus", "unknown_column", None) in problems
    data = xlsx_data(
        {
            "Insatser": [
                [None, None],
                ACTION_HEADINGS,
                action_row("A-1"),
                [None],
                action_row("A-2", framsteg="200"),
                action_row("A-3") + ["ett värde utan rubrik"],
            ]
        }
    )
    problems = refused(
        session,
        lambda: transfer.import_actions(session, world.staff, "rus", Upload("a.xlsx", data)),
    )
    assert problems == [
        ("Insatser", 5, "framsteg", "percent", None),
        ("Insatser", 6, None, "no_heading", None),
    ]


def test_a_new_date_is_checked_against_the_saved_other_date(session, world):
    """A file with only a start (or only an end) column is checked against the action's
    saved end (or start): refused by row, not a database error."""
    import_csv(
        session,
        world.staff,
        csv_data(ACTION_HEADINGS, [action_row("A-1", start="2021-01-01", slut="2021-06-30")]),
    )
    late_start = csv_data(["kod", "titel", "start"], [["A-1", "Insats A-1", "2022-01-01"]])
    problems = refused(session, lambda: import_csv(session, world.staff, late_start))
    assert problems == [("Insatser", 2, "start", "ends_before_start", None)]
    early_end = csv_data(["kod", "titel", "slut"], [["A-1", "Insats A-1", "2020-12-31"]])
    problems = refused(session, lambda: import_csv(session, world.staff, early_end))
    assert problems == [("Insatser", 2, "slut", "ends_before_start", None)]
    fine = csv_data(["kod", "titel", "start"], [["A-1", "Insats A-1", "2021-03-01"]])
    assert import_csv(session, world.staff, fine).updated == 1
    [action] = state(session, world.strategy)
    assert (action["starts_on"], action["ends_on"]) == (date(2021, 3, 1), date(2021, 6, 30))


def test_a_database_refusal_is_a_refused_file_and_nothing_is_written(
    app, session, world, monkeypatch
):
    """Should a check miss a rule of the database, the import is refused with a general
    message and nothing is written (no error page)."""
    monkeypatch.setattr(transfer.fields, "period", lambda starts_on, ends_on: None)
    rows = [action_row("A-1"), action_row("A-2", start="2022-01-01", slut="2021-01-01")]
    problems = refused(
        session, lambda: import_csv(session, world.staff, csv_data(ACTION_HEADINGS, rows))
    )
    assert problems == [("Insatser", None, None, "not_saved", None)]
    with app.test_request_context():
        message = transfer.describe(transfer.Problem("not_saved", sheet="Insatser"))
    assert "Ingenting har importerats" in message


def test_a_framework_without_consultation_accepts_no_group(session, world):
    """As on the form: a strategy with no consultation has no working groups to name."""
    session.add(Strategy(slug="ramverk", title="Ramverk", starts_year=2020, ends_year=2030))
    session.commit()
    data = csv_data(ACTION_HEADINGS, [action_row("R-1", arbetsgrupp="trafik")])
    problems = refused(
        session,
        lambda: transfer.import_actions(
            session, world.staff, "ramverk", Upload("insatser.csv", data)
        ),
    )
    assert problems == [("Insatser", 2, "arbetsgrupp", "unknown_group", "trafik")]


def test_area_codes_without_leading_zeros_from_a_csv_are_padded(session, world):
    """Excel saves 0180 as 180 and 01 as 1 in a CSV file: read as the codes they were."""
    rows = [action_row("A-1", områden="180;1;2480"), action_row("A-2", områden="180")]
    import_csv(session, world.staff, csv_data(ACTION_HEADINGS, rows, ";"))
    assert [a["areas"] for a in state(session, world.strategy)] == [
        ["01", "0180", "2480"],
        ["0180"],
    ]
