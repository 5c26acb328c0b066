"""Bulk import and export of a strategy's actions (insatser) and their milestones, as .xlsx (two
sheets, "Insatser" and "Milstolpar") or as two CSV files, with the same columns both ways.

The columns are defined once, in ``ACTION_COLUMNS`` and ``MILESTONE_COLUMNS``; the import
page describes them from there. An import creates or updates actions by their code (actions
of the strategy that the file does not name are left as they are). For each action in the
file, the goals, global goals and areas it links to are set as the file says when the file
has that column; with a milestones sheet or file, the action's milestones are replaced by the
ones listed for it. Links to goals that have no code cannot be named in a file and are kept.

Every row is checked (``consult.followup.fields``) before anything is written, and every
problem is reported with its row number and column. With any problem nothing is written.

The reading of an uploaded table (size limit, xlsx or CSV by content and extension, the
zip-bomb guard, headers) is shared with ``indicator_import``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import areas, audit, clock
from .. import group_access as access
from ..admin.docx import DocxError, check_archive
from ..errors import Invalid
from ..models import (
    Action,
    ActionGoal,
    ActionStatus,
    Goal,
    Milestone,
    Strategy,
    WorkingGroup,
    action_area,
    action_sdg,
)
from ..synthesis.exports import FORMULA_STARTS, neutralise, xlsx_cells
from . import actions as actions_module
from . import agenda2030, fields, queries
from .labels import IMPORT_MESSAGES, MESSAGES

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
LIST_SEPARATOR = ";"
WEIGHT_SEPARATOR = ":"
MAX_CODE = 40
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_SUFFIXES = (".csv", ".txt")
XLSX_SUFFIXES = (".xlsx",)
BOLD = Font(bold=True)


# --- The columns -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of an import/export file: its heading, whether a file must have it, and what
    it holds (shown on the import page)."""

    name: str
    required: bool
    help: object


ACTION_SHEET = "Insatser"
MILESTONE_SHEET = "Milstolpar"

ACTION_COLUMNS = (
    Column(
        "kod",
        True,
        _l(
            "The action's code, e.g. A-12. An action of the strategy with this code is "
            "updated; otherwise a new action is created."
        ),
    ),
    Column("titel", True, _l("The action's title.")),
    Column("beskrivning", False, _l("What the action does.")),
    Column("ansvarig", False, _l("The responsible unit or person.")),
    Column(
        "arbetsgrupp",
        False,
        _l("The responsible working group by its short name (as in its address); empty: none."),
    ),
    Column("start", False, _l("The start date, YYYY-MM-DD.")),
    Column("slut", False, _l("The end date, YYYY-MM-DD.")),
    Column(
        "status",
        False,
        _l("planerad, pågående, klar or avbruten (planned, ongoing, done, stopped)."),
    ),
    Column("framsteg", False, _l("The progress, a whole percentage from 0 to 100.")),
    Column(
        "mål",
        False,
        _l(
            "The codes of the strategy's goals the action serves, separated by semicolons; "
            "a weight other than 1 after a colon, e.g. 1.1;1.2:3."
        ),
    ),
    Column(
        "globala_mål",
        False,
        _l("Global goals and targets of Agenda 2030, separated by semicolons, e.g. 8;9.5."),
    ),
    Column(
        "områden",
        False,
        _l(
            "Where the action is carried out: county and municipality codes separated by "
            "semicolons, e.g. 24;2480."
        ),
    ),
)

MILESTONE_COLUMNS = (
    Column("insats", True, _l("The code of the action (in the actions sheet or file).")),
    Column("datum", True, _l("When the milestone is due, YYYY-MM-DD.")),
    Column("titel", True, _l("The milestone's title.")),
    Column("beskrivning", False, _l("What the milestone means.")),
    Column("klar", False, _l("The date it was reached, YYYY-MM-DD; empty while it is not.")),
)

# The status words of the files (fixed, whatever the reader's language).
STATUS_WORDS = {
    ActionStatus.PLANNED: "planerad",
    ActionStatus.ONGOING: "pågående",
    ActionStatus.DONE: "klar",
    ActionStatus.STOPPED: "avbruten",
}
_STATUS_BY_WORD = {word: status for status, word in STATUS_WORDS.items()}


