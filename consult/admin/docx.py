"""Turn a Word draft (.docx) into the Markdown the draft importer reads.

Headings (styles "Heading N", in Swedish Word "Rubrik N") become Markdown headings and so
sections; other paragraphs stay paragraphs; consecutive list paragraphs become one list and a
table one table, so each is one commentable block. Bold, italic and links are kept; images,
text boxes, footnotes and comments are not imported. The Markdown then goes through the
ordinary importer, which sanitises it.

A .docx is a zip archive. Before anything is extracted, the archive's directory is checked so
that a small upload cannot expand into gigabytes (a zip bomb). The archive's declared sizes
cannot be used to lie either: ``zipfile`` stops at the declared size and fails on the checksum.
python-docx parses the XML without resolving entities, so entity expansion is not possible.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile

import docx
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph

# Limits of the archive, checked before extracting anything.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Small parts (styles, settings) may compress very well; the ratio matters for large ones.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
MAX_ENTRIES = 5000

logger = logging.getLogger(__name__)

_HEADING_STYLE = re.compile(r"^(?:heading|rubrik)\s*([1-9])$", re.IGNORECASE)
_BULLET_STYLE = re.compile(r"^(?:list bullet|punktlista)", re.IGNORECASE)
_NUMBER_STYLE = re.compile(r"^(?:list number|numrerad lista)", re.IGNORECASE)
# Characters that Markdown would read as formatting, anywhere in a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&!~])")
# Line starts that Markdown would read as a list, a setext underline or a thematic break.
_BLOCK_START = re.compile(r"^([-+=])|^(\d+)([.)])")


class DocxError(ValueError):
    """The file cannot be imported as a Word document; ``key`` says why."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def check_archive(
    data: bytes, parts: tuple[str, ...] = ("[Content_Types].xml", "word/document.xml")
) -> None:
    """Refuse ``data`` unless it is a zip of a safe expanded size holding ``parts`` (by
    default those of a Word document; an .xlsx import names a workbook's)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise DocxError("not_docx") from error
    if len(entries) > MAX_ENTRIES:
        raise DocxError("bomb")
    if sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
        raise DocxError("bomb")
    for entry in entries:
        if entry.file_size < RATIO_CHECKED_FROM_BYTES:
            continue
        if entry.file_size > MAX_COMPRESSION_RATIO * max(entry.compress_size, 1):
            raise DocxError("bomb")
    names = {entry.filename for entry in entries}
    if any(part not in names for part in parts):
        raise DocxError("not_docx")


def to_markdown(data: bytes) -> str:
    """Return the Markdown of the Word document ``data``; raise DocxError if it is not one."""
    check_archive(data)
    try:
        document = docx.Document(io.BytesIO(data))
        return _Converter(document).markdown()
    except Exception as error:  # noqa: BLE001 - a broken package fails in many ways
        logger.info("Word draft refused: %s: %s", type(error).__name__, error)
        raise DocxError("not_docx") from error


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text)


def _escape_line_start(line: str) -> str:
    return _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line, count=1)


def _wrap(text: str, marker: str) -> str:
    """Wrap ``text`` in an emphasis ``marker``, keeping its outer spaces outside."""
    core = text.strip()
    if not core or not marker:
        return text
    start = text[: len(text) - len(text.lstrip())]
    end = text[len(text.rstrip()) :]
    return f"{start}{marker}{core}{marker}{end}"


class _Converter:
    def __init__(self, document):
        self.document = document
        self.blocks: list[str] = []
        self.list_items: list[tuple[int, bool, list[str]]] = []

    def markdown(self) -> str:
        for item in self.document.iter_inner_content():
            if isinstance(item, Table):
                self._end_list()
                self._table(item)
            else:
                self._paragraph(item)
        self._end_list()
        return "\n\n".join(self.blocks) + "\n"

    # Paragraphs

    def _paragraph(self, paragraph: Paragraph) -> None:
        level = self._heading_level(paragraph)
        lines = self._lines(paragraph)
        if level is not None:
            self._end_list()
            heading = " ".join(" ".join(lines).split())
            if heading:
                self.blocks.append("#" * level + " " + heading)
            return
        list_kind = self._list_kind(paragraph)
        if list_kind is not None:
            if lines:
                self.list_items.append((*list_kind, lines))
            return
        self._end_list()
        if lines:
            self.blocks.append("\\\n".join(_escape_line_start(line) for line in lines))

    def _heading_level(self, paragraph: Paragraph) -> int | None:
        style = paragraph.style
        for name in (style.name or "", style.style_id or ""):
            match = _HEADING_STYLE.match(name.strip())
            if match:
                return int(match[1])
        return None

    def _lines(self, paragraph: Paragraph) -> list[str]:
        """Return the paragraph as Markdown lines (split at line breaks), blank ones dropped."""
        pieces: list[str] = []
        for item in paragraph.iter_inner_content():
            if isinstance(item, Hyperlink):
                text = item.text
                address = item.address
                if address and address.startswith(("http://", "https://", "mailto:")):
                    label = " ".join(_escape(text).split())
                    pieces.append(f"[{label}](<{address.replace('>', '%3E')}>)" if label else "")
                else:
                    pieces.append(_escape(text))
                continue
            marker = ""
            if item.bold and item.italic:
                marker = "***"
            elif item.bold:
                marker = "**"
            elif item.italic:
                marker = "*"
            parts = item.text.split("\n")
            pieces.append("\n".join(_wrap(_escape(part), marker) for part in parts))
        lines = "".join(pieces).split("\n")
        return [" ".join(line.split()) for line in lines if line.strip()]

    # Lists

    def _list_kind(self, paragraph: Paragraph) -> tuple[int, bool] | None:
        """Return (level, ordered) for a list paragraph, else None."""
        name = paragraph.style.name or ""
        # "List Bullet 2" is the second level; a style's numbering often names no level.
        digit = re.search(r"([2-9])$", name)
        style_level = int(digit[1]) - 1 if digit else 0
        num_pr = self._numbering(paragraph)
        if num_pr is not None:
            num_id = num_pr.numId.val if num_pr.numId is not None else None
            if num_id and num_pr.ilvl is not None:
                return num_pr.ilvl.val, self._is_ordered(num_id, num_pr.ilvl.val)
            if num_id:
                return style_level, self._is_ordered(num_id, 0)
        if _BULLET_STYLE.match(name):
            return style_level, False
        if _NUMBER_STYLE.match(name):
            return style_level, True
        return None

    def _numbering(self, paragraph: Paragraph):
        p_pr = paragraph._p.pPr
        if p_pr is not None and p_pr.numPr is not None:
            return p_pr.numPr
        style = paragraph.style
        while style is not None:
            s_pr = style.element.pPr
            if s_pr is not None and s_pr.numPr is not None:
                return s_pr.numPr
            style = style.base_style
        return None

    def _is_ordered(self, num_id: int, level: int) -> bool:
        try:
            numbering = self.document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return False
        num = numbering.num_having_numId(int(num_id))
        abstract_id = int(num.abstractNumId.val)
        formats = numbering.xpath(
            f'./w:abstractNum[@w:abstractNumId="{abstract_id}"]'
            f'/w:lvl[@w:ilvl="{int(level)}"]/w:numFmt/@w:val'
        )
        return bool(formats) and formats[0] not in ("bullet", "none")

    def _end_list(self) -> None:
        """Write the collected list paragraphs as one Markdown list."""
        if not self.list_items:
            return
        out: list[str] = []
        widths: list[int] = []
        for level, ordered, lines in self.list_items:
            level = min(level, len(widths))
            del widths[level:]
            marker = "1. " if ordered else "- "
            indent = " " * sum(widths)
            widths.append(len(marker))
            continuation = "\\\n" + " " * (len(indent) + len(marker))
            out.append(indent + marker + continuation.join(lines))
        self.blocks.append("\n".join(out))
        self.list_items = []

    # Tables

    def _table(self, table: Table) -> None:
        rows: list[list[str]] = []
        for row in table.rows:
            cells, previous = [], None
            for cell in row.cells:
                # A merged cell is returned once per grid column; show its text once.
                same = previous is not None and cell._tc is previous
                previous = cell._tc
                cells.append("" if same else " ".join(_escape(cell.text).split()))
            rows.append(cells)
        if not any(any(cells) for cells in rows):
            return
        columns = max(len(cells) for cells in rows)
        lines = []
        for i, cells in enumerate(rows):
            cells = cells + [""] * (columns - len(cells))
            lines.append("| " + " | ".join(cells) + " |")
            if i == 0:
                lines.append("|" + " --- |" * columns)
        self.blocks.append("\n".join(lines))
