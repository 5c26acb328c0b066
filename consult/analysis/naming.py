"""A theme's name is its own among the round's current themes.

The database holds this (a unique index on the current themes' names, see
``models.Theme``); staff's renames and new themes are refused with a message when the name is
taken (letter case aside), while names the engine gives (a run, a split) are made free by
numbering them: "Trafik (2)".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Theme

NAME_MAX = 200


def key(name: str) -> str:
    """Return what two names must not share: the name, letter case aside."""
    return name.casefold()


class Names:
    """The names of a round's current themes, and which theme holds each."""

    def __init__(self, session: Session, round_id: int):
        rows = session.execute(
            select(Theme.id, Theme.name).where(
                Theme.round_id == round_id, Theme.retired_at.is_(None)
            )
        )
        self.holder: dict[str, int | None] = {key(name): theme_id for theme_id, name in rows}

    def taken(self, name: str, theme_id: int | None = None) -> bool:
        """True if a theme other than ``theme_id`` holds ``name``."""
        found = key(name)
        return found in self.holder and (theme_id is None or self.holder[found] != theme_id)

    def claim(self, name: str, theme_id: int | None = None) -> str:
        """Return ``name``, numbered if another theme holds it, and hold it for ``theme_id``
        (None: a theme not yet saved), giving up the name ``theme_id`` held before."""
        chosen, number = name, 2
        while self.taken(chosen, theme_id):
            suffix = f" ({number})"
            chosen = name[: NAME_MAX - len(suffix)] + suffix
            number += 1
        if theme_id is not None:
            for held, holder in list(self.holder.items()):
                if holder == theme_id:
                    del self.holder[held]
        self.holder[key(chosen)] = theme_id
        return chosen
