"""The current time, in one place so that tests can move it."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# Where the consultations happen: dates are entered and shown in this zone, stored in UTC.
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)
