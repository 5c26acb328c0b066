"""Reading and saving the privacy notice and the accessibility statement.

A page is its default text (``content.DEFAULTS``) overlaid with what an administrator saved.
Saving is for administrators only, audited with the fields that changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, clock
from ..errors import Invalid, NotFound
from ..models import SitePage
from ..permissions import require_admin
from ..sanitise import UnsafeText, comment_html, normalise_text
from . import content


@dataclass
class Page:
    """One of the site's pages: its fields, and when an administrator last saved it."""

    key: str
    fields: dict[str, str]
    updated_at: datetime | None

    @property
    def is_default(self) -> bool:
        """True until an administrator has saved the page."""
        return self.updated_at is None

    def html(self, name: str) -> Markup:
        """Field ``name`` rendered from Markdown and sanitised."""
        return Markup(comment_html(self.fields.get(name, "")))


def _row(session: Session, key: str) -> SitePage | None:
    return session.scalar(select(SitePage).where(SitePage.key == key))


def page(session: Session, key: str) -> Page:
    """Return page ``key`` as everyone reads it."""
    if key not in content.FIELDS:
        raise NotFound()
    fields = dict(content.DEFAULTS[key])
    row = _row(session, key)
    if row is None:
        return Page(key, fields, None)
    saved = json.loads(row.content or "{}")
    fields.update({k: v for k, v in saved.items() if k in content.FIELDS[key]})
    return Page(key, fields, row.updated_at)


def _clean(key: str, values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for name in content.FIELDS[key]:
        raw = values.get(name) or ""
        try:
            text = normalise_text(raw)
        except UnsafeText:
            errors[name] = "unreadable"
            continue
        limit = content.MAX_SHORT if name in content.SHORT_FIELDS else content.MAX_LONG
        if not text:
            errors[name] = "required"
        elif len(text) > limit:
            errors[name] = "too_long"
        elif name == "status" and text not in content.STATUSES:
            errors[name] = "choice"
        else:
            cleaned[name] = text
    if errors:
        raise Invalid(errors)
    return cleaned


def save(session: Session, actor, key: str, values: dict[str, str]) -> Page:
    """Save page ``key`` from ``values`` (a field may not be empty); return it.

    Raises NotAllowed for anyone but an administrator and Invalid naming each bad field.
    """
    require_admin(actor)
    if key not in content.FIELDS:
        raise NotFound()
    cleaned = _clean(key, values)
    before = page(session, key).fields
    row = _row(session, key)
    now = clock.now()
    if row is None:
        row = SitePage(key=key)
        session.add(row)
    row.content = json.dumps(cleaned, ensure_ascii=False)
    row.updated_at = now
    old, new = audit.changed(before, cleaned)
    audit.record(session, actor, f"site_page.{key}", row, old, new, now=now)
    session.commit()
    return Page(key, cleaned, now)
