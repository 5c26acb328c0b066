"""An indicator's values over the years as a line chart: server-rendered SVG, no JavaScript.

Years run along x, values up y. Each area is a line of its own, told apart by its dash pattern
and marker as well as its colour, and named in a legend. A target is a dashed horizontal line
with its label, a baseline a ringed point with its year. The chart is one image to assistive
technology (``role="img"`` named by its title and description); the page follows it with the
numbers as a table, which says everything the chart shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

# The drawing's own units; the SVG scales to the width of its column.
WIDTH = 420
PLOT_TOP = 16
PLOT_LEFT = 52
PLOT_RIGHT = 16
PLOT_HEIGHT = 180
LEGEND_LINE = 20

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), and a second cue each.
SERIES_STYLES = (
    ("#0b5394", "", "circle"),
    ("#8a4b00", "6 3", "square"),
    ("#1e6b34", "2 3", "diamond"),
    ("#6a1b9a", "8 3 2 3", "circle"),
    ("#b3261e", "4 4", "square"),
    ("#37474f", "1 2", "diamond"),
)


@dataclass(frozen=True)
class Series:
    """One area's values, by year."""

    label: str
    points: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class TargetLine:
    """A target drawn across the chart, and an optional baseline point."""

    label: str
    value: float
    year: int
    baseline_year: int | None = None
    baseline_value: float | None = None


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    # From the tick at or below the lowest value up to the first at or above the highest,
    # so every value, target and baseline lies inside the plot.
    ticks = [round(first, 10)]
    while ticks[-1] < high:
        ticks.append(round(first + step * len(ticks), 10))
    return ticks


def _attr(value) -> str:
    return str(escape(str(value)))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return (
            f'<rect x="{_num(x - 3.5)}" y="{_num(y - 3.5)}" width="7" height="7" fill="{colour}"/>'
        )
    if shape == "diamond":
        return (
            f'<path d="M{_num(x)} {_num(y - 4.5)} L{_num(x + 4.5)} {_num(y)} L{_num(x)}'
            f' {_num(y + 4.5)} L{_num(x - 4.5)} {_num(y)} Z" fill="{colour}"/>'
        )
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3.5" fill="{colour}"/>'


