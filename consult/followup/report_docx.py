"""The yearly results report as a Word document (python-docx), in the house style of the
synthesis report: a title page, the foreword, a heading per priority and goal with tables of the
actions and the indicators, the contribution to the global goals, and what came from the
consultation.

Built from the same data as the page (``report.content``; a published report's snapshot), so
the page and the file never disagree. It is built while the visitor waits: a report of 44 goals
with 120 actions and indicator series took about 0.1 s for the content and 0.5–1 s for the
file on a busy 2-CPU test machine (tests/test_followup_report.py measures one and allows 5 s),
so it needs no background job as the synthesis exports do.
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document
from docx.enum.text import WD_BREAK
from docx.shared import Mm
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext

from ..models import Direction
from . import labels, numbers
from .report import (
    area_name,
    change_text,
    global_code_name,
    global_goal_name,
    number,
    response_label,
    status_label,
)


def title_of(content: dict) -> str:
    """The report's title: "Results 2023: <strategy>"."""
    return _("Results %(year)s", year=content["year"]) + ": " + content["strategy"]["title"]


class _Writer:
    """python-docx's document with its style look-ups done once per style: python-docx looks
    a style up among all the template's styles for every paragraph, which took most of the
    time of a report of tens of goals."""

    def __init__(self):
        self.document = Document()
        self._ids: dict[str, str] = {}
        # A Swedish report is printed on A4 (python-docx's template is US Letter).
        for section in self.document.sections:
            section.page_width, section.page_height = Mm(210), Mm(297)

    def _id(self, name: str) -> str:
        if name not in self._ids:
            self._ids[name] = self.document.styles[name].style_id
        return self._ids[name]

    def add_paragraph(self, text: str = "", style: str | None = None):
        paragraph = self.document.add_paragraph(text)
        if style:
            paragraph._p.style = self._id(style)
        return paragraph

    def add_heading(self, text: str, level: int):
        return self.add_paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def add_table(self, rows: int, cols: int):
        table = self.document.add_table(rows=rows, cols=cols)
        table._tbl.tblStyle_val = self._id("Table Grid")
        return table


def docx_bytes(content: dict, *, published_at: datetime | None = None) -> bytes:
    """Return the report as a Word document."""
    document = _Writer()
    strategy = content["strategy"]
    _title_page(document, content, published_at)

    if content["foreword"]:
        document.add_heading(_("Foreword"), level=1)
        _paragraphs(document, content["foreword"])

    for priority in content["priorities"]:
        document.add_heading(priority["title"] or _("Other goals"), level=1)
        if priority["description"]:
            _paragraphs(document, priority["description"])
        if priority["progress"] is not None:
            document.add_paragraph(
                _(
                    "Progress of the priority: %(percent)s",
                    percent=numbers.percent(priority["progress"]),
                )
            )
        for goal in priority["goals"]:
            _goal(document, goal)

    _global_goals(document, content["global_goals"])
    _consultation(document, content["consultation"])

    core = document.document.core_properties
    core.title = title_of(content)
    core.subject = strategy["title"]
    core.author = "Consult"  # not python-docx's default
    buffer = io.BytesIO()
    document.document.save(buffer)
    return buffer.getvalue()


def _paragraphs(document, text: str) -> None:
    for part in text.split("\n\n"):
        if part.strip():
            document.add_paragraph(part.strip())


