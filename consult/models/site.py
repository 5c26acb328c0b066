"""What the installation publishes about itself and how long it keeps personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from .base import UTCDateTime, utcnow


class SitePage(Base):
    """An administrator's text for one of the site's own pages ("privacy", "accessibility").

    ``content`` holds the page's fields as a JSON object; a page without a row shows the
    product's default text. Who changed it is in the audit log.
    """

    __tablename__ = "site_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    content: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RetentionSetting(Base):
    """How many days personal data that is no longer needed is kept (one row at most).

    Without a row the defaults in ``consult.site.retention`` apply.
    """

    __tablename__ = "retention_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    unconfirmed_account_days: Mapped[int] = mapped_column(Integer)
    outbox_email_days: Mapped[int] = mapped_column(Integer)
    read_notification_days: Mapped[int] = mapped_column(Integer)
    # Dietary and accessibility needs given when registering for an event, after the event.
    event_needs_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