# --- Problems ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an uploaded file: where (sheet or file, row, column) and what
    (a key of ``labels.MESSAGES`` or ``labels.IMPORT_MESSAGES``; ``value`` names the cell's
    content where that helps, e.g. the unknown column)."""

    key: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None
    value: str | None = None


def describe(problem: Problem) -> str:
    """The problem as a sentence for the import page: "Rad 4, kolumn framsteg: Ange …"."""
    if problem.key == "too_large":
        message = _("The file is too large: at most %(mb)s MB.", mb=max_bytes() // (1024 * 1024))
    else:
        template = IMPORT_MESSAGES.get(problem.key) or MESSAGES.get(problem.key)
        message = str(template) if template is not None else _("The file cannot be read.")
        if "%(value)s" in message:
            message = message % {"value": problem.value or ""}
    if problem.row is not None and problem.column is not None:
        message = _(
            "Row %(row)s, column %(column)s: %(message)s",
            row=problem.row,
            column=problem.column,
            message=message,
        )
    elif problem.row is not None:
        message = _("Row %(row)s: %(message)s", row=problem.row, message=message)
    if problem.sheet:
        message = _("%(sheet)s: %(message)s", sheet=problem.sheet, message=message)
    return message


class FileRefused(Invalid):
    """The upload was refused; ``problems`` lists everything wrong with it (all rows)."""

    def __init__(self, problems: list[Problem], field_name: str = "file"):
        super().__init__({field_name: problems[0].key if problems else "unreadable"})
        self.problems = problems

    def __str__(self) -> str:
        return "; ".join(f"{p.sheet} {p.row} {p.column} {p.key} {p.value}" for p in self.problems)


@dataclass
class Upload:
    """An uploaded file: its name and its content (read with the size limit, ``read_upload``)."""

    filename: str
    data: bytes


def max_bytes() -> int:
    """The largest file an import accepts (``FOLLOWUP_IMPORT_MAX_BYTES``)."""
    try:
        return int(current_app.config.get("FOLLOWUP_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))
    except RuntimeError:  # outside an app
        return DEFAULT_MAX_BYTES


def read_upload(filename: str | None, stream) -> Upload | None:
    """Read an uploaded file, at most one byte past the limit (a larger one is never read
    whole); None when no file was chosen."""
    if stream is None or not filename:
        return None
    return Upload(filename=filename, data=stream.read(max_bytes() + 1))


# --- Reading a table ---------------------------------------------------------------------


@dataclass
class Table:
    """The rows of one sheet or CSV file: headings (trimmed, lower case) and, per data row,
    its number as a spreadsheet shows it (the heading is row 1) and its cells by heading."""

    name: str | None
    headings: list[str] = field(default_factory=list)
    rows: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    heading_row: int = 1
    # Rows with values to the right of the last heading.
    stray_rows: list[int] = field(default_factory=list)


def _kind(upload: Upload, sheet: str | None) -> str:
    """ "xlsx" or "csv" by the content (a zip archive is a workbook) and the file name;
    raise FileRefused for anything else."""
    if not upload.data.strip():
        raise FileRefused([Problem("empty_file", sheet=sheet)])
    if len(upload.data) > max_bytes():
        raise FileRefused([Problem("too_large", sheet=sheet)])
    name = upload.filename.lower()
    if upload.data.startswith(b"PK\x03\x04"):
        if not name.endswith(XLSX_SUFFIXES):
            raise FileRefused([Problem("file_type", sheet=sheet)])
        return "xlsx"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    raise FileRefused([Problem("file_type", sheet=sheet)])


def _cell(value):
    """A cell's value as the checks expect it: text trimmed, whole floats as whole numbers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _unquote(value: str) -> str:
    """Undo the export's formula guard: "'=x" was written for "=x"."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _table(name: str | None, raw_rows, *, csv_cells: bool) -> Table:
    table = Table(name)
    numbered = enumerate(raw_rows, start=1)
    for number, heading_row in numbered:
        cells = list(heading_row)
        if any(c not in (None, "") for c in cells):
            table.heading_row = number
            table.headings = ["" if c is None else str(c).strip().lower() for c in cells]
            break
    while table.headings and table.headings[-1] == "":
        table.headings.pop()
    width = len(table.headings)
    for number, row in numbered:
        values = [_unquote(c) if csv_cells and isinstance(c, str) else c for c in row]
        values = [_cell(c) for c in values]
        if all(v in (None, "") for v in values):
            continue
        if any(v not in (None, "") for v in values[width:]):
            table.stray_rows.append(number)
        cells = {}
        for heading, value in zip(table.headings, values, strict=False):
            if heading not in cells:
                cells[heading] = value
        table.rows.append((number, cells))
    return table


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (semicolon separated)" in a Swedish Windows is Windows-1252.
        return data.decode("cp1252", "replace")


def csv_table(upload: Upload, name: str | None = None) -> Table:
    """The table of a CSV upload: comma, semicolon or tab separated, UTF-8 (or Windows-1252)."""
    text = _decode(upload.data)
    first = text.lstrip().split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise FileRefused([Problem("not_csv", sheet=name)]) from error
    return _table(name, rows, csv_cells=True)


def _workbook(upload: Upload, sheet: str | None):
    try:
        check_archive(upload.data, parts=("[Content_Types].xml", "xl/workbook.xml"))
    except DocxError as error:
        key = "bomb" if error.key == "bomb" else "not_xlsx"
        raise FileRefused([Problem(key, sheet=sheet)]) from error
    try:
        return load_workbook(io.BytesIO(upload.data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - a broken package fails in many ways
        raise FileRefused([Problem("not_xlsx", sheet=sheet)]) from error


def _sheet_table(workbook, title: str) -> Table:
    try:
        return _table(title, workbook[title].iter_rows(values_only=True), csv_cells=False)
    except Exception as error:  # noqa: BLE001 - broken XML, a missing part, a bad cell
        raise FileRefused([Problem("not_xlsx", sheet=title)]) from error


def _find_sheet(workbook, wanted: str) -> str | None:
    for title in workbook.sheetnames:
        if title.strip().lower() == wanted.lower():
            return title
    return None


def first_table(upload: Upload) -> Table:
    """The table of an upload with one table: a CSV file, or a workbook's first sheet."""
    if _kind(upload, None) == "csv":
        return csv_table(upload)
    workbook = _workbook(upload, None)
    try:
        return _sheet_table(workbook, workbook.sheetnames[0])
    finally:
        workbook.close()


