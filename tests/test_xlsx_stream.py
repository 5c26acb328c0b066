"""The streamed workbook writer: what openpyxl reads back, the archive's members, the order."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from consult import xlsx_stream
from consult.xlsx_stream import Sheet


def _workbook(sheets, **kwargs):
    data = b"".join(xlsx_stream.stream(sheets, **kwargs))
    return data, load_workbook(io.BytesIO(data))


def test_cells_read_back_as_written():
    row = [
        7,
        2.5,
        True,
        datetime(2026, 7, 1, 12, 30, 15),
        date(2026, 3, 1),
        None,
        "",
        "a & b < c > d \"e\" 'f'",
        "  leading and trailing  ",
        "rad ett\nrad två\r\nrad tre\ttabb",
        "å ä ö 😀",
    ]
    _data, workbook = _workbook([Sheet("Blad", [f"k{i}" for i in range(len(row))], [row])])

    sheet = workbook["Blad"]
    cells = next(sheet.iter_rows(min_row=2))
    assert [c.value for c in cells] == [
        7,
        2.5,
        True,
        datetime(2026, 7, 1, 12, 30, 15),
        datetime(2026, 3, 1),
        None,
        None,
        "a & b < c > d \"e\" 'f'",
        "  leading and trailing  ",
        "rad ett\nrad två\r\nrad tre\ttabb",
        "å ä ö 😀",
    ]
    assert cells[3].is_date and cells[3].number_format == "yyyy-mm-dd h:mm:ss"


def test_the_heading_is_bold_and_frozen_and_only_the_first_sheet_is_selected():
    _data, workbook = _workbook([Sheet("Ett", ["A", "B"], [[1, 2]]), Sheet("Två", ["A"], [])])

    assert workbook["Två"].max_row == 1  # a sheet without rows keeps its heading
    for sheet in workbook.worksheets:
        assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    assert not workbook["Ett"]["A2"].font.b
    assert workbook.sheetnames == ["Ett", "Två"]
    assert [ws.sheet_view.tabSelected for ws in workbook.worksheets] == [True, None]


def test_text_xml_cannot_hold_is_left_out_and_long_text_is_cut_at_excels_limit():
    _data, workbook = _workbook(
        [Sheet("B", ["t"], [["fö\x00re\x07\x1b\ufffeefter"], ["x" * 40_000]])]
    )

    sheet = workbook["B"]
    assert sheet["A2"].value == "föreefter"
    assert len(sheet["A3"].value) == 32_767


def test_text_the_caller_marks_gets_the_quote_prefix_and_is_never_a_formula():
    rows = [["=SUM(A1:A2)", "@user", "plain"]]
    _data, workbook = _workbook(
        [Sheet("B", ["=heading", "b", "c"], rows)], quoted=lambda text: text[:1] in "=@"
    )

    heading, row = list(workbook["B"].iter_rows())
    assert [(c.value, c.data_type, c.quotePrefix) for c in row] == [
        ("=SUM(A1:A2)", "s", True),
        ("@user", "s", True),
        ("plain", "s", False),
    ]
    assert (heading[0].value, heading[0].data_type, heading[0].font.b) == ("=heading", "s", True)


def test_the_archive_has_inline_strings_and_sizes_after_each_members_data():
    data, _workbook_ = _workbook([Sheet("A & B", ["x"], [["y"]]), Sheet("C", ["x"], [[1]])])

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == [
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
        "xl/styles.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "_rels/.rels",
        "[Content_Types].xml",
    ]
    assert all(info.flag_bits & 0x08 for info in archive.infolist())  # data descriptors
    assert b't="inlineStr"' in archive.read("xl/worksheets/sheet1.xml")
    types = archive.read("[Content_Types].xml").decode()
    assert types.count("worksheet+xml") == 2
    assert load_workbook(io.BytesIO(data)).sheetnames == ["A & B", "C"]


def test_the_first_bytes_come_before_the_rows_are_all_read(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "CHUNK", 1024)
    read = []

    def rows():
        for n in range(5000):
            read.append(n)
            yield [n, f"rad {n} med lite text som fyller på"]

    later = []

    def sheets():
        yield Sheet("Först", ["n", "text"], rows())
        later.append("asked")
        yield Sheet("Sen", ["n"], [[1]])

    chunks = xlsx_stream.stream(sheets())
    first = next(chunks)
    assert first.startswith(b"PK\x03\x04") and len(read) == 1 and later == []
    received = [first]
    for chunk in chunks:
        received.append(chunk)
        if len(read) < 5000:
            assert later == []
    assert len(received) > 3  # handed on as it grew, not in one piece at the end
    sheet = load_workbook(io.BytesIO(b"".join(received)), read_only=True)["Först"]
    assert sum(1 for _row in sheet.iter_rows()) == 5001


def test_a_stream_closed_midway_reads_no_more_rows():
    read = []

    def rows():
        for n in range(100_000):
            read.append(n)
            yield [n]

    chunks = xlsx_stream.stream([Sheet("A", ["n"], rows())])
    next(chunks)
    chunks.close()
    assert len(read) == 1


@pytest.mark.parametrize(
    "value, error",
    [
        (datetime(2026, 1, 1, tzinfo=UTC), TypeError),
        (object(), TypeError),
        (float("nan"), ValueError),
    ],
)
def test_values_a_cell_cannot_hold_are_refused(value, error):
    with pytest.raises(error):
        b"".join(xlsx_stream.stream([Sheet("A", ["x"], [[value]])]))
