"""A workbook (.xlsx) written as a stream of bytes: the first bytes leave as soon as the first
row is read, and memory stays flat however many rows follow.

Each sheet's rows come from an iterator and are written as they come, their text as inline
strings (no shared-strings table, which would hold every string until the end). Sheets are
written one after the other. The zip archive goes to a stream that cannot seek, which Python's
zipfile handles by itself: each member's sizes and checksum follow its data (a data
descriptor), as Java's and Go's zip writers do. The parts that list the sheets (the workbook,
its relationships, the content types) come last, once every sheet's name is known; a zip reader
finds the members from the central directory at the end, so their order does not matter.

Cells: an int or float is a number; a naive datetime a number shown with a date and time; a
str an inline string without the characters XML 1.0 cannot hold and cut at Excel's 32,767
characters (as openpyxl does); None and "" an empty cell. A sheet's first row is its heading:
bold, and frozen so it stays in view.

Limit: one sheet's XML must stay under 4 GiB (zipfile's size without Zip64); past that the
stream fails at the end of that sheet and the download is cut.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from xml.sax.saxutils import quoteattr

# What XML 1.0 cannot hold (C0 controls but tab, line feed and carriage return; U+FFFE, U+FFFF).
ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_TEXT = 32_767
EPOCH = datetime(1899, 12, 30)  # Excel's day 0 in its 1900 date system (after 1 March 1900)
SECONDS_PER_DAY = 86_400
ROWS_BUFFER = 256 * 1024  # characters of row XML gathered before they are compressed
CHUNK = 64 * 1024  # bytes of the archive gathered before they are handed on
# Deflate's fastest level: a third of level 6's compression time, a file a fifth larger (about
# the size openpyxl wrote); the server's CPU is scarcer than the download's bytes.
COMPRESS_LEVEL = 1

# Cell styles (styles.xml's cellXfs): plain, heading, date and time, text with a quote prefix.
HEADING, DATETIME, QUOTED = 1, 2, 3

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
TYPE_PREFIX = "application/vnd.openxmlformats-officedocument.spreadsheetml"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

STYLES = (
    XML_DECLARATION + f'<styleSheet xmlns="{NS_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/></numFmts>'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

ROOT_RELS = (
    XML_DECLARATION + f'<Relationships xmlns="{NS_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


@dataclass
class Sheet:
    """One sheet to write: its name (at most 31 characters, unique in the workbook, none of
    ``[]:*?/\\``), its heading row and an iterator of its rows."""

    title: str
    heading: Sequence[str]
    rows: Iterable[Sequence]


class _Sink:
    """A write-only stream that cannot seek: it keeps what was written until it is taken."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the data waits for ``take``."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


def stream(
    sheets: Iterable[Sheet], *, quoted: Callable[[str], bool] = lambda text: False
) -> Iterator[bytes]:
    """Yield the workbook's bytes, sheet by sheet, reading each sheet's rows as it goes.

    Text for which ``quoted`` is true gets Excel's quote prefix: shown as written, never run
    as a formula, also after someone edits the cell. The first bytes are yielded once the
    first sheet's first row is written; then about every 64 KB.
    """
    sink = _Sink()
    titles: list[str] = []
    with zipfile.ZipFile(
        sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
    ) as archive:
        for number, sheet in enumerate(sheets, 1):
            titles.append(sheet.title)
            with archive.open(f"xl/worksheets/sheet{number}.xml", "w") as member:
                yield from _write_sheet(member, sink, sheet, quoted, first_sheet=number == 1)
            if sink.size >= CHUNK:
                yield sink.take()
        if not titles:
            raise ValueError("a workbook needs at least one sheet")
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/workbook.xml", _workbook(titles))
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(titles)))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("[Content_Types].xml", _content_types(len(titles)))
    yield sink.take()


def _write_sheet(
    member, sink: _Sink, sheet: Sheet, quoted, *, first_sheet: bool
) -> Iterator[bytes]:
    """Write one worksheet's XML into ``member``, yielding the archive's bytes as they grow
    (on the first sheet, also right after its first row)."""
    view = ' tabSelected="1"' if first_sheet else ""
    pending = [
        XML_DECLARATION,
        f'<worksheet xmlns="{NS_MAIN}"><sheetViews><sheetView{view} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews><sheetData>",
        _row(1, sheet.heading, quoted, HEADING),
    ]
    size, first = 0, first_sheet
    for number, values in enumerate(sheet.rows, 2):
        text = _row(number, values, quoted)
        pending.append(text)
        size += len(text)
        if first or size >= ROWS_BUFFER:
            member.write("".join(pending).encode())
            pending.clear()
            size = 0
            if first or sink.size >= CHUNK:
                first = False
                yield sink.take()
    pending.append("</sheetData></worksheet>")
    member.write("".join(pending).encode())


def _column(index: int) -> str:
    """The column letters of the 0-based ``index``: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


COLUMNS = [_column(i) for i in range(702)]  # A … ZZ


def _row(number: int, values: Sequence, quoted, style: int = 0) -> str:
    """One ``<row>`` of cells (empty ones left out)."""
    parts = [f'<row r="{number}">']
    styled = f' s="{style}"' if style else ""
    for index, value in enumerate(values):
        if value is None or value == "":
            continue
        ref = f"{COLUMNS[index]}{number}"
        if isinstance(value, str):
            text = ILLEGAL.sub("", value)[:MAX_TEXT]
            cell_style = f' s="{QUOTED}"' if not style and quoted(text) else styled
            # A carriage return is written as a reference: XML readers turn a raw one into \n.
            text = (
                text.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace("\r", "&#13;")
            )
            parts.append(
                f'<c r="{ref}"{cell_style} t="inlineStr">'
                f'<is><t xml:space="preserve">{text}</t></is></c>'
            )
        elif isinstance(value, bool):
            parts.append(f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError(f"a cell cannot hold {value!r}")
            parts.append(f'<c r="{ref}"{styled}><v>{value!r}</v></c>')
        elif isinstance(value, datetime):
            if value.tzinfo is not None:
                raise TypeError("a spreadsheet keeps no time zone: give local wall-clock time")
            serial = (value - EPOCH).total_seconds() / SECONDS_PER_DAY
            parts.append(f'<c r="{ref}" s="{DATETIME}"><v>{serial!r}</v></c>')
        elif isinstance(value, date):
            serial = (value - EPOCH.date()).days
            parts.append(f'<c r="{ref}" s="{DATETIME}"><v>{serial}</v></c>')
        else:
            raise TypeError(f"cannot write a {type(value).__name__} to a cell")
    parts.append("</row>")
    return "".join(parts)


def _workbook(titles: list[str]) -> str:
    sheets = "".join(
        f'<sheet name={quoteattr(ILLEGAL.sub("", title))} sheetId="{n}" r:id="rId{n}"/>'
        for n, title in enumerate(titles, 1)
    )
    return (
        XML_DECLARATION + f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _workbook_rels(count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{n}" Type="{NS_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, count + 1)
    )
    styles = f'<Relationship Id="rId{count + 1}" Type="{NS_REL}/styles" Target="styles.xml"/>'
    return XML_DECLARATION + f'<Relationships xmlns="{NS_PKG_REL}">{sheets}{styles}</Relationships>'


def _content_types(count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
        f'ContentType="{TYPE_PREFIX}.worksheet+xml"/>'
        for n in range(1, count + 1)
    )
    return (
        XML_DECLARATION + f'<Types xmlns="{NS_TYPES}">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE_PREFIX}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{TYPE_PREFIX}.styles+xml"/>'
        f"{sheets}</Types>"
    )
