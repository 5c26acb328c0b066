"""Exports of a round's comments (CSV, .xlsx) and themes (JSON), and the synthesis report."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime

import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from consult import clock, errors
from consult.models import CommentStatus, Role
from consult.synthesis import exports, services

from . import factories

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA = '=HYPERLINK("http://evil.example","klicka")'


def base(seeded) -> str:
    return f"/sammanstallning/omgang/{seeded.round.id}/"


@pytest.fixture
def formula_comment(session, analysed):
    comment = analysed.comments[0]
    comment.body = FORMULA
    comment.author_organisation_name = "@Kommunen"
    session.commit()
    return comment


def test_neutralise_quotes_what_a_spreadsheet_would_run():
    assert [exports.neutralise(v) for v in ["=1+1", "+46", "-2", "@x", "\tA", "\rB"]] == [
        "'=1+1",
        "'+46",
        "'-2",
        "'@x",
        "'\tA",
        "'\rB",
    ]
    assert exports.neutralise("Bra förslag") == "Bra förslag"
    assert exports.neutralise(-2) == -2


@pytest.mark.parametrize(
    "suffix", ["synpunkter.csv", "synpunkter.xlsx", "teman.json", "rapport", "rapport.docx"]
)
def test_downloads_refuse_anonymous_and_participants(client, auth, analysed, suffix):
    response = client.get(base(analysed) + suffix)
    assert response.status_code == 302 and "logga-in" in response.location
    auth.login()
    assert client.get(base(analysed) + suffix).status_code == 403


def test_the_service_refuses_a_participant(session, analysed):
    with pytest.raises(errors.NotAllowed):
        exports.xlsx_chunks(session, factories.make_user(session), analysed.round.id)
    with pytest.raises(errors.NotAllowed):
        exports.csv_lines(session, None, analysed.round.id)


def test_csv_holds_every_comment_with_its_themes_and_neutralised_cells(
    client,
    auth,
    session,
    analysed,
    formula_comment,
):
    auth.login(role=Role.STAFF)
    # Read before the request: the stream closes the session these objects belong to.
    formula_id, hidden_id, reply_id = formula_comment.id, analysed.hidden.id, analysed.reply.id
    first_id, campaign_id = analysed.comments[0].id, analysed.campaign[0].id
    response = client.get(base(analysed) + "synpunkter.csv")

    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    # Every comment of the round: published, the reply and the hidden one.
    assert len(body) == len(analysed.comments) + 2
    by_id = {int(r[0]): dict(zip(header, r, strict=True)) for r in body}
    row = by_id[formula_id]
    assert row[header[9]] == "'" + FORMULA
    assert row[header[8]] == "'@Kommunen"
    assert row[header[11]]  # the engine's theme
    assert by_id[hidden_id][header[14]] in {
        "Dold av en moderator",
        "Hidden by a moderator",
    }
    assert by_id[reply_id][header[2]] == str(first_id)
    campaign = by_id[campaign_id]
    assert str(len(analysed.campaign)) in campaign[header[13]]


def test_withdrawn_comments_are_left_out_of_the_exports(client, auth, session, analysed):
    withdrawn = analysed.comments[1]
    withdrawn.status = CommentStatus.WITHDRAWN
    session.commit()
    auth.login(role=Role.STAFF)

    text = client.get(base(analysed) + "synpunkter.csv").get_data(as_text=True)
    ids = [int(r[0]) for r in list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]]
    assert withdrawn.id not in ids
    assert len(ids) == len(analysed.comments) + 1  # the rest, the reply and the hidden one
    assert withdrawn.body not in text

    response = client.get(base(analysed) + "synpunkter.xlsx")
    data = response.data
    response.close()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    for sheet in workbook.worksheets:
        assert withdrawn.id not in [row[0] for row in sheet.iter_rows(values_only=True)]


def test_the_csv_stream_survives_the_request_closing_its_session(app, session, analysed):
    with app.test_request_context():
        lines = exports.csv_lines(session, analysed.staff, analysed.round.id)
        session.close()  # what the request's teardown does before a streamed body is read
        rows = list(csv.reader(io.StringIO("".join(lines).lstrip("\ufeff"))))

    assert len(rows) == 1 + len(analysed.comments) + 2


def test_xlsx_has_all_comments_and_a_sheet_per_section(
    client, auth, session, analysed, formula_comment, monkeypatch
):
    # Batches of two: the rows are still being read after the route returned its response.
    monkeypatch.setattr(exports, "BATCH", 2)
    # Read before the request: the request's session is closed before the body is read.
    traffic = analysed.comments[0].paragraph.section
    while traffic.parent is not None:
        traffic = traffic.parent
    traffic_number, first_id, formula_id = (
        traffic.number,
        analysed.comments[0].id,
        formula_comment.id,
    )
    count, url = len(analysed.comments) + 2, base(analysed) + "synpunkter.xlsx"
    filename = f"{analysed.round.consultation.slug}-omgang-1-synpunkter.xlsx"
    auth.login(role=Role.ADMIN)
    response = client.get(url)
    # As the request's teardown does when the route returned (the test shares its session).
    session.close()

    assert response.status_code == 200
    assert response.is_streamed and "Content-Length" not in response.headers
    assert response.headers["Content-Type"] == XLSX
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    data = response.data
    response.close()
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    everything = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(everything) == 1 + count
    assert [row[0] for row in everything[1:]] == sorted(row[0] for row in everything[1:])
    sections = workbook.worksheets[1:]
    assert sections  # the traffic and school comments sit in chapters of the draft
    per_section = [list(ws.iter_rows(values_only=True)) for ws in sections]
    assert sum(len(rows) - 1 for rows in per_section) == len(everything) - 1
    assert all(rows[0] == everything[0] for rows in per_section)
    sheet = next(ws for ws in sections if ws.title.startswith(traffic_number))
    assert first_id in [row[0] for row in sheet.iter_rows(values_only=True)]
    # Formula-like text is a text cell shown exactly as written (no apostrophe), never run.
    editable = load_workbook(io.BytesIO(data))
    for ws in [editable.worksheets[0], editable[sheet.title]]:
        row = next(r for r in ws.iter_rows() if r[0].value == formula_id)
        for cell, text in [(row[9], FORMULA), (row[8], "@Kommunen")]:
            assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert all(c.data_type != "f" for ws in editable for r in ws.iter_rows() for c in r)


def test_the_xlsx_text_is_written_inline_without_a_shared_strings_table(client, auth, analysed):
    auth.login(role=Role.STAFF)
    response = client.get(base(analysed) + "synpunkter.xlsx")
    data = response.data
    response.close()

    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert "xl/sharedStrings.xml" not in names
    assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml"} <= set(names)
    assert b't="inlineStr"' in archive.read("xl/worksheets/sheet1.xml")
    # Written without seeking back: each member's sizes follow its data.
    assert all(info.flag_bits & 0x08 for info in archive.infolist())


class _ExportQueries:
    """Listens to the engine and tells which comment export queries ran, in order: False for
    the one by id, True for the one by chapter (the only one with a CASE)."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []
        event.listen(engine, "before_cursor_execute", self._note)

    def _note(self, _conn, _cursor, statement, *_args):
        if "group_concat" in statement or "string_agg" in statement:  # the theme columns
            self.seen.append("CASE" in statement)

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._note)