def check_headings(table: Table, columns, aliases: dict[str, str] | None = None) -> list[Problem]:
    """Problems with a table's headings: unknown, repeated or missing columns (row 1).

    With ``aliases`` (another heading → a column's name) the table's headings are renamed to
    the columns' names, and its rows with them.
    """
    problems = []
    names = {c.name for c in columns}
    aliases = aliases or {}
    renamed = []
    row, sheet = table.heading_row, table.name
    for heading in table.headings:
        name = aliases.get(heading, heading)
        if heading == "":
            problems.append(Problem("no_heading", row=row, sheet=sheet))
        elif name not in names:
            problems.append(Problem("unknown_column", row=row, column=heading, sheet=sheet))
        elif name in renamed:
            problems.append(Problem("repeated_column", row=row, column=heading, sheet=sheet))
        renamed.append(name)
    for column in columns:
        if column.required and column.name not in renamed:
            problems.append(Problem("missing_column", row=row, column=column.name, sheet=sheet))
    if aliases:
        table.headings = renamed
        table.rows = [
            (n, {aliases.get(k, k): v for k, v in cells.items()}) for n, cells in table.rows
        ]
    return problems


def stray_values(table: Table) -> list[Problem]:
    """A problem for each row with values to the right of the last heading."""
    return [Problem("no_heading", row=number, sheet=table.name) for number in table.stray_rows]


def in_order(problems: list[Problem], sheets=(None,)) -> list[Problem]:
    """The problems sheet by sheet, row by row (a row's own in the order found)."""
    return sorted(problems, key=lambda p: (sheets.index(p.sheet), p.row or 0))


