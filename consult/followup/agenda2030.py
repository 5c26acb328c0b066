"""The 17 global goals of Agenda 2030 and their targets, built in (read from
``data/agenda2030.json``, whose ``source`` says where the wording comes from).

A goal is named by its number ("11"), a target by the goal's number and its own ("11.2",
"11.a"). Strategy goals and actions link to either; ``goal_number`` maps both to the goal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import get_locale

DATA = Path(__file__).with_name("data") / "agenda2030.json"


@dataclass(frozen=True)
class GlobalTarget:
    code: str
    goal: int
    sv: str
    en: str

    @property
    def name(self) -> str:
        """The target's short wording in the reader's language."""
        return _in_locale(self.sv, self.en)


@dataclass(frozen=True)
class GlobalGoal:
    number: int
    sv: str
    en: str
    colour: str
    targets: tuple[GlobalTarget, ...]

    @property
    def code(self) -> str:
        return str(self.number)

    @property
    def name(self) -> str:
        """The goal's official short name in the reader's language."""
        return _in_locale(self.sv, self.en)


def _in_locale(sv: str, en: str) -> str:
    try:
        language = get_locale().language
    except (AttributeError, RuntimeError):
        language = "sv"
    return en if language == "en" else sv


@cache
def goals() -> tuple[GlobalGoal, ...]:
    """The 17 goals in order, each with its targets."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(
        GlobalGoal(
            number=g["number"],
            sv=g["sv"],
            en=g["en"],
            colour=g["colour"],
            targets=tuple(
                GlobalTarget(code=t["code"], goal=g["number"], sv=t["sv"], en=t["en"])
                for t in g["targets"]
            ),
        )
        for g in raw["goals"]
    )


@cache
def _by_code() -> dict[str, GlobalGoal | GlobalTarget]:
    found: dict[str, GlobalGoal | GlobalTarget] = {}
    for goal in goals():
        found[goal.code] = goal
        for target in goal.targets:
            found[target.code] = target
    return found


def known(code: str) -> bool:
    """Whether ``code`` names a global goal or one of its targets."""
    return code in _by_code()


def get(code: str) -> GlobalGoal | GlobalTarget | None:
    """The goal or target named ``code``, or None."""
    return _by_code().get(code)


def goal(number: int | str) -> GlobalGoal | None:
    """The goal with this number, or None."""
    found = _by_code().get(str(number))
    return found if isinstance(found, GlobalGoal) else None


def goal_number(code: str) -> int:
    """The number of the goal a goal or target code belongs to ("11.2" → 11)."""
    return int(code.split(".", 1)[0])


def sort_key(code: str) -> tuple:
    """Order codes as the agenda does: 1, 1.1, … 1.5, 1.a, 1.b, 2, …"""
    head, _, tail = code.partition(".")
    return (int(head), tail != "", (0, int(tail)) if tail.isdigit() else (1, tail))