def test_the_workbook_streams_its_first_bytes_before_it_reads_the_chapters(
    app, session, analysed, monkeypatch, connections
):
    monkeypatch.setattr(exports, "BATCH", 2)  # several batches even on the small round
    queries = _ExportQueries(session.get_bind())
    try:
        with app.test_request_context():
            chunks = exports.xlsx_chunks(session, analysed.staff, analysed.round.id)
            first = next(chunks)
            # The first bytes are out after the first comment of the first sheet was read:
            # the chapters' sheets have not been asked for yet.
            assert first.startswith(b"PK\x03\x04")
            assert queries.seen == [False]
            data = first + b"".join(chunks)
    finally:
        queries.close()

    assert queries.seen == [False, True]
    assert connections.out == 0  # the stream gave its connection back when it ended
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + len(analysed.comments) + 2


class _Connections:
    """Counts the engine's connections taken from its pool and not yet given back."""

    def __init__(self, engine):
        self.engine, self.out = engine, 0
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)

    def _checkout(self, *_args):
        self.out += 1

    def _checkin(self, *_args):
        self.out -= 1

    def close(self):
        event.remove(self.engine, "checkout", self._checkout)
        event.remove(self.engine, "checkin", self._checkin)


@pytest.fixture
def connections(session):
    """Counts from here on: the test's (and the request's) session holds its connection already."""
    session.connection()
    counter = _Connections(session.get_bind())
    yield counter
    counter.close()


