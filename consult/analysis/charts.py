"""Small charts drawn on the server as SVG: every bar carries its label and number as text,
so the chart reads without colour and without JavaScript."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 20
LABEL_WIDTH = 130
BAR_WIDTH = 150
VALUE_WIDTH = 80


def share_bars(rows: list[tuple[str, int]], title: str) -> Markup:
    """Return a horizontal bar chart of ``rows`` (label, count) with counts and percentages."""
    total = sum(count for _, count in rows) or 1
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = ROW * max(len(rows), 1)
    parts = [
        f'<svg class="share-chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for row, (label, count) in enumerate(rows):
        y = row * ROW
        bar = max(1, round(BAR_WIDTH * count / total))
        percent = round(100 * count / total)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{bar}" height="12" class="bar"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{y + 14}">{count} ({percent} %)</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
