"""How far a goal has come: the weighted progress of the actions that serve it.

A goal's progress is the mean of its actions' progress, each counted ``weight`` times (the
weight is set on the link between the action and the goal). Stopped actions are left out: they
will not move, and counting them would make the goal look further from done than the work that
goes on. A priority's progress is the plain mean of its goals' progress. The parts are returned
with the figure so a page can show how it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Action, ActionStatus, Goal


@dataclass(frozen=True)
class Part:
    """One action's share in a goal's progress."""

    action: Action
    weight: int
    progress: int
    counted: bool


@dataclass(frozen=True)
class Progress:
    """A weighted progress figure (``None`` when nothing counts) and what it was made of."""

    value: float | None
    parts: tuple[Part, ...]

    @property
    def percent(self) -> int | None:
        """The figure rounded to a whole percentage, for display."""
        return None if self.value is None else round(self.value)

    @property
    def counted_weight(self) -> int:
        """The sum of the weights of the actions that count."""
        return sum(part.weight for part in self.parts if part.counted)


def goal_progress(goal: Goal) -> Progress:
    """Return the goal's weighted progress over its actions (stopped ones shown, not counted)."""
    parts = tuple(
        Part(
            action=link.action,
            weight=link.weight,
            progress=link.action.progress,
            counted=link.action.status != ActionStatus.STOPPED,
        )
        for link in sorted(goal.links, key=lambda link: (link.action.code, link.action.id))
    )
    counted = [part for part in parts if part.counted]
    total = sum(part.weight for part in counted)
    if not total:
        return Progress(None, parts)
    return Progress(sum(part.weight * part.progress for part in counted) / total, parts)


def mean_progress(progresses) -> float | None:
    """The plain mean of the figures that exist (a priority's progress over its goals)."""
    values = [p.value for p in progresses if p.value is not None]
    return sum(values) / len(values) if values else None
