"""The forms of the action pages. They only carry what the browser sent: the services in
``consult.followup.actions`` check it (the same checks as an import row) and say what is
wrong, field by field. CSRFProtect checks every post; the templates send the token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from .. import areas
from ..models import ActionStatus
from . import agenda2030
from .labels import MESSAGES, STATUS_LABELS


def message(_field: str, key: str):
    """The reader's text for a refusal key of the follow-up services."""
    return MESSAGES.get(key, MESSAGES["choice"])


def status_choices():
    return [(status.value, STATUS_LABELS[status]) for status in ActionStatus]


def global_goal_choices():
    return [(goal.code, f"{goal.number}. {goal.name}") for goal in agenda2030.goals()]


def area_choices():
    county = areas.HOME_COUNTY
    return [(county, areas.name(county))] + areas.municipalities_in(county)


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; the service says which values it refuses."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass


class ActionForm(FlaskForm):
    version = HiddenField()
    code = StringField(
        _l("Action code"),
        description=_l("The action's reference in lists and import files, e.g. A-12."),
    )
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    responsible = StringField(
        _l("Responsible unit"), description=_l("The unit or organisation that carries it out.")
    )
    group_id = SelectField(_l("Working group"), choices=[], validate_choice=False)
    starts_on = StringField(_l("Starts"), description=_l("As YYYY-MM-DD. Optional."))
    ends_on = StringField(_l("Ends"), description=_l("As YYYY-MM-DD. Optional."))
    status = SelectField(_l("Status"), choices=status_choices, default="planned")
    progress = StringField(
        _l("Progress (%)"), description=_l("A whole number from 0 to 100."), default="0"
    )
    goals = CheckboxesField(_l("Goals this action serves"), choices=[], coerce=str)
    global_goals = CheckboxesField(_l("Global goals served"), choices=global_goal_choices)
    targets = StringField(
        _l("Targets of the global goals"),
        description=_l("Their numbers, separated by commas, e.g. 8.2, 11.2. Optional."),
    )
    areas = CheckboxesField(_l("Where"), choices=area_choices)

    def values(self, posted) -> dict:
        """The service's input: the fields, with the goals' weights (``weight-<id>``)."""
        targets = [code.strip() for code in (self.targets.data or "").split(",")]
        return {
            "code": self.code.data,
            "title": self.title.data,
            "description": self.description.data,
            "responsible": self.responsible.data,
            "group_id": self.group_id.data,
            "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data,
            "status": self.status.data,
            "progress": self.progress.data,
            "goals": {goal: posted.get(f"weight-{goal}", "") for goal in self.goals.data or []},
            "global_goals": [*(self.global_goals.data or []), *targets],
            "areas": self.areas.data or [],
        }


class StatusForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("Status"), choices=status_choices)
    progress = StringField(_l("Progress (%)"), description=_l("A whole number from 0 to 100."))


class MilestoneForm(FlaskForm):
    """A milestone's fields, named ``ms-…`` (they share a page with the action's)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "ms")
        super().__init__(*args, **kwargs)

    due_on = StringField(_l("Date"), description=_l("As YYYY-MM-DD."))
    title = StringField(_l("Milestone"))
    description = TextAreaField(_l("Description"))
    done_on = StringField(
        _l("Reached on"), description=_l("As YYYY-MM-DD. Leave empty until it is reached.")
    )

    def values(self) -> dict:
        return {
            "due_on": self.due_on.data,
            "title": self.title.data,
            "description": self.description.data,
            "done_on": self.done_on.data,
        }


class SourceForm(FlaskForm):
    """Link one synthesis response, theme or paragraph (``kind``) to the action."""

    kind = HiddenField()
    target = SelectField(_l("Choose"), choices=[], validate_choice=False)
    source = HiddenField()  # where the service's refusal is shown


class ConfirmForm(FlaskForm):
    """A button's form: only the CSRF token."""
