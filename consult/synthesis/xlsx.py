"""A small streaming writer of .xlsx workbooks: rows go straight to disk as SpreadsheetML.

openpyxl's write-only mode builds an element per cell and needed about a minute for
100,000 comments on two busy cores (issue 5 asks for under 30 s); this writer formats each
row as text, several times faster, and holds no rows in memory either: each sheet is
written to its own temporary file, and the files are zipped into the workbook at the end.
openpyxl reads the result (the tests do).

Cells: whole numbers are numbers, datetimes (naive) are dates with a date format, text is an
inline string. Text that a spreadsheet would read as a formula gets the quote prefix, so it
shows exactly as written and is never run. Characters XML cannot hold are left out. Cells
carry no references (their place in the row gives the column), so a row is formatted once
for all the sheets it goes to.
"""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
EPOCH = datetime(1899, 12, 30)
# Style indexes in STYLES' cellXfs.
DATE, QUOTED, HEADING = 1, 2, 3
STYLES = (
    f'{XML_HEAD}<styleSheet xmlns="{MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
SHEET_START = (
    f'{XML_HEAD}<worksheet xmlns="{MAIN}"><sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews><sheetData>"
)
SHEET_END = "</sheetData></worksheet>"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ENTITIES = {"\r": "&#13;"}


def cells_xml(values: list, looks_like_formula, *, heading: bool = False) -> str:
    """Return the cells of one row as XML, without references: a cell's place in the row
    gives its column (an empty cell is written as ``<c/>``), so the same text serves every
    sheet the row goes to."""
    cells = []
    for value in values:
        if value is None or value == "":
            cells.append("<c/>")
        elif isinstance(value, bool):
            cells.append(f'<c t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            cells.append(f"<c><v>{value!r}</v></c>")
        elif isinstance(value, datetime):
            serial = (value.replace(tzinfo=None) - EPOCH).total_seconds() / 86400
            cells.append(f'<c s="{DATE}"><v>{serial!r}</v></c>')
        else:
            text = NOT_XML.sub("", str(value))
            style = HEADING if heading else QUOTED if looks_like_formula(text) else 0
            styled = f' s="{style}"' if style else ""
            cells.append(
                f'<c t="inlineStr"{styled}>'
                f'<is><t xml:space="preserve">{escape(text, ENTITIES)}</t></is></c>'
            )
    return "".join(cells)


class Sheet:
    """One worksheet, written row by row to a temporary file."""

    def __init__(self, title: str, looks_like_formula):
        self.title = title
        self.rows = 0
        self._formula = looks_like_formula
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        self._file.write(SHEET_START)

    def append(self, values: list, *, heading: bool = False) -> None:
        """Write one row; None and empty text leave the cell empty."""
        self.append_xml(cells_xml(values, self._formula, heading=heading))

    def append_xml(self, cells: str) -> None:
        """Write one row from ``cells_xml``."""
        self.rows += 1
        self._file.write(f'<row r="{self.rows}">{cells}</row>')

    def size(self) -> int:
        """Return the bytes written so far (UTF-8), before the closing tags."""
        self._file.flush()
        return os.fstat(self._file.fileno()).st_size + len(SHEET_END)

    def copy_to(self, target) -> None:
        """Finish the sheet's XML and copy it into ``target`` (a binary file)."""
        self._file.write(SHEET_END)
        self._file.flush()
        self._file.seek(0)
        with self._file:
            while chunk := self._file.read(1 << 20):
                target.write(chunk.encode("utf-8"))


class Workbook:
    """Sheets written as rows arrive; ``save`` zips them into a workbook."""

    def __init__(self, looks_like_formula):
        self.sheets: list[Sheet] = []
        self._formula = looks_like_formula

    def row_xml(self, values: list) -> str:
        """Return a row's cells as XML, to append to one or more sheets."""
        return cells_xml(values, self._formula)

    def create_sheet(self, title: str) -> Sheet:
        """Add a sheet named ``title`` (at most 31 characters, unique, no []:*?/\\)."""
        sheet = Sheet(title, self._formula)
        self.sheets.append(sheet)
        return sheet

    def save(self, path: str) -> None:
        """Write the workbook to ``path``; the sheets' temporary files are removed."""
        count = len(self.sheets)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
            package.writestr("[Content_Types].xml", _content_types(count))
            package.writestr(
                "_rels/.rels",
                f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
                f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            )
            package.writestr("xl/workbook.xml", _workbook(self.sheets))
            package.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(count))
            package.writestr("xl/styles.xml", STYLES)
            for n, sheet in enumerate(self.sheets, start=1):
                # ZIP64 only when a sheet needs it: some spreadsheet programs warn about it.
                large = sheet.size() >= zipfile.ZIP64_LIMIT
                with package.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=large) as out:
                    sheet.copy_to(out)

    def discard(self) -> None:
        """Remove the sheets' temporary files without saving (after an error)."""
        for sheet in self.sheets:
            sheet._file.close()


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        f"{sheets}</Types>"
    )


def _workbook(sheets: list[Sheet]) -> str:
    entries = "".join(
        f'<sheet name={quoteattr(sheet.title)} sheetId="{n}" r:id="rId{n}"/>'
        for n, sheet in enumerate(sheets, start=1)
    )
    return (
        f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><sheets>{entries}</sheets></workbook>'
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{RELS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    return (
        f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}">{sheets}'
        f'<Relationship Id="rId{count + 1}" Type="{RELS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
