"""Checking one value of follow-up input, the same way for a form and for a row of an import
file: each function returns ``(value, None)`` or ``(None, key)`` with a key of
``labels.MESSAGES``. Services gather the keys per field and raise ``Invalid``; imports gather
them per row and column.
"""

from __future__ import annotations

import math
import re
from datetime import date

from ..models import ActionStatus
from ..sanitise import UnsafeText, normalise_text
from . import agenda2030

MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_SHORT = 200
FIRST_YEAR, LAST_YEAR = 1900, 2100

_NUMBER = re.compile(r"^[+\-−]?\d[\d \u00a0]*([.,]\d+)?$|^[+\-−]?[.,]\d+$")


def text(raw, limit: int = MAX_TITLE, *, required: bool = False):
    """Trimmed text of at most ``limit`` characters, without control characters."""
    try:
        value = normalise_text("" if raw is None else str(raw)).strip()
    except UnsafeText:
        return None, "unreadable"
    if required and not value:
        return None, "required"
    if len(value) > limit:
        return None, "too_long"
    return value, None


def number(raw, *, required: bool = False):
    """A finite number; Swedish decimal commas and thousands spaces are accepted ("1 234,5")."""
    if isinstance(raw, bool):
        return None, "number"
    if isinstance(raw, int | float):
        return (float(raw), None) if math.isfinite(raw) else (None, "number")
    value = ("" if raw is None else str(raw)).strip()
    if not value:
        return (None, "required") if required else (None, None)
    if not _NUMBER.match(value):
        return None, "number"
    cleaned = value.replace("\u00a0", "").replace(" ", "").replace(",", ".").replace("−", "-")
    result = float(cleaned)
    # 400 digits are a number to the pattern but infinity to float: not a measured value.
    return (result, None) if math.isfinite(result) else (None, "number")


def year(raw, *, required: bool = False):
    """A whole year from 1900 to 2100."""
    value, error = number(raw, required=required)
    if error or value is None:
        return None, error
    if value != int(value) or not FIRST_YEAR <= value <= LAST_YEAR:
        return None, "year"
    return int(value), None


def day(raw, *, required: bool = False):
    """A date written YYYY-MM-DD (or a date/datetime object, as spreadsheet cells give)."""
    if isinstance(raw, date):
        return (raw.date() if hasattr(raw, "date") and callable(raw.date) else raw), None
    value = ("" if raw is None else str(raw)).strip()
    if not value:
        return (None, "required") if required else (None, None)
    try:
        # A spreadsheet's "2024-05-01 00:00:00" is a date too.
        if len(value) > 10 and value[10] in " T":
            value = value[:10]
        return date.fromisoformat(value), None
    except ValueError:
        return None, "date"


def percent(raw, *, required: bool = True):
    """A whole percentage from 0 to 100 (a trailing "%" is allowed)."""
    value = raw.strip().removesuffix("%").strip() if isinstance(raw, str) else raw
    number_value, error = number(value, required=required)
    if error or number_value is None:
        return None, ("percent" if error == "number" else error)
    if number_value != int(number_value) or not 0 <= number_value <= 100:
        return None, "percent"
    return int(number_value), None


def weight(raw):
    """An action's weight in a goal's progress: a whole number from 1 to 100 (default 1)."""
    value, error = number(raw)
    if error:
        return None, "weight"
    if value is None:
        return 1, None
    if value != int(value) or not 1 <= value <= 100:
        return None, "weight"
    return int(value), None


def status(raw):
    """An action status, by its stored value ("ongoing")."""
    try:
        return ActionStatus(("" if raw is None else str(raw)).strip().lower()), None
    except ValueError:
        return None, "choice"


def global_goals(codes) -> tuple[list[str] | None, str | None]:
    """Known global goal and target numbers ("11", "11.2"), in order, without repeats."""
    found: list[str] = []
    for code in codes:
        code = str(code).strip()
        if not code:
            continue
        if not agenda2030.known(code):
            return None, "unknown_global_goal"
        if code not in found:
            found.append(code)
    return sorted(found, key=agenda2030.sort_key), None


def period(starts_on, ends_on):
    """The error key when an end comes before its start, else None."""
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        return "ends_before_start"
    return None
