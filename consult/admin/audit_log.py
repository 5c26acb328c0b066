"""The audit log as administrators read it: entries filtered and paged, each change shown with
names instead of codes and ids, linked to the page of what it names where there is one.

Every function takes the acting user and raises NotAllowed unless they are an administrator.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..analysis import labels as analysis_labels
from ..consultations.diff import word_diff
from ..dates import when
from ..events import labels as event_labels
from ..followup import labels as followup_labels
from ..groups import labels as groups_labels
from ..labels import STATUS_LABELS as COMMENT_STATUS_LABELS
from ..models import (
    Analysis,
    AuditEntry,
    Comment,
    Consultation,
    Organisation,
    Round,
    Theme,
    User,
)
from ..moderation import labels as moderation_labels
from ..moderation import reasons
from ..people import labels as people_labels
from ..permissions import require_admin
from ..site import labels as site_labels
from ..synthesis import labels as synthesis_labels
from . import labels

# Fields that say which part of the draft an entry is about: shown even when unchanged.
CONTEXT_FIELDS = frozenset({"paragraph", "section"})
# The log also holds what the other areas record; each names its own entries.
ACTION_LABELS = (
    labels.ACTION_LABELS
    | people_labels.ACTION_LABELS
    | moderation_labels.AUDIT_ACTION_LABELS
    | analysis_labels.AUDIT_ACTION_LABELS
    | synthesis_labels.AUDIT_ACTION_LABELS
    | site_labels.AUDIT_ACTION_LABELS
    | event_labels.AUDIT_ACTION_LABELS
    | groups_labels.AUDIT_ACTION_LABELS
    | followup_labels.AUDIT_ACTION_LABELS
)
FIELD_LABELS = (
    labels.FIELD_LABELS
    | people_labels.FIELD_LABELS
    | moderation_labels.AUDIT_FIELD_LABELS
    | analysis_labels.AUDIT_FIELD_LABELS
    | synthesis_labels.AUDIT_FIELD_LABELS
    | site_labels.AUDIT_FIELD_LABELS
    | groups_labels.AUDIT_FIELD_LABELS
)
OBJECT_LABELS = (
    labels.OBJECT_LABELS
    | people_labels.OBJECT_LABELS
    | moderation_labels.AUDIT_OBJECT_LABELS
    | analysis_labels.AUDIT_OBJECT_LABELS
    | synthesis_labels.AUDIT_OBJECT_LABELS
    | site_labels.AUDIT_OBJECT_LABELS
    | event_labels.AUDIT_OBJECT_LABELS
    | groups_labels.AUDIT_OBJECT_LABELS
    | followup_labels.AUDIT_OBJECT_LABELS
)
# A field's name where areas use it differently (a comment's "status" is not a synthesis's).
FIELD_LABELS_BY_OBJECT = {
    "comment": moderation_labels.AUDIT_FIELD_LABELS,
    "synthesis": synthesis_labels.AUDIT_FIELD_LABELS,
    "theme": analysis_labels.AUDIT_FIELD_LABELS,
    "analysis": analysis_labels.AUDIT_FIELD_LABELS,
    "user_account": people_labels.FIELD_LABELS,
    "organisation": people_labels.FIELD_LABELS,
    "site_page": site_labels.AUDIT_FIELD_LABELS,
    "retention_setting": site_labels.AUDIT_FIELD_LABELS,
}
# Fields logged as ids that the log shows by name: named without "(number)".
NAMED_FIELD_LABELS = {
    "theme_id": _l("Theme"),
    "round_id": _l("Round"),
    "merged_into_id": _l("Merged into"),
    "parts": _l("Split into"),
}
# Fields whose value is the id of a theme, whatever the entry is about.
THEME_FIELDS = frozenset({"theme_id", "parts"})


@dataclass(frozen=True)
class Named:
    """Something a log entry names: its readable name, linked when it has a page."""

    text: str
    url: str | None = None

    def __html__(self) -> str:
        if self.url:
            return Markup('<a href="{}">{}</a>').format(self.url, self.text)
        return str(escape(self.text))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Names:
    """Several named things in one value (e.g. the parts a theme was split into)."""

    items: tuple[Named, ...]

    def __html__(self) -> str:
        return str(Markup(", ").join(Markup(item.__html__()) for item in self.items))

    def __str__(self) -> str:
        return ", ".join(item.text for item in self.items)


@dataclass
class Shown:
    """What the log page needs: per entry its changes and a name for the object it concerns."""

    changes: dict[int, list[tuple[str, object, object]]]
    objects: dict[tuple[str, int], Named]


def labels_for_pages() -> dict:
    """The names the log and the round page use for actions, fields, objects and choices."""
    return {
        "actions": ACTION_LABELS,
        "fields": FIELD_LABELS,
        "objects": OBJECT_LABELS,
        "moderation": labels.MODERATION_LABELS,
        "commenters": labels.COMMENTERS_LABELS,
    }


def history(session: Session, actor: User, obj: Round | Consultation) -> list[AuditEntry]:
    """Return the audit entries about ``obj``, newest first."""
    require_admin(actor)
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == obj.__tablename__, AuditEntry.object_id == obj.id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


def audit_log(
    session: Session,
    actor: User,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> audit.Page:
    """Return one page of the audit log, newest first, filtered by action and by actor."""
    require_admin(actor)
    return audit.entries(session, action=action, actor_id=actor_id, page=page, per_page=per_page)


def audit_filters(session: Session, actor: User) -> tuple[list[str], list[User]]:
    """Return the actions and the actors that occur in the audit log."""
    require_admin(actor)
    return audit.actions(session), audit.actors(session)


def object_titles(
    session: Session, actor: User, entries: list[AuditEntry]
) -> dict[tuple[str, int], str]:
    """Return a readable title for each object the entries are about (as plain text)."""
    return {key: str(named) for key, named in shown(session, actor, entries).objects.items()}


def shown(session: Session, actor: User, entries: Iterable[AuditEntry]) -> Shown:
    """Return the entries' changes as a reader sees them, and what each entry concerns.

    Codes become their names (statuses, roles, reasons, responses), ids become the names of
    the themes, rounds, users and organisations they stand for, linked to their pages.
    """
    require_admin(actor)
    entries = list(entries)
    names = _Resolver(session, entries)
    changes = {entry.id: _changes(entry, names) for entry in entries}
    objects = {}
    for entry in entries:
        if entry.object_id is not None:
            objects[(entry.object_type, entry.object_id)] = names.object(
                entry.object_type, entry.object_id
            )
    return Shown(changes, objects)


def _changes(entry: AuditEntry, names: _Resolver) -> list[tuple[str, object, object]]:
    rows = []
    for change in audit.changes(entry):
        field = change.field
        before = names.value(entry, field, change.before)
        after = names.value(entry, field, change.after)
        if field == "text" and change.before and change.after:
            # A paragraph's new text reads best as a word diff against the old one.
            before = after = word_diff(
                change.before, change.after, removed_cue=_("Removed:"), added_cue=_("Added:")
            )
        if before != after or field in CONTEXT_FIELDS or field == "text":
            rows.append((_field_label(entry.object_type, field), before, after))
    return rows


def _field_label(object_type: str, field: str) -> str:
    label = (
        NAMED_FIELD_LABELS.get(field)
        or FIELD_LABELS_BY_OBJECT.get(object_type, {}).get(field)
        or FIELD_LABELS.get(field, field)
    )
    return str(label)


def _entry_values(entry: AuditEntry) -> list[tuple[str, object]]:
    values = []
    for raw in (entry.before, entry.after):
        values += list((json.loads(raw) if raw else {}).items())
    return values


def _names_themes(entry: AuditEntry, field: str) -> bool:
    """Whether ``field`` of ``entry`` holds theme ids (a merged theme names its target)."""
    return field in THEME_FIELDS or (field == "merged_into_id" and entry.object_type == "theme")


def _ids(value) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, int) and not isinstance(i, bool)]


class _Resolver:
    """Looks up, in a few queries, the names of everything a page of entries refers to."""

    def __init__(self, session: Session, entries: list[AuditEntry]):
        wanted: dict[str, set[int]] = {
            "theme": set(),
            "round": set(),
            "consultation": set(),
            "user_account": set(),
            "organisation": set(),
            "comment": set(),
            "analysis": set(),
        }
        for entry in entries:
            if entry.object_type in wanted and entry.object_id is not None:
                wanted[entry.object_type].add(entry.object_id)
            for field, value in _entry_values(entry):
                if _names_themes(entry, field):
                    wanted["theme"].update(_ids(value))
                elif field == "merged_into_id" and entry.object_type == "organisation":
                    wanted["organisation"].update(_ids(value))
                elif field == "round_id":
                    wanted["round"].update(_ids(value))
        self.themes = {
            t.id: t for t in session.scalars(select(Theme).where(Theme.id.in_(wanted["theme"])))
        }
        self.rounds = {
            r.id: r
            for r in session.scalars(
                select(Round)
                .where(Round.id.in_(wanted["round"]))
                .options(selectinload(Round.consultation))
            )
        }
        self.consultations = {
            c.id: c
            for c in session.scalars(
                select(Consultation).where(Consultation.id.in_(wanted["consultation"]))
            )
        }
        self.users = {
            u.id: u
            for u in session.scalars(select(User).where(User.id.in_(wanted["user_account"])))
        }
        self.organisations = {
            o.id: o
            for o in session.scalars(
                select(Organisation).where(Organisation.id.in_(wanted["organisation"]))
            )
        }
        self.comments = {
            c.id: c
            for c in session.scalars(
                select(Comment)
                .where(Comment.id.in_(wanted["comment"]))
                .options(selectinload(Comment.author))
            )
        }
        self.analyses = {
            a.id: a
            for a in session.scalars(
                select(Analysis)
                .where(Analysis.id.in_(wanted["analysis"]))
                .options(selectinload(Analysis.round).selectinload(Round.consultation))
            )
        }

    def theme(self, theme_id: int) -> Named:
        theme = self.themes.get(theme_id)
        if theme is None:
            return Named(_("Theme #%(id)s (no longer stored)", id=theme_id))
        url = url_for("analysis.theme", round_id=theme.round_id, theme_key=theme.id)
        return Named(theme.name, url)

    def round(self, round_id: int) -> Named:
        round_ = self.rounds.get(round_id)
        if round_ is None:
            return Named(_("Round #%(id)s", id=round_id))
        return Named(
            f"{round_.consultation.title} – {round_.title}",
            url_for("admin.round_page", round_id=round_.id),
        )

    def object(self, object_type: str, object_id: int) -> Named:
        """The name and page of the object an entry is about (its number when it has none)."""
        if object_type == "round":
            return self.round(object_id)
        if object_type == "consultation" and object_id in self.consultations:
            return Named(
                self.consultations[object_id].title,
                url_for("admin.edit_consultation", consultation_id=object_id),
            )
        if object_type == "theme" and object_id in self.themes:
            return self.theme(object_id)
        if object_type == "user_account" and object_id in self.users:
            user = self.users[object_id]
            return Named(user.display_name, url_for("people.user", user_id=object_id))
        if object_type == "organisation" and object_id in self.organisations:
            organisation = self.organisations[object_id]
            return Named(
                organisation.name, url_for("people.organisation", organisation_id=object_id)
            )
        if object_type == "comment" and object_id in self.comments:
            comment = self.comments[object_id]
            return Named(
                _(
                    "Comment by %(name)s (no. %(id)s)",
                    name=comment.author.display_name,
                    id=object_id,
                ),
                url_for("consultations.comment", comment_id=object_id),
            )
        if object_type == "analysis" and object_id in self.analyses:
            round_ = self.analyses[object_id].round
            return Named(
                _("Analysis of %(round)s", round=f"{round_.consultation.title} – {round_.title}"),
                url_for("analysis.round_page", round_id=round_.id),
            )
        return Named(f"#{object_id}")

    def value(self, entry: AuditEntry, field: str, value):
        """One logged value as a reader sees it: dates in Stockholm time, codes and ids named."""
        if value is None or value == "" or value == []:
            return "–"
        if _names_themes(entry, field):
            named = tuple(self.theme(i) for i in _ids(value))
            return named[0] if len(named) == 1 and not isinstance(value, list) else Names(named)
        if field == "merged_into_id" and entry.object_type == "organisation":
            organisation = self.organisations.get(value)
            if organisation is not None:
                return Named(
                    organisation.name, url_for("people.organisation", organisation_id=value)
                )
        if field == "round_id" and isinstance(value, int):
            return self.round(value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if field.endswith("_at") and isinstance(value, str):
            try:
                return when(datetime.fromisoformat(value))
            except ValueError:
                return value
        named = _code_label(entry.object_type, field, value)
        return str(named) if named is not None else str(value)


def _code_label(object_type: str, field: str, value) -> object | None:
    """The name of a coded value (a status, role, reason, response), or None."""
    tables = {
        "moderation": labels.MODERATION_LABELS,
        "commenters": labels.COMMENTERS_LABELS,
        "role": people_labels.ROLE_LABELS,
        "organisation_claim": people_labels.CLAIM_LABELS,
        "response": synthesis_labels.RESPONSE_LABELS,
    }
    if field == "status":
        table = (
            synthesis_labels.STATUS_LABELS if object_type == "synthesis" else COMMENT_STATUS_LABELS
        )
        return table.get(value)
    if field == "moderation_reason":
        return reasons.label(value)
    table = tables.get(field)
    return table.get(value) if table is not None else None