def line_chart(
    chart_id: str,
    title: str,
    description: str,
    series: list[Series],
    targets: list[TargetLine] = (),
    *,
    number=_num,
) -> Markup:
    """The SVG of a line chart; ``number`` formats the axis and label values for reading."""
    years = sorted(
        {year for s in series for year, _v in s.points}
        | {t.year for t in targets}
        | {t.baseline_year for t in targets if t.baseline_year is not None}
    )
    values = (
        [v for s in series for _y, v in s.points]
        + [t.value for t in targets]
        + [t.baseline_value for t in targets if t.baseline_value is not None]
    )
    legend_rows = (
        len(series)
        + len(targets)
        + sum(1 for t in targets if t.baseline_year is not None and t.baseline_value is not None)
    )
    height = PLOT_TOP + PLOT_HEIGHT + 36 + LEGEND_LINE * legend_rows + 4
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg class="indicator-chart" id="{_attr(chart_id)}" role="img"'
        f' aria-labelledby="{_attr(title_id)} {_attr(desc_id)}"'
        f' viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{_attr(title_id)}">{escape(title)}</title>',
        f'<desc id="{_attr(desc_id)}">{escape(description)}</desc>',
    ]
    if not years or not values:
        parts.append("</svg>")
        return Markup("".join(parts))

    ticks = nice_ticks(min(values), max(values))
    # Start at zero when the values sit well above it, so that changes are not overstated.
    if min(values) >= 0 and ticks[0] > 0 and ticks[0] <= (ticks[-1] - ticks[0]) * 2:
        ticks = nice_ticks(0, max(values))
    low, high = ticks[0], ticks[-1]
    left, right = PLOT_LEFT, WIDTH - PLOT_RIGHT
    top, bottom = PLOT_TOP, PLOT_TOP + PLOT_HEIGHT
    first_year, last_year = years[0], years[-1]

    def x_of(year: int) -> float:
        if last_year == first_year:
            return (left + right) / 2
        inner_left, inner_right = left + 12, right - 12
        return inner_left + (year - first_year) / (last_year - first_year) * (
            inner_right - inner_left
        )

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    # Grid and y axis labels.
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line class="chart-grid" x1="{left}" x2="{right}" y1="{_num(y)}" y2="{_num(y)}"/>'
            f'<text class="chart-axis" x="{left - 6}" y="{_num(y + 4)}"'
            f' text-anchor="end">{escape(number(tick))}</text>'
        )
    # X axis: every year when few, else every few years (always the first and the last).
    span = last_year - first_year
    every = 1 if span <= 8 else (2 if span <= 16 else 5)
    for year in range(first_year, last_year + 1):
        if (year - first_year) % every and year != last_year:
            continue
        if year != last_year and last_year - year < every:
            continue
        parts.append(
            f'<text class="chart-axis" x="{_num(x_of(year))}" y="{bottom + 18}"'
            f' text-anchor="middle">{year}</text>'
        )
    parts.append(
        f'<line class="chart-axis-line" x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}"/>'
    )

    # The legend below the plot: a sample and a name a row.
    legend: list[tuple[str, str]] = []
    # Target lines (dashed, labelled in the plot too) and baselines (a ring).
    for target in targets:
        y = y_of(target.value)
        parts.append(
            f'<line class="chart-target" x1="{left}" x2="{right}" y1="{_num(y)}"'
            f' y2="{_num(y)}" stroke-dasharray="7 4"/>'
            f'<text class="chart-target-label" x="{right}" y="{_num(y - 5)}"'
            f' text-anchor="end">{escape(target.label)}</text>'
        )
        legend.append(("target", target.label))
        if target.baseline_year is not None and target.baseline_value is not None:
            bx, by = x_of(target.baseline_year), y_of(target.baseline_value)
            parts.append(f'<circle class="chart-baseline" cx="{_num(bx)}" cy="{_num(by)}" r="6"/>')
            legend.append(
                (
                    "baseline",
                    _(
                        "Baseline %(year)s: %(value)s",
                        year=target.baseline_year,
                        value=number(target.baseline_value),
                    ),
                )
            )
    # One line per area.
    for n, item in enumerate(series):
        colour, dash, shape = SERIES_STYLES[n % len(SERIES_STYLES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = sorted(item.points)
        if len(points) > 1:
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{_num(x_of(year))} {_num(y_of(value))}"
                for i, (year, value) in enumerate(points)
            )
            parts.append(
                f'<path class="chart-line" d="{path}" stroke="{colour}"{dash_attr} fill="none"/>'
            )
        parts.extend(_marker(shape, x_of(year), y_of(value), colour) for year, value in points)
        legend.append((f"series-{n}", item.label))
    legend_y = bottom + 36
    for row, (kind, label) in enumerate(legend):
        ly = legend_y + LEGEND_LINE * row
        if kind == "target":
            sample = (
                f'<line class="chart-target" x1="{left}" x2="{left + 28}" y1="{ly}" y2="{ly}"'
                ' stroke-dasharray="7 4"/>'
            )
        elif kind == "baseline":
            sample = f'<circle class="chart-baseline" cx="{left + 14}" cy="{ly}" r="6"/>'
        else:
            colour, dash, shape = SERIES_STYLES[int(kind[7:]) % len(SERIES_STYLES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            sample = (
                f'<line class="chart-line" x1="{left}" x2="{left + 28}" y1="{ly}" y2="{ly}"'
                f' stroke="{colour}"{dash_attr}/>' + _marker(shape, left + 14, ly, colour)
            )
        parts.append(
            sample + f'<text class="chart-legend" x="{left + 36}" y="{ly + 5}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