def test_a_client_that_goes_away_releases_the_database(app, session, analysed, connections):
    with app.test_request_context():
        chunks = exports.xlsx_chunks(session, analysed.staff, analysed.round.id)
        next(chunks)
        assert connections.out == 1  # the export reads on a connection of its own
        chunks.close()  # what the server does when the client disconnects

    assert connections.out == 0


def test_a_failure_mid_stream_cuts_the_download_and_releases_the_database(
    app, session, analysed, monkeypatch, connections
):
    real_rows = exports._rows

    def failing(*args):
        rows = real_rows(*args)
        try:
            yield next(rows)
            raise RuntimeError("the database went away")
        finally:
            rows.close()

    monkeypatch.setattr(exports, "_rows", failing)
    received = []
    with app.test_request_context():
        chunks = exports.xlsx_chunks(session, analysed.staff, analysed.round.id)
        with pytest.raises(RuntimeError, match="went away"):
            for chunk in chunks:
                received.append(chunk)

    assert received  # the download had started: the server can only cut it
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(b"".join(received)))
    assert connections.out == 0


def test_a_failure_before_the_first_comment_is_an_error_not_a_download(
    app, session, analysed, monkeypatch, connections
):
    def failing(*_args):
        raise RuntimeError("the database went away")
        yield

    monkeypatch.setattr(exports, "_rows", failing)
    with app.test_request_context(), pytest.raises(RuntimeError, match="went away"):
        exports.xlsx_chunks(session, analysed.staff, analysed.round.id)

    assert connections.out == 0


def test_themes_json_has_names_counts_and_responses(client, auth, session, analysed):
    row = services.overview(session, analysed.staff, analysed.round.id).themes[0]
    where = services.target(session, analysed.staff, analysed.round.id, theme_id=row.theme.id)
    services.save(
        session,
        analysed.staff,
        where,
        summary="Sammanfattat.",
        response="noted",
        motivation="Noterat.",
        status="reviewed",
        version=0,
        now=clock.now(),
    )
    auth.login(role=Role.STAFF)

    data = json.loads(client.get(base(analysed) + "teman.json").data)

    first = data["themes"][0]
    assert first["name"] == row.theme.name
    assert first["comments"] == row.comments
    assert first["summary"] == "Sammanfattat."
    assert first["response"] == "noted"
    assert first["status"] == "reviewed"


def test_the_docx_report_has_figures_themes_and_a_quotation(client, auth, session, analysed):
    overview = services.overview(session, analysed.staff, analysed.round.id)
    theme = overview.themes[0].theme
    where = services.target(session, analysed.staff, analysed.round.id, theme_id=theme.id)
    services.save(
        session,
        analysed.staff,
        where,
        summary="Järnvägen är viktig för många.",
        response="accepted",
        motivation="Strategin prioriterar banan.",
        status="reviewed",
        version=0,
        now=clock.now(),
    )
    auth.login(role=Role.STAFF)

    response = client.get(base(analysed) + "rapport.docx")

    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert theme.name in headings
    texts = [p.text for p in document.paragraphs]
    assert "Järnvägen är viktig för många." in texts
    assert "Strategin prioriterar banan." in texts
    published = [c for c in analysed.comments if c.status == CommentStatus.PUBLISHED]
    figures = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert str(len(published)) in figures.values()
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    bodies = {c.body for c in analysed.comments}
    assert any(q.split("”")[1] in bodies for q in quotes if q.startswith("”"))


