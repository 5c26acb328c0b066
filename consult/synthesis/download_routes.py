"""Downloads for staff: the comment exports (CSV, .xlsx), the themes as JSON, and the
synthesis report as a printable page and as .docx."""

from __future__ import annotations

import io

from flask import Response, render_template, request, send_file, stream_with_context

from .. import labels
from ..analysis.services import get_round
from ..models import Round
from ..web import call
from . import bp, exports, report
from .labels import texts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _name(round_: Round, what: str, ext: str) -> str:
    return f"{round_.consultation.slug}-omgang-{round_.number}-{what}.{ext}"


def _round(round_id: int) -> Round:
    return call(get_round, round_id)


@bp.get("/omgang/<int:round_id>/synpunkter.csv")
def export_csv(round_id: int):
    """Stream all comments of the round as CSV: comma-separated, or with ``?excel=1``
    semicolon-separated for Excel in Swedish."""
    round_ = _round(round_id)
    variant = "excel" if request.args.get("excel") == "1" else "standard"
    lines = call(exports.csv_lines, round_id, variant=variant)
    response = Response(stream_with_context(lines), mimetype="text/csv")
    filename = _name(round_, "synpunkter-excel" if variant == "excel" else "synpunkter", "csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/omgang/<int:round_id>/synpunkter.xlsx")
def export_xlsx(round_id: int):
    """Stream all comments of the round as a workbook: all of them, then a sheet per chapter."""
    round_ = _round(round_id)
    chunks = call(exports.xlsx_chunks, round_id)
    response = Response(stream_with_context(chunks), mimetype=XLSX)
    filename = _name(round_, "synpunkter", "xlsx")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/omgang/<int:round_id>/teman.json")
def export_json(round_id: int):
    """Send the round's themes with their summaries and responses as JSON."""
    round_ = _round(round_id)
    body = call(exports.themes_json, round_id)
    response = Response(body, mimetype="application/json")
    filename = _name(round_, "teman", "json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/omgang/<int:round_id>/rapport")
def report_page(round_id: int):
    """Show the synthesis report as a printable page."""
    result = call(report.build, round_id)
    return render_template(
        "synthesis/report.html",
        report=result,
        round=result.round,
        consultation=result.round.consultation,
        categories=labels.CATEGORY_LABELS,
        retired_note=report.retired_note,
        **texts(),
    )


@bp.get("/omgang/<int:round_id>/rapport.docx")
def report_docx(round_id: int):
    """Send the synthesis report as a Word document."""
    result = call(report.build, round_id)
    return send_file(
        io.BytesIO(report.docx_bytes(result)),
        mimetype=DOCX,
        as_attachment=True,
        download_name=_name(result.round, "sammanstallning", "docx"),
    )
