"""Follow-up of an adopted strategy: its priorities and goals with quantified targets, the
actions (insatser) that serve them with their milestones, the indicators measured per area and
year, the links to the global goals of Agenda 2030 and to what was said in the consultation,
and the yearly results report.

Areas are Swedish county and municipality codes ("24", "2480"; ``consult.areas``). Global goals
and their targets are named by their numbers ("11", "11.2"; ``consult.followup.agenda2030``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base
from .analysis import Synthesis, Theme
from .base import UTCDateTime, enum_type, utcnow
from .consultations import Consultation, Paragraph
from .enums import ActionStatus, Direction, StrategyKind
from .people import User
from .process import WorkingGroup


class Strategy(Base):
    """A strategy followed up over its years: the region's own (adopted from a consultation's
    final draft) or an outside framework such as Europa 2020."""

    __tablename__ = "strategy"
    __table_args__ = (CheckConstraint("ends_year >= starts_year", name="strategy_years"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[StrategyKind] = mapped_column(
        enum_type(StrategyKind, "strategy_kind"), default=StrategyKind.STRATEGY
    )
    # The consultation whose final draft was adopted as this strategy (none for a framework).
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), unique=True)
    starts_year: Mapped[int] = mapped_column(Integer)
    ends_year: Mapped[int] = mapped_column(Integer)
    adopted_on: Mapped[date | None] = mapped_column(Date)
    # The public follow-up page shows the strategy from this moment.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Optimistic locking: a save names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation | None] = relationship()
    priorities: Mapped[list[Priority]] = relationship(
        back_populates="strategy", order_by="Priority.position, Priority.id"
    )
    goals: Mapped[list[Goal]] = relationship(
        back_populates="strategy", order_by="Goal.position, Goal.id"
    )
    actions: Mapped[list[Action]] = relationship(back_populates="strategy", order_by="Action.id")

    __mapper_args__ = {"version_id_col": version}

    @classmethod
    def published_by(cls, now: datetime):
        """The SQL condition: the strategy's publication time has come by ``now``."""
        return cls.published_at.is_not(None) & (cls.published_at <= now)


class Priority(Base):
    """A priority (inriktning) of a strategy, grouping its goals."""

    __tablename__ = "priority"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Optimistic locking: a save names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    strategy: Mapped[Strategy] = relationship(back_populates="priorities")
    goals: Mapped[list[Goal]] = relationship(
        back_populates="priority", order_by="Goal.position, Goal.id"
    )

    __mapper_args__ = {"version_id_col": version}


goal_sdg = Table(
    "goal_sdg",
    Base.metadata,
    Column("goal_id", ForeignKey("strategy_goal.id", ondelete="CASCADE"), primary_key=True),
    # A global goal ("11") or one of its targets ("11.2").
    Column("code", String(8), primary_key=True),
)

goal_indicator = Table(
    "goal_indicator",
    Base.metadata,
    Column("goal_id", ForeignKey("strategy_goal.id", ondelete="CASCADE"), primary_key=True),
    Column("indicator_id", ForeignKey("indicator.id", ondelete="CASCADE"), primary_key=True),
)


