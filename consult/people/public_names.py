"""The name the public sees beside what someone wrote, as the author chose it.

Computed when a page, the open data or a public export is rendered, from the author's account
as it is now: a changed choice (or a closed account) applies at once to everything already
published. Staff always see the full name (``staff_name``).

- a private individual: "Anna Lind" (full), "Anna L." (initial), "Privatperson, Umeå" (hidden);
- an organisation's representative: the organisation, with their name as they chose it
  ("Anna Lind", "Anna L.") or the organisation alone (hidden).

Whether someone wrote for an organisation is read from the comment (its organisation at the
time it was written), so a comment written as a private individual stays one.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from ..models import Comment, NameShown, User


@dataclass(frozen=True)
class Byline:
    """Who wrote something, as the public sees it: a person, an organisation, or both."""

    person: str | None
    organisation: str | None = None
    # Staff have verified that the author speaks for this organisation (and still do).
    verified: bool = False
    # The author chose not to show their name (or closed their account).
    hidden: bool = False

    def __str__(self) -> str:
        return ", ".join(part for part in (self.person, self.organisation) if part)


def initial_form(full_name: str) -> str:
    """Return the first name and the initial of the last: "Anna Lind" -> "Anna L."."""
    words = full_name.split()
    if len(words) < 2:
        return full_name.strip()
    return f"{words[0]} {words[-1][0]}."


def anonymous_individual(municipality: str | None) -> str:
    """Return "Privatperson, Umeå", or "Privatperson" without a municipality (translated)."""
    if municipality:
        return _("Private individual, %(municipality)s", municipality=municipality)
    return _("Private individual")


def person_name(author: User, *, individual: bool) -> str | None:
    """Return the person as the public sees them, or None when an organisation stands alone."""
    shown = NameShown(author.name_shown or NameShown.FULL)
    if author.erased_at is not None:
        shown = NameShown.HIDDEN
    if shown == NameShown.FULL:
        return author.display_name
    if shown == NameShown.INITIAL:
        return initial_form(author.display_name)
    return anonymous_individual(author.municipality) if individual else None


def public_byline(
    author: User, organisation_name: str | None = None, organisation_id: int | None = None
) -> Byline:
    """Return the public byline of ``author`` writing for ``organisation_name`` (or as themself)."""
    hidden = author.erased_at is not None or author.name_shown == NameShown.HIDDEN
    if not organisation_name:
        return Byline(person_name(author, individual=True), hidden=hidden)
    verified = (
        organisation_id is not None
        and author.is_verified
        and author.organisation_id == organisation_id
    )
    return Byline(person_name(author, individual=False), organisation_name, verified, hidden)


def preview(user: User, shown: NameShown) -> str:
    """Return how ``user`` would appear with the choice ``shown``, writing as they are now."""
    organisation = user.organisation.name if user.organisation else None
    if shown == NameShown.FULL:
        person = user.display_name
    elif shown == NameShown.INITIAL:
        person = initial_form(user.display_name)
    else:
        person = None if organisation else anonymous_individual(user.municipality)
    return ", ".join(part for part in (person, organisation) if part)


def comment_byline(comment: Comment) -> Byline:
    """Return the public byline of a comment: its author now, its organisation when written."""
    return public_byline(
        comment.author, comment.author_organisation_name, comment.author_organisation_id
    )


def staff_name(author: User) -> str:
    """Return the name staff see: the full name, or "Closed account" once erased."""
    if author.erased_at is not None:
        return _("Closed account")
    return author.display_name


def comment_name_for(viewer: User | None, comment: Comment) -> str:
    """Return how ``viewer`` names the author of ``comment`` in a sentence."""
    if viewer is not None and getattr(viewer, "is_staff", False):
        return staff_name(comment.author)
    return str(comment_byline(comment))
