"""Import and export of indicator values in the long format (indicator, area, year, value):
CSV with commas or semicolons and decimal commas, .xlsx, English and Kolada headings; every
refusal listed by row, nothing half-imported; a corrected re-import updates values."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from consult.errors import NotAllowed
from consult.followup import indicator_import, transfer
from consult.followup.transfer import Upload
from consult.models import AuditEntry, IndicatorValue

from . import test_followup_import_actions as actions_tests
from .test_followup_import_actions import counts, csv_data, refused, xlsx_data

world = actions_tests.world  # the same fixture

HEADINGS = ["indikator", "område", "år", "värde"]


def values(session) -> dict:
    session.expire_all()
    return {
        (v.indicator.code, v.area_code, v.year): v.value
        for v in session.scalars(select(IndicatorValue))
    }


def run(session, actor, data: bytes, filename="varden.csv"):
    return indicator_import.import_values(session, actor, "rus", Upload(filename, data))


def test_a_csv_of_values_is_imported(session, world):
    rows = [
        ["N00914", "24", "2022", "79.1"],
        ["N00914", "2480", "2022", "80.4"],
        ["N00914", "2480", "2023", "81"],
        ["U00001", "2482", "2023", "41.25"],
    ]
    result = run(session, world.staff, csv_data(HEADINGS, rows))
    assert (result.new, result.changed, result.unchanged) == (4, 0, 0)
    assert values(session) == {
        ("N00914", "24", 2022): 79.1,
        ("N00914", "2480", 2022): 80.4,
        ("N00914", "2480", 2023): 81.0,
        ("U00001", "2482", 2023): 41.25,
    }
    entry = session.scalar(
        select(AuditEntry).where(AuditEntry.action == "followup.import_indicator_values")
    )
    assert entry is not None and entry.actor_id == world.staff.id


def test_a_corrected_reimport_updates_and_counts_new_changed_unchanged(session, world):
    run(
        session,
        world.staff,
        csv_data(HEADINGS, [["N00914", "24", "2022", "79.1"], ["N00914", "2480", "2022", "80"]]),
    )
    result = run(
        session,
        world.staff,
        csv_data(
            HEADINGS,
            [
                ["N00914", "24", "2022", "79.1"],  # unchanged
                ["N00914", "2480", "2022", "80.6"],  # corrected
                ["N00914", "2482", "2022", "77"],  # new
            ],
        ),
    )
    assert (result.new, result.changed, result.unchanged) == (1, 1, 1)
    assert values(session) == {
        ("N00914", "24", 2022): 79.1,
        ("N00914", "2480", 2022): 80.6,
        ("N00914", "2482", 2022): 77.0,
    }
    assert session.scalar(select(IndicatorValue).where(IndicatorValue.area_code == "2480"))


def test_a_semicolon_csv_with_decimal_commas_is_read(session, world):
    data = csv_data(
        HEADINGS,
        [["N00914", "2480", "2022", "80,4"], ["U00001", "24", "2021", "1 234,5"]],
        delimiter=";",
    )
    assert b";" in data and b"80,4" in data
    result = run(session, world.staff, data)
    assert result.new == 2
    assert values(session) == {("N00914", "2480", 2022): 80.4, ("U00001", "24", 2021): 1234.5}


def test_english_and_kolada_headings_are_read(session, world):
    english = csv_data(["Indicator", "Area", "Year", "Value"], [["N00914", "24", "2020", "75"]])
    kolada = csv_data(
        ["kpi", "municipality_id", "period", "value"], [["N00914", "2480", "2020", "76.5"]]
    )
    assert run(session, world.staff, english).new == 1
    assert run(session, world.staff, kolada).new == 1
    assert values(session) == {("N00914", "24", 2020): 75.0, ("N00914", "2480", 2020): 76.5}


def test_an_xlsx_of_values_is_read_from_its_first_sheet(session, world):
    data = xlsx_data(
        {
            "Värden": [HEADINGS, ["N00914", 2480, 2022, 80.4], ["N00914", "24", 2023.0, 81]],
            "Annat": [["vad som helst"]],
        }
    )
    result = run(session, world.staff, data, "varden.xlsx")
    assert result.new == 2
    assert values(session) == {("N00914", "2480", 2022): 80.4, ("N00914", "24", 2023): 81.0}


def test_a_number_cell_keeps_the_area_codes_leading_zero():
    assert transfer.area_code(180) == "0180"
    assert transfer.area_code(1) == "01"
    assert transfer.area_code(24) == "24"
    assert transfer.area_code(2480) == "2480"
    assert transfer.area_code("0180") == "0180"


def test_a_text_code_without_its_leading_zero_is_padded():
    """A CSV saved by Excel has "180" for 0180 and "1" for 01."""
    assert transfer.area_code("180") == "0180"
    assert transfer.area_code(" 1 ") == "01"
    assert transfer.area_code("24") == "24"
    assert transfer.area_code("2480") == "2480"
    assert transfer.area_code("18O") == "18O"
    assert transfer.area_code("") == ""
    assert transfer.area_code(None) == ""


def test_a_csv_and_an_xlsx_with_unpadded_codes_import_the_same(session, world):
    rows = [["N00914", "180", "2022", "79.1"], ["N00914", "1", "2022", "78.0"]]
    run(session, world.staff, csv_data(HEADINGS, rows, ";"))
    expected = {("N00914", "0180", 2022): 79.1, ("N00914", "01", 2022): 78.0}
    assert values(session) == expected
    data = xlsx_data({"Blad1": [HEADINGS, ["N00914", 180, 2022, 79.1], ["N00914", 1, 2022, 78]]})
    assert run(session, world.staff, data, "varden.xlsx").unchanged == 2
    assert values(session) == expected


def test_a_value_that_is_no_plain_number_is_refused_by_row(session, world):
    """ "<5" (a suppressed small count) and a 400-digit number are refused with their rows."""
    rows = [
        ["N00914", "24", "2022", "<5"],
        ["N00914", "2480", "2022", "9" * 400],
        ["N00914", "2482", "2022", "~5"],
        ["N00914", "2403", "2022", "12,5"],
    ]
    problems = refused(session, lambda: run(session, world.staff, csv_data(HEADINGS, rows, ";")))
    assert [(row, column) for _sheet, row, column, _key, _value in problems] == [
        (2, "värde"),
        (3, "värde"),
        (4, "värde"),
    ]
    assert values(session) == {}


def test_every_bad_row_is_listed_and_nothing_is_written(session, world):
    run(session, world.staff, csv_data(HEADINGS, [["N00914", "24", "2022", "79.1"]]))
    rows = [
        ["N00914", "24", "2022", "99"],  # row 2: would update, but the file is refused
        ["X-okänd", "24", "2022", "1"],  # row 3
        ["N00914", "9999", "2022", "1"],  # row 4
        ["N00914", "2480", "2022", "många"],  # row 5
        ["N00914", "2480", "1850", "1"],  # row 6
        ["N00914", "2480", "2101", "1"],  # row 7
        ["N00914", "2480", "2022.5", "1"],  # row 8
        ["N00914", "2482", "2022", ""],  # row 9
        ["U00001", "24", "2022", "3"],  # row 10
        ["U00001", "24", "2022", "4"],  # row 11: the same indicator, area and year
    ]
    problems = refused(session, lambda: run(session, world.staff, csv_data(HEADINGS, rows)))
    assert problems == [
        (None, 3, "indikator", "unknown_indicator", "X-okänd"),
        (None, 4, "område", "unknown_area", "9999"),
        (None, 5, "värde", "number", None),
        (None, 6, "år", "year", None),
        (None, 7, "år", "year", None),
        (None, 8, "år", "year", None),
        (None, 9, "värde", "required", None),
        (None, 11, "indikator", "repeated_value", "10"),
    ]
    assert values(session) == {("N00914", "24", 2022): 79.1}


def test_unknown_and_missing_columns_are_refused(session, world):
    data = csv_data(["indikator", "område", "värde", "kön"], [["N00914", "24", "1", "T"]])
    problems = refused(session, lambda: run(session, world.staff, data))
    assert problems == [
        (None, 1, "kön", "unknown_column", None),
        (None, 1, "år", "missing_column", None),
    ]


def test_a_file_over_the_size_limit_is_refused(app, session, world):
    app.config["FOLLOWUP_IMPORT_MAX_BYTES"] = 1000
    rows = [["N00914", "2480", str(year), "80.4"] for year in range(1900, 2000)]
    data = csv_data(HEADINGS, rows)
    assert len(data) > 1000
    problems = refused(session, lambda: run(session, world.staff, data))
    assert problems == [(None, None, None, "too_large", None)]


@pytest.mark.parametrize(
    ("filename", "data", "key"),
    [
        ("varden.json", b'{"indikator": "N00914"}', "file_type"),
        ("varden.csv", b"   \n", "empty_file"),
    ],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused(session, world, filename, data, key):
    problems = refused(session, lambda: run(session, world.staff, data, filename))
    assert problems == [(None, None, None, key, None)]


def test_only_staff_import_and_export_values(session, world):
    data = csv_data(HEADINGS, [["N00914", "24", "2022", "79.1"]])
    for person in (None, world.participant, world.member):
        before = counts(session)
        with pytest.raises(NotAllowed):
            run(session, person, data)
        with pytest.raises(NotAllowed):
            indicator_import.export_values(session, person, "rus")
        assert counts(session) == before


def test_the_export_has_the_import_columns_and_reimports_unchanged(session, world):
    rows = [
        ["U00001", "2482", "2023", "41.25"],
        ["N00914", "2480", "2022", "80.4"],
        ["N00914", "24", "2022", "79"],
        ["N00914", "2482", "2022", "-3,5"],
    ]
    run(session, world.staff, csv_data(HEADINGS, rows))
    _strategy, body = indicator_import.export_values(session, world.staff, "rus")
    assert body.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines == [
        HEADINGS,
        ["N00914", "24", "2022", "79"],
        ["N00914", "2480", "2022", "80.4"],
        # A negative number is a number, not quoted as if it were a formula.
        ["N00914", "2482", "2022", "-3.5"],
        ["U00001", "2482", "2023", "41.25"],
    ]
    result = run(session, world.staff, body)
    assert (result.new, result.changed, result.unchanged) == (0, 0, 4)


def test_a_windows_1252_csv_from_a_swedish_excel_is_read(session, world):
    data = "indikator;område;år;värde\r\nN00914;2480;2022;80,4\r\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert run(session, world.staff, data).new == 1
    assert values(session) == {("N00914", "2480", 2022): 80.4}
