"""Figures as the follow-up's readers read them, the same on the public pages, in the yearly
report and in its Word file: numbers in the reader's language ("1 234,5" in Swedish), changes
with their sign, and an indicator's latest change in its own unit ("+1,2 procentenheter sedan
2021" for a percentage, never "+1,2 %").

Staff forms (``manage_routes``) and the indicator import write numbers for editing, not reading,
and keep their own plain formats.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import numbers as babel_numbers
from flask_babel import format_decimal
from flask_babel import gettext as _


def number(value: float | None, decimals: int = 1, unit: str = "") -> str:
    """A number as the reader's language writes it, rounded to at most ``decimals`` decimals
    (Swedish: "1 234,5"; "12" rather than "12,0"), with its unit if given; "–" for none."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    try:
        text = format_decimal(value, format=pattern)
    except RuntimeError:  # outside a request (a report built by a command): Swedish
        text = babel_numbers.format_decimal(value, format=pattern, locale="sv")
    if text.startswith("-"):
        text = "−" + text[1:]
    if text.strip("−0,. \xa0") == "":
        text = format_decimal(0, format="#,##0")
    return f"{text} {unit}".strip() if unit else text


def signed(value: float, decimals: int = 1) -> str:
    """A change with its sign: "+1,2", "−0,4", and "0" for what rounds to nothing."""
    text = number(abs(value), decimals)
    if text == number(0):
        return text
    return ("+" if value > 0 else "−") + text


def percent(value: float | None, decimals: int = 0) -> str:
    """A share in per cent: "45 %"; "–" for none."""
    return number(value, decimals, "%")


# The decimals a change is written with; one that rounds to nothing is "unchanged".
DECIMALS = 1


@dataclass(frozen=True)
class Change:
    """An indicator's change in one area from year ``since`` to year ``year``."""

    unit: str
    higher_is_better: bool
    since: int
    year: int
    delta: float

    @property
    def good(self) -> bool | None:
        """Whether it goes the way the indicator should move; None when it rounds to nothing
        (the reader sees "0", so it is "unchanged")."""
        if round(self.delta, DECIMALS) == 0:
            return None
        return (self.delta > 0) == self.higher_is_better

    @property
    def way(self) -> str:
        """ "up", "down" or "same": which way the value moved (not whether that is good)."""
        if round(self.delta, DECIMALS) == 0:
            return "same"
        return "up" if self.delta > 0 else "down"

    @property
    def text(self) -> str:
        """ "+1,2 percentage points since 2021" (for %), "+3 people since 2021", "+0,4 since …"."""
        unit = self.unit.strip()
        amount = signed(self.delta, DECIMALS)
        if unit == "%":
            return _("%(amount)s percentage points since %(year)s", amount=amount, year=self.since)
        if unit:
            return _(
                "%(amount)s %(unit)s since %(year)s", amount=amount, unit=unit, year=self.since
            )
        return _("%(amount)s since %(year)s", amount=amount, year=self.since)

    @property
    def verdict(self) -> str:
        if self.good is None:
            return _("unchanged")
        return _("a change for the better") if self.good else _("a change for the worse")


def latest_change(unit: str, direction, points) -> Change | None:
    """The change between the last two of ``points`` ((year, value) pairs, any order), if
    there are two; ``direction`` is the indicator's ("higher" or "lower", or its enum)."""
    points = sorted(points)
    if len(points) < 2:
        return None
    (since, before), (year, after) = points[-2], points[-1]
    higher = getattr(direction, "value", direction) == "higher"
    return Change(unit or "", higher, year=year, since=since, delta=after - before)