class Goal(Base):
    """A goal of a strategy, under one of its priorities (or directly under the strategy)."""

    __tablename__ = "strategy_goal"

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"), index=True)
    priority_id: Mapped[int | None] = mapped_column(ForeignKey("priority.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    code: Mapped[str] = mapped_column(String(20), default="", server_default="")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Optimistic locking: a save names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    strategy: Mapped[Strategy] = relationship(back_populates="goals")
    priority: Mapped[Priority | None] = relationship(back_populates="goals")
    targets: Mapped[list[GoalTarget]] = relationship(
        back_populates="goal", order_by="GoalTarget.position, GoalTarget.id"
    )
    indicators: Mapped[list[Indicator]] = relationship(
        secondary=goal_indicator, order_by="Indicator.name"
    )
    links: Mapped[list[ActionGoal]] = relationship(back_populates="goal")

    __mapper_args__ = {"version_id_col": version}


class GoalTarget(Base):
    """A quantified target of a goal: ``value`` ``unit`` by ``target_year``, from a baseline.

    ``label`` says whose target it is where a goal has several (e.g. "EU", "Sverige").
    With an indicator it is drawn as the target line on that indicator's chart for ``area_code``.
    """

    __tablename__ = "goal_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_goal.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    target_year: Mapped[int] = mapped_column(Integer)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    baseline_value: Mapped[float | None] = mapped_column(Float)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id"), index=True)
    area_code: Mapped[str | None] = mapped_column(String(4))
    # Optimistic locking: a save names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    goal: Mapped[Goal] = relationship(back_populates="targets")
    indicator: Mapped[Indicator | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


action_sdg = Table(
    "action_sdg",
    Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("code", String(8), primary_key=True),
)

action_area = Table(
    "action_area",
    Base.metadata,
    Column("action_id", ForeignKey("action.id", ondelete="CASCADE"), primary_key=True),
    Column("area_code", String(4), primary_key=True),
)


class Action(Base):
    """An action (insats) carried out under a strategy, by a unit or a working group."""

    __tablename__ = "action"
    __table_args__ = (
        CheckConstraint("progress >= 0 AND progress <= 100", name="action_progress"),
        CheckConstraint(
            "ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="action_dates"
        ),
        UniqueConstraint("strategy_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"), index=True)
    # The action's reference in the region's own lists and in import files ("A-12").
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    responsible: Mapped[str] = mapped_column(String(200), default="", server_default="")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("working_group.id"), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(
        enum_type(ActionStatus, "action_status"), default=ActionStatus.PLANNED
    )
    progress: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Optimistic locking: a save names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    strategy: Mapped[Strategy] = relationship(back_populates="actions")
    group: Mapped[WorkingGroup | None] = relationship()
    updated_by: Mapped[User | None] = relationship()
    goal_links: Mapped[list[ActionGoal]] = relationship(
        back_populates="action", cascade="all, delete-orphan"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="action",
        order_by="Milestone.due_on, Milestone.id",
        cascade="all, delete-orphan",
    )
    sources: Mapped[list[ActionSource]] = relationship(
        back_populates="action", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class ActionGoal(Base):
    """An action serving a goal; ``weight`` is its share in the goal's weighted progress."""

    __tablename__ = "action_goal"
    __table_args__ = (CheckConstraint("weight > 0", name="action_goal_weight"),)

    action_id: Mapped[int] = mapped_column(
        ForeignKey("action.id", ondelete="CASCADE"), primary_key=True
    )
    goal_id: Mapped[int] = mapped_column(
        ForeignKey("strategy_goal.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    action: Mapped[Action] = relationship(back_populates="goal_links")
    goal: Mapped[Goal] = relationship(back_populates="links")


class Milestone(Base):
    """A dated step of an action; ``done_on`` is set when it was reached."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    done_on: Mapped[date | None] = mapped_column(Date)

    action: Mapped[Action] = relationship(back_populates="milestones")


class ActionSource(Base):
    """What in the consultation an action answers: a synthesis response ("we decided"), a theme
    or a paragraph of the draft ("you said"). Exactly one of the three is set."""

    __tablename__ = "action_source"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN synthesis_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN theme_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN paragraph_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="action_source_one",
        ),
        # NULLs are distinct, so each says: the same thing is linked to an action once.
        UniqueConstraint("action_id", "synthesis_id", name="uq_action_source_synthesis"),
        UniqueConstraint("action_id", "theme_id", name="uq_action_source_theme"),
        UniqueConstraint("action_id", "paragraph_id", name="uq_action_source_paragraph"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    synthesis_id: Mapped[int | None] = mapped_column(
        ForeignKey("synthesis.id", ondelete="CASCADE"), index=True
    )
    theme_id: Mapped[int | None] = mapped_column(
        ForeignKey("theme.id", ondelete="CASCADE"), index=True
    )
    paragraph_id: Mapped[int | None] = mapped_column(
        ForeignKey("paragraph.id", ondelete="CASCADE"), index=True
    )

    action: Mapped[Action] = relationship(back_populates="sources")
    synthesis: Mapped[Synthesis | None] = relationship()
    theme: Mapped[Theme | None] = relationship()
    paragraph: Mapped[Paragraph | None] = relationship()


class Indicator(Base):
    """A measure followed per area and year (e.g. employment rate 20–64, %)."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The indicator's name in import files (e.g. Kolada's "N00914" or "sysselsattning-20-64").
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40), default="", server_default="")
    source: Mapped[str] = mapped_column(String(300), default="", server_default="")
    direction: Mapped[Direction] = mapped_column(
        enum_type(Direction, "indicator_direction"), default=Direction.HIGHER
    )
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Optimistic locking: a save names the version it read.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    values: Mapped[list[IndicatorValue]] = relationship(
        back_populates="indicator", order_by="IndicatorValue.year"
    )

    __mapper_args__ = {"version_id_col": version}


class IndicatorValue(Base):
    """One measured value of an indicator, for an area and a year."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("indicator_id", "area_code", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    area_code: Mapped[str] = mapped_column(String(4), index=True)
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)

    indicator: Mapped[Indicator] = relationship(back_populates="values")


class FollowupReport(Base):
    """The yearly results report of a strategy: generated from the follow-up data of ``year``,
    with staff's foreword and per-goal comments; public once published."""

    __tablename__ = "followup_report"
    __table_args__ = (UniqueConstraint("strategy_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategy.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    foreword: Mapped[str] = mapped_column(Text, default="", server_default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The report's content as published (JSON), so later changes to actions, indicators and
    # goals leave a published year as it was read; None while it is a draft.
    snapshot: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    strategy: Mapped[Strategy] = relationship()
    updated_by: Mapped[User | None] = relationship()
    goal_notes: Mapped[list[ReportGoalNote]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class ReportGoalNote(Base):
    """Staff's comment on one goal in a yearly report."""

    __tablename__ = "report_goal_note"
    __table_args__ = (UniqueConstraint("report_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("followup_report.id", ondelete="CASCADE"), index=True
    )
    goal_id: Mapped[int] = mapped_column(ForeignKey("strategy_goal.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="", server_default="")

    report: Mapped[FollowupReport] = relationship(back_populates="goal_notes")
    goal: Mapped[Goal] = relationship()
