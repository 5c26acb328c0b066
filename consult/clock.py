"""The current time, in one place so that tests can move it, and the one conversion between
Stockholm wall-clock time (what people enter and read) and the UTC kept in the database."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# Where the consultations happen: dates are entered and shown in this zone, stored in UTC.
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def to_utc(local: datetime | None) -> datetime | None:
    """A wall-clock time entered in Stockholm (naive) as an aware UTC timestamp."""
    if local is None:
        return None
    return local.replace(tzinfo=STOCKHOLM).astimezone(UTC)


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC timestamp as Stockholm wall-clock time (naive): for an input field, a
    spreadsheet cell (which keeps no time zone), or the day and clock time of a programme."""
    if value is None:
        return None
    return value.astimezone(STOCKHOLM).replace(tzinfo=None)