def _title_page(document, content: dict, published_at: datetime | None) -> None:
    strategy = content["strategy"]
    document.add_heading(_("Results %(year)s", year=content["year"]), level=0)
    document.add_paragraph(strategy["title"]).runs[0].bold = True
    document.add_paragraph(
        _(
            "Strategy period %(start)s–%(end)s",
            start=strategy["starts_year"],
            end=strategy["ends_year"],
        )
    )
    if strategy["summary"]:
        document.add_paragraph(strategy["summary"])
    if published_at is not None:
        document.add_paragraph(_("Published %(day)s", day=published_at.date().isoformat()))
    else:
        document.add_paragraph(_("Draft: not published"))
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _table(document, header: list[str], rows: list[list[str]]) -> None:
    # Sized at once: adding rows one by one copies the row before each time.
    table = document.add_table(rows=len(rows) + 1, cols=len(header))
    for row, texts in zip(table.rows, [header, *rows], strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text
    for cell in table.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True


def _goal(document, goal: dict) -> None:
    heading = f"{goal['code']} {goal['title']}".strip()
    document.add_heading(heading, level=2)
    if goal["description"]:
        _paragraphs(document, goal["description"])
    progress = goal["progress"]
    if progress["value"] is None:
        document.add_paragraph(_("Progress: no action counts yet."))
    else:
        document.add_paragraph(
            _("Progress: %(percent)s", percent=numbers.percent(progress["value"]))
            + " ("
            + ngettext(
                "weighted over %(num)s action",
                "weighted over %(num)s actions",
                progress["counted_actions"],
            )
            + ")"
        )
    if goal["note"]:
        note = document.add_paragraph()
        note.add_run(_("The region's comment") + ": ").bold = True
        note.add_run(goal["note"])

    if goal["actions"]:
        document.add_heading(pgettext("follow-up", "Actions"), level=3)
        _table(
            document,
            [pgettext("follow-up", "Action"), _("Status"), _("Progress")],
            [
                [
                    _named(a),
                    status_label(a["status"]),
                    numbers.percent(a["progress"]),
                ]
                for a in goal["actions"]
            ],
        )
        milestones = [(a, m) for a in goal["actions"] for m in a["milestones"]]
        if milestones:
            document.add_heading(_("Milestones this year"), level=3)
            for action, milestone in milestones:
                document.add_paragraph(_milestone_line(action, milestone), style="List Bullet")

    if goal["targets"]:
        document.add_heading(_("Targets"), level=3)
        for target in goal["targets"]:
            document.add_paragraph(target_line(target), style="List Bullet")

    for indicator in goal["indicators"]:
        name = indicator["name"] + (f" ({indicator['unit']})" if indicator["unit"] else "")
        document.add_heading(name, level=3)
        about = str(labels.DIRECTION_LABELS[Direction(indicator["direction"])])
        if indicator["source"]:
            about += ". " + _("Source: %(source)s", source=indicator["source"])
        document.add_paragraph(about)
        if not indicator["values"]:
            document.add_paragraph(_("No values up to this year."))
            continue
        _table(
            document,
            [_("Year"), _("Area"), _("Value")],
            [
                [str(v["year"]), area_name(v["area"]), number(v["value"])]
                for v in indicator["values"]
            ],
        )
        for latest in indicator["latest"]:
            document.add_paragraph(
                f"{area_name(latest['area'])} {latest['year']}: "
                f"{number(latest['value'], indicator['unit'])}, " + change_text(latest, indicator),
                style="List Bullet",
            )


def _milestone_line(action: dict, milestone: dict) -> str:
    if milestone["done_on"]:
        when = _("reached %(day)s", day=milestone["done_on"])
    else:
        when = _("due %(day)s", day=milestone["due_on"])
    return f"{action['code']} {milestone['title']} ({when})"


def target_line(target: dict) -> str:
    """A target in words: "EU: 75 % by 2020 (from 70 % in 2010), Västerbottens län"."""
    text = _(
        "%(value)s by %(year)s",
        value=number(target["value"], target["unit"]),
        year=target["target_year"],
    )
    if target["baseline_value"] is not None and target["baseline_year"]:
        text += " " + _(
            "(from %(value)s in %(year)s)",
            value=number(target["baseline_value"], target["unit"]),
            year=target["baseline_year"],
        )
    if target["label"]:
        text = f"{target['label']}: {text}"
    if target["area"]:
        text += f", {area_name(target['area'])}"
    return text


def _global_goals(document, global_goals: list[dict]) -> None:
    document.add_heading(_("Contribution to the global goals"), level=1)
    if not global_goals:
        document.add_paragraph(_("No goal or action is linked to the global goals yet."))
        return
    _table(
        document,
        [_("Global goal"), _("Goals"), pgettext("follow-up", "Actions")],
        [
            [
                f"{item['number']} {global_goal_name(item['number'])}",
                str(item["goal_count"]),
                str(item["action_count"]),
            ]
            for item in global_goals
        ],
    )
    for item in global_goals:
        document.add_heading(f"{item['number']} {global_goal_name(item['number'])}", level=2)
        for kind, heading in (("goals", _("Goals")), ("actions", pgettext("follow-up", "Actions"))):
            for owner in item[kind]:
                codes = ", ".join(global_code_name(code) for code in owner["codes"])
                document.add_paragraph(
                    f"{heading}: {_named(owner)} – {codes}",
                    style="List Bullet",
                )


def _named(item: dict) -> str:
    return f"{item['code']} {item['title']}".strip()


def source_line(source: dict) -> str:
    """What in the consultation an action answers, in one line."""
    if source["kind"] == "paragraph":
        return _("Paragraph %(number)s of the draft", number=source["number"])
    if source["kind"] == "theme":
        return _("The theme “%(name)s”", name=source["name"])
    if source["about"] == "theme":
        about = _("the theme “%(name)s”", name=source["name"])
    else:
        about = _("paragraph %(number)s", number=source["number"])
    line = _("The response to %(about)s", about=about)
    if source["response"]:
        line += f": {response_label(source['response'])}"
    return line


def _consultation(document, actions: list[dict]) -> None:
    document.add_heading(_("From the consultation"), level=1)
    if not actions:
        document.add_paragraph(_("No action is linked to the consultation yet."))
        return
    for action in actions:
        document.add_heading(_named(action), level=2)
        document.add_paragraph(
            f"{status_label(action['status'])}, {numbers.percent(action['progress'])}"
            f" · {_('answers')}:"
        )
        for source in action["sources"]:
            document.add_paragraph(
                source_line(source) + f" ({source['consultation']})", style="List Bullet"
            )
            quoted = source.get("text") if source["kind"] == "paragraph" else None
            if quoted:
                document.add_paragraph(quoted, style="Quote")
            if source["kind"] == "response":
                if source["summary"]:
                    document.add_paragraph(source["summary"])
                if source["motivation"]:
                    document.add_paragraph(source["motivation"])