def test_the_printable_report_shows_the_figures_and_the_chart(client, auth, analysed):
    auth.login(role=Role.STAFF)
    page = client.get(base(analysed) + "rapport").get_data(as_text=True)
    assert '<svg class="share-chart"' in page
    assert f"<dd>{len(analysed.comments)}</dd>" in page


def _xlsx(client, seeded):
    response = client.get(base(seeded) + "synpunkter.xlsx")
    data = response.data
    response.close()
    return load_workbook(io.BytesIO(data))


def test_the_xlsx_keeps_dates_and_empty_cells_under_a_bold_frozen_heading(
    client, auth, session, analysed
):
    comment = analysed.comments[0]
    comment.body = "före\x07\x1befter\ttabb"  # characters XML cannot hold
    session.commit()
    comment_id = comment.id
    auth.login(role=Role.STAFF)

    sheet = _xlsx(client, analysed).worksheets[0]

    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == comment_id)
    assert row[1].is_date
    assert row[2].value is None  # a top-level comment has no parent: the cell stays empty
    assert row[9].value == "föreefter\ttabb"


def test_the_xlsx_sheets_follow_the_draft_after_the_draft_as_a_whole(
    client, auth, session, analysed
):
    from consult.models import Section

    auth.login(role=Role.STAFF)
    response = client.get(base(analysed) + "synpunkter.xlsx")
    data = response.data
    response.close()

    names = load_workbook(io.BytesIO(data), read_only=True).sheetnames[1:]
    chapters = session.scalars(
        select(Section)
        .where(Section.document_id == analysed.round.document.id, Section.parent_id.is_(None))
        .order_by(Section.position)
    ).all()
    # The fixture has comments on the whole draft and on two chapters.
    assert names[0] in {"Utkastet som helhet", "The draft as a whole"}
    assert names[1:] == [f"{c.number} {c.heading}" for c in chapters]


def test_the_exports_give_the_time_written_in_swedish_time(client, auth, session, analysed):
    comment = analysed.comments[0]
    comment.created_at = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)  # 12.30 in Stockholm (CEST)
    session.commit()
    comment_id = comment.id
    auth.login(role=Role.STAFF)

    text = client.get(base(analysed) + "synpunkter.csv").get_data(as_text=True)
    row = next(r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r[0] == str(comment_id))
    assert row[1] == "2026-07-01 12:30:00"
    response = client.get(base(analysed) + "synpunkter.xlsx")
    data = response.data
    response.close()
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == comment_id)
    assert row[1] == datetime(2026, 7, 1, 12, 30)


def _csv_text(client, analysed, query=""):
    response = client.get(base(analysed) + "synpunkter.csv" + query)
    assert response.status_code == 200
    return response, response.get_data(as_text=True)


def test_the_standard_csv_is_comma_separated_utf8_with_a_byte_order_mark(client, auth, analysed):
    auth.login(role=Role.STAFF)
    response, text = _csv_text(client, analysed)
    assert text.startswith("\ufeff")
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(header) > 10 and header[0] == "Synpunkt"
    assert ";" not in text.splitlines()[0]
    assert response.headers["Content-Disposition"].endswith('-synpunkter.csv"')


def test_the_csv_for_excel_is_semicolon_separated_with_the_same_rows(client, auth, analysed):
    auth.login(role=Role.STAFF)
    _response, standard = _csv_text(client, analysed)
    response, excel = _csv_text(client, analysed, "?excel=1")
    # Swedish Excel splits columns on semicolons, and reads UTF-8 when the file says so.
    assert excel.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(excel.lstrip("\ufeff")), delimiter=";"))
    assert rows == list(csv.reader(io.StringIO(standard.lstrip("\ufeff"))))
    assert len(rows[0]) > 10
    assert response.headers["Content-Disposition"].endswith('-synpunkter-excel.csv"')


def test_the_export_list_says_which_csv_is_which(client, auth, analysed):
    auth.login(role=Role.STAFF)
    page = client.get(base(analysed)).get_data(as_text=True)
    assert "CSV för Excel" in page and "semikolonseparerad" in page
    assert "standard-CSV" in page and "kommaseparerad" in page
    assert "synpunkter.csv?excel=1" in page
