"""Public addresses of the process pages, for code that also runs outside a request (e-mails,
calendar files, the personal data export), where ``url_for`` cannot build them.

tests/test_paths.py checks that they match the routes, so a moved route fails there.
"""

from __future__ import annotations

from .models import Event, WorkingGroup


def event_path(event: Event) -> str:
    """The path of the event's public page."""
    return f"/samrad/{event.consultation.slug}/moten/{event.slug}"


def group_path(group: WorkingGroup) -> str:
    """The path of the working group's public page."""
    return f"/samrad/{group.consultation.slug}/arbetsgrupper/{group.slug}"