def area_code(raw) -> str:
    """An area code as written in a file. A number cell loses its leading zero ("180" is
    Stockholm's "0180"), and so does a CSV file saved by Excel; it is put back: one digit is a
    county ("1" → "01"), three digits a municipality ("180" → "0180"). Both importers read
    area codes with this function."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = "" if raw is None else str(raw).strip()
    if text.isascii() and text.isdigit() and len(text) in (1, 3):
        return text.zfill(len(text) + 1)
    return text


def _list(raw) -> list[str]:
    if raw is None:
        return []
    text = str(raw) if not isinstance(raw, float) else repr(raw)
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


# --- Import ------------------------------------------------------------------------------


@dataclass
class _ActionRow:
    row: int
    code: str
    values: dict[str, object]
    goals: list[tuple[Goal, int]] | None = None
    sdgs: list[str] | None = None
    areas: list[str] | None = None
    group: object = "absent"


@dataclass
class ImportResult:
    """What an import did."""

    created: int = 0
    updated: int = 0
    milestones: int | None = None


def _text_cell(cells, name, limit, *, required=False):
    return fields.text(cells.get(name), limit, required=required)


def _groups_by_slug(session: Session, strategy: Strategy) -> dict[str, list[WorkingGroup]]:
    """The groups a file may name, by short name: the same as the form offers (those of the
    strategy's consultation; none for a framework)."""
    found: dict[str, list[WorkingGroup]] = defaultdict(list)
    for group in actions_module.consultation_groups(session, strategy):
        found[group.slug.lower()].append(group)
    return found


def _goals_by_code(strategy: Strategy) -> dict[str, list[Goal]]:
    found: dict[str, list[Goal]] = defaultdict(list)
    for goal in strategy.goals:
        if goal.code.strip():
            found[goal.code.strip()].append(goal)
    return found


def _status(raw):
    text = ("" if raw is None else str(raw)).strip().lower()
    if not text:
        return ActionStatus.PLANNED, None
    if text in _STATUS_BY_WORD:
        return _STATUS_BY_WORD[text], None
    return fields.status(text)


def _check_action(
    cells, number, present, goals_by_code, groups, problems, sheet, saved=None
) -> _ActionRow:
    """Check one row of the actions sheet; ``saved`` is the stored action with the row's code
    (its dates count where the file has no column for them)."""

    def problem(column, key, value=None):
        problems.append(Problem(key, row=number, column=column, sheet=sheet, value=value))

    code, error = _text_cell(cells, "kod", MAX_CODE, required=True)
    if error:
        problem("kod", error)
    values: dict[str, object] = {}
    for column, attribute, limit, required in (
        ("titel", "title", fields.MAX_TITLE, True),
        ("beskrivning", "description", fields.MAX_TEXT, False),
        ("ansvarig", "responsible", fields.MAX_SHORT, False),
    ):
        if column in present:
            value, error = _text_cell(cells, column, limit, required=required)
            if error:
                problem(column, error)
            values[attribute] = value
    for column, attribute in (("start", "starts_on"), ("slut", "ends_on")):
        if column in present:
            value, error = fields.day(cells.get(column))
            if error:
                problem(column, error)
            values[attribute] = value
    if "status" in present:
        value, error = _status(cells.get("status"))
        if error:
            problem("status", "status")
        values["status"] = value
    if "framsteg" in present:
        raw = cells.get("framsteg")
        value, error = fields.percent(raw if raw not in (None, "") else 0)
        if error:
            problem("framsteg", error)
        values["progress"] = value
    entry = _ActionRow(row=number, code=code or "", values=values)
    if "arbetsgrupp" in present:
        slug = ("" if cells.get("arbetsgrupp") is None else str(cells["arbetsgrupp"])).strip()
        if not slug:
            entry.group = None
        else:
            matches = groups.get(slug.lower(), [])
            if len(matches) != 1:
                problem("arbetsgrupp", "unknown_group" if not matches else "ambiguous_group", slug)
            else:
                entry.group = matches[0]
    if "mål" in present:
        entry.goals = []
        seen = set()
        for part in _list(cells.get("mål")):
            goal_code, _sep, weight_text = part.partition(WEIGHT_SEPARATOR)
            goal_code = goal_code.strip()
            matches = goals_by_code.get(goal_code, [])
            if len(matches) != 1:
                key = "unknown_goal" if not matches else "ambiguous_goal"
                problem("mål", key, goal_code)
                continue
            weight, error = fields.weight(weight_text.strip() if _sep else None)
            if error or (_sep and not weight_text.strip()):
                problem("mål", "weight", part)
                continue
            if matches[0].id in seen:
                continue
            seen.add(matches[0].id)
            entry.goals.append((matches[0], weight))
    if "globala_mål" in present:
        codes = _list(cells.get("globala_mål"))
        value, error = fields.global_goals(codes)
        if error:
            bad = next((c for c in codes if not agenda2030.known(c)), None)
            problem("globala_mål", error, bad)
        entry.sdgs = value
    if "områden" in present:
        raw = cells.get("områden")
        codes = [area_code(raw)] if isinstance(raw, int) else [area_code(c) for c in _list(raw)]
        unknown = [c for c in codes if not areas.known(c)]
        if unknown:
            problem("områden", "unknown_area", ", ".join(unknown))
        entry.areas = sorted(set(codes))
    starts_on = values.get("starts_on", saved.starts_on if saved is not None else None)
    ends_on = values.get("ends_on", saved.ends_on if saved is not None else None)
    period_error = fields.period(starts_on, ends_on)
    if period_error:
        problem("slut" if "slut" in present else "start", period_error)
    return entry


def _check_milestone(cells, number, problems, sheet, codes) -> dict | None:
    def problem(column, key, value=None):
        problems.append(Problem(key, row=number, column=column, sheet=sheet, value=value))

    before = len(problems)
    code, error = _text_cell(cells, "insats", MAX_CODE, required=True)
    if error:
        problem("insats", error)
    elif code not in codes:
        problem("insats", "unknown_action", code)
    due_on, error = fields.day(cells.get("datum"), required=True)
    if error:
        problem("datum", error)
    title, error = _text_cell(cells, "titel", fields.MAX_TITLE, required=True)
    if error:
        problem("titel", error)
    description, error = _text_cell(cells, "beskrivning", fields.MAX_TEXT)
    if error:
        problem("beskrivning", error)
    done_on, error = fields.day(cells.get("klar"))
    if error:
        problem("klar", error)
    if len(problems) > before:
        return None
    return {
        "code": code,
        "due_on": due_on,
        "title": title,
        "description": description or "",
        "done_on": done_on,
    }


def _read_action_files(actions: Upload | None, milestones: Upload | None):
    """The actions table and the milestones table (None when the upload has none)."""
    if actions is None:
        raise FileRefused([Problem("no_file")])
    if _kind(actions, None) == "xlsx":
        workbook = _workbook(actions, ACTION_SHEET)
        try:
            title = _find_sheet(workbook, ACTION_SHEET)
            if title is None:
                if len(workbook.sheetnames) > 1:
                    raise FileRefused([Problem("no_sheet", sheet=ACTION_SHEET)])
                title = workbook.sheetnames[0]
            action_table = _sheet_table(workbook, title)
            action_table.name = ACTION_SHEET
            milestone_title = _find_sheet(workbook, MILESTONE_SHEET)
            milestone_table = None
            if milestone_title is not None:
                milestone_table = _sheet_table(workbook, milestone_title)
                milestone_table.name = MILESTONE_SHEET
        finally:
            workbook.close()
        if milestones is not None:
            raise FileRefused([Problem("milestones_in_workbook", sheet=MILESTONE_SHEET)])
        return action_table, milestone_table
    action_table = csv_table(actions, ACTION_SHEET)
    milestone_table = None
    if milestones is not None:
        if _kind(milestones, MILESTONE_SHEET) != "csv":
            raise FileRefused([Problem("file_type", sheet=MILESTONE_SHEET)])
        milestone_table = csv_table(milestones, MILESTONE_SHEET)
    return action_table, milestone_table


def import_actions(
    session: Session,
    actor,
    slug: str,
    actions: Upload | None,
    milestones: Upload | None = None,
) -> ImportResult:
    """Create or update the strategy's actions from a workbook or CSV file (and their
    milestones from the workbook's second sheet or a second CSV file). Every row is checked
    first; with any problem FileRefused lists them all and nothing is written."""
    access.require_followup_editor(actor)
    strategy = queries.strategy_by_slug(session, actor, slug)
    action_table, milestone_table = _read_action_files(actions, milestones)

    problems = check_headings(action_table, ACTION_COLUMNS)
    if milestone_table is not None:
        problems += check_headings(milestone_table, MILESTONE_COLUMNS)
    if problems:
        raise FileRefused(problems)

    problems += stray_values(action_table)
    if milestone_table is not None:
        problems += stray_values(milestone_table)
    present = set(action_table.headings)
    goals_by_code = _goals_by_code(strategy)
    groups = _groups_by_slug(session, strategy) if "arbetsgrupp" in present else {}
    saved = {action.code: action for action in strategy.actions}
    entries: list[_ActionRow] = []
    first_row: dict[str, int] = {}
    for number, cells in action_table.rows:
        code = cells.get("kod")
        entry = _check_action(
            cells,
            number,
            present,
            goals_by_code,
            groups,
            problems,
            ACTION_SHEET,
            saved.get(str(code).strip()) if code is not None else None,
        )
        if entry.code:
            if entry.code in first_row:
                problems.append(
                    Problem(
                        "repeated_code",
                        row=number,
                        column="kod",
                        sheet=ACTION_SHEET,
                        value=str(first_row[entry.code]),
                    )
                )
            else:
                first_row[entry.code] = number
        entries.append(entry)
    if not entries and not problems:
        problems.append(Problem("no_rows", sheet=ACTION_SHEET))
    planned_milestones: dict[str, list[dict]] | None = None
    if milestone_table is not None:
        planned_milestones = defaultdict(list)
        for number, cells in milestone_table.rows:
            checked = _check_milestone(cells, number, problems, MILESTONE_SHEET, first_row)
            if checked is not None:
                planned_milestones[checked["code"]].append(checked)
    if problems:
        raise FileRefused(in_order(problems, (None, ACTION_SHEET, MILESTONE_SHEET)))

    try:
        result = _write_actions(session, actor, strategy, entries, planned_milestones)
        audit.record(
            session,
            actor,
            "followup.import_actions",
            strategy,
            None,
            {
                "created": result.created,
                "updated": result.updated,
                "milestones": result.milestones,
                "codes": [entry.code for entry in entries],
            },
        )
        session.commit()
    except IntegrityError as error:
        # A rule of the database that the checks above missed: nothing is written.
        session.rollback()
        raise FileRefused([Problem("not_saved", sheet=ACTION_SHEET)]) from error
    return result


def _write_actions(session, actor, strategy, entries, planned_milestones) -> ImportResult:
    result = ImportResult(milestones=None if planned_milestones is None else 0)
    existing = {action.code: action for action in strategy.actions}
    now = clock.now()
    for entry in entries:
        action = existing.get(entry.code)
        if action is None:
            action = Action(strategy=strategy, code=entry.code, title="")
            session.add(action)
            result.created += 1
        else:
            result.updated += 1
        for attribute, value in entry.values.items():
            setattr(action, attribute, "" if value is None and attribute in _TEXTS else value)
        if entry.group != "absent":
            action.group = entry.group
        action.updated_by = actor
        action.updated_at = now
        if entry.goals is not None:
            _set_goal_links(action, entry.goals)
        if planned_milestones is not None:
            action.milestones.clear()
            for item in sorted(planned_milestones.get(entry.code, []), key=lambda m: m["due_on"]):
                action.milestones.append(
                    Milestone(
                        due_on=item["due_on"],
                        title=item["title"],
                        description=item["description"],
                        done_on=item["done_on"],
                    )
                )
                result.milestones += 1
    session.flush()
    for entry in entries:
        action = existing.get(entry.code) or next(
            a for a in strategy.actions if a.code == entry.code
        )
        for table, column, codes in (
            (action_sdg, "code", entry.sdgs),
            (action_area, "area_code", entry.areas),
        ):
            if codes is None:
                continue
            session.execute(delete(table).where(table.c.action_id == action.id))
            if codes:
                session.execute(
                    insert(table), [{"action_id": action.id, column: code} for code in codes]
                )
    return result


_TEXTS = {"title", "description", "responsible"}


def _set_goal_links(action: Action, goals: list[tuple[Goal, int]]) -> None:
    """Link the action to exactly these coded goals (links to goals without a code stay);
    existing links are updated in place, so no link is deleted and added again."""
    wanted = {goal.id: (goal, weight) for goal, weight in goals}
    for link in list(action.goal_links):
        goal = link.goal
        if not goal.code.strip():
            continue
        if goal.id in wanted:
            link.weight = wanted.pop(goal.id)[1]
        else:
            action.goal_links.remove(link)
    for goal, weight in wanted.values():
        action.goal_links.append(ActionGoal(goal=goal, weight=weight))


# --- Export ------------------------------------------------------------------------------


def _day(value) -> str:
    return value.isoformat() if value is not None else ""


def rows(session: Session, actor, slug: str) -> tuple[Strategy, list[list], list[list]]:
    """The strategy and its actions and milestones as rows of ``ACTION_COLUMNS`` and
    ``MILESTONE_COLUMNS`` (cells as written, before the formula guard)."""
    access.require_followup_editor(actor)
    strategy = queries.strategy_by_slug(session, actor, slug)
    actions = sorted(strategy.actions, key=lambda a: (a.code, a.id))
    ids = [a.id for a in actions]
    sdgs = queries.action_sdgs(session, ids)
    places = queries.action_areas(session, ids)
    action_rows, milestone_rows = [], []
    for action in actions:
        links = sorted(
            (link for link in action.goal_links if link.goal.code.strip()),
            key=lambda link: (link.goal.position, link.goal.code, link.goal.id),
        )
        goals = LIST_SEPARATOR.join(
            link.goal.code.strip()
            + ("" if link.weight == 1 else f"{WEIGHT_SEPARATOR}{link.weight}")
            for link in links
        )
        action_rows.append(
            [
                action.code,
                action.title,
                action.description,
                action.responsible,
                action.group.slug if action.group is not None else "",
                _day(action.starts_on),
                _day(action.ends_on),
                STATUS_WORDS[action.status],
                action.progress,
                goals,
                LIST_SEPARATOR.join(sdgs.get(action.id, [])),
                LIST_SEPARATOR.join(places.get(action.id, [])),
            ]
        )
        for milestone in action.milestones:
            milestone_rows.append(
                [
                    action.code,
                    _day(milestone.due_on),
                    milestone.title,
                    milestone.description,
                    _day(milestone.done_on),
                ]
            )
    return strategy, action_rows, milestone_rows


def csv_bytes(columns, table_rows) -> bytes:
    """A CSV file of these rows: UTF-8 with a byte-order mark (so Excel reads å, ä, ö), comma
    separated, formula-like text quoted with an apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in columns])
    for row in table_rows:
        writer.writerow(["" if c is None else neutralise(c) for c in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_csv(session: Session, actor, slug: str, which: str) -> tuple[Strategy, bytes]:
    """The actions ("insatser") or the milestones ("milstolpar") as a CSV file."""
    strategy, action_rows, milestone_rows = rows(session, actor, slug)
    if which == "milstolpar":
        return strategy, csv_bytes(MILESTONE_COLUMNS, milestone_rows)
    return strategy, csv_bytes(ACTION_COLUMNS, action_rows)


def _add_sheet(workbook, title, columns, table_rows) -> None:
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    heading = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.name)
        cell.font = BOLD
        heading.append(cell)
    sheet.append(heading)
    for row in table_rows:
        sheet.append(xlsx_cells(sheet, list(row)))


def export_xlsx(session: Session, actor, slug: str) -> tuple[Strategy, bytes]:
    """The actions and milestones as a workbook with the sheets "Insatser" and "Milstolpar"."""
    strategy, action_rows, milestone_rows = rows(session, actor, slug)
    workbook = Workbook(write_only=True)
    _add_sheet(workbook, ACTION_SHEET, ACTION_COLUMNS, action_rows)
    _add_sheet(workbook, MILESTONE_SHEET, MILESTONE_COLUMNS, milestone_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return strategy, buffer.getvalue()


def import_page(session: Session, actor, slug: str) -> tuple[Strategy, int]:
    """The strategy whose import page staff open, and how many actions it has."""
    access.require_followup_editor(actor)
    strategy = queries.strategy_by_slug(session, actor, slug)
    return strategy, len(strategy.actions)
