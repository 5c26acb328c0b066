"""Times of events as people read them, in Stockholm time and the user's language:
"lördag 26 september 2026 kl. 09.30–16.00", and clock times "09.30" in the programme."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from .. import clock


def hhmm(value: datetime) -> str:
    """A clock time in Stockholm ("09.30" in Swedish)."""
    # Translators: a CLDR time pattern; Swedish writes "09.30".
    return format_datetime(value, _("HH:mm"))


def day_label(value: date) -> str:
    """A day with its weekday ("lördag 26 september 2026")."""
    # Translators: a CLDR date pattern with the weekday; Swedish writes "lördag 26 september 2026".
    return format_date(value, _("EEEE d MMMM y"))


def when_range(starts_at: datetime, ends_at: datetime) -> str:
    """When an event runs: one day with its clock times, or from one day to another."""
    # Translators: a CLDR pattern; Swedish writes "lördag 26 september 2026 kl. 09.30".
    start = format_datetime(starts_at, _("EEEE d MMMM y 'at' HH:mm"))
    if clock.to_local(starts_at).date() == clock.to_local(ends_at).date():
        return f"{start}–{hhmm(ends_at)}"
    end = format_datetime(ends_at, _("EEEE d MMMM y 'at' HH:mm"))
    return f"{start} – {end}"


def iso_local(value: datetime) -> str:
    """A machine-readable time for <time datetime>, with the Stockholm offset."""
    return value.astimezone(clock.STOCKHOLM).isoformat(timespec="minutes")
