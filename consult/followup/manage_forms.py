"""The forms of staff's strategy pages. They only read what the browser sent (as text); the
services in ``strategies`` check every value with ``fields`` and say what they refuse."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .. import areas
from ..models import Direction, StrategyKind
from .labels import DIRECTION_LABELS, KIND_LABELS
from .strategies import (
    GOAL_FIELDS,
    INDICATOR_FIELDS,
    PRIORITY_FIELDS,
    STRATEGY_FIELDS,
    TARGET_FIELDS,
)


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes; the service says which values it refuses."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass


class _Values:
    """``values()``: the posted text of the form's fields, for a service (the field names are
    the services' own lists in ``strategies``). ``version``: the version of the object the
    form was loaded at, which an edit names so that a stale save is refused."""

    names: tuple[str, ...] = ()
    version = HiddenField()

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.names}


class StrategyForm(_Values, FlaskForm):
    names = STRATEGY_FIELDS
    title = StringField(_l("Title"))
    slug = StringField(
        _l("Web address"),
        description=_l(
            "The last part of the follow-up page's address: lower-case letters a–z, digits "
            "and hyphens, e.g. rus-2030."
        ),
    )
    summary = TextAreaField(_l("Summary"), description=_l("Shown on the public follow-up page."))
    kind = RadioField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in KIND_LABELS.items()],
        default=StrategyKind.STRATEGY.value,
        validate_choice=False,
    )
    consultation_id = SelectField(
        _l("Adopted from the consultation"),
        description=_l("The consultation whose final draft became this strategy, if any."),
        choices=[],
        validate_choice=False,
    )
    starts_year = StringField(_l("First year"))
    ends_year = StringField(_l("Last year"))
    adopted_on = StringField(_l("Adopted on"), description=_l("Optional. YYYY-MM-DD."))
    position = StringField(
        _l("Order"),
        description=_l("Strategies are listed by this number, lowest first."),
        default="0",
    )


class PriorityForm(_Values, FlaskForm):
    names = PRIORITY_FIELDS
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    position = StringField(_l("Order"), description=_l("Leave empty to place the priority last."))


class GoalForm(_Values, FlaskForm):
    names = (*GOAL_FIELDS, "global_goals", "indicator_ids")
    priority_id = SelectField(_l("Priority"), choices=[], validate_choice=False)
    code = StringField(_l("Code"), description=_l("Optional, e.g. 2.3."))
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    position = StringField(
        _l("Order"), description=_l("Goals are listed by this number, lowest first."), default="0"
    )
    global_goals = CheckboxesField(_l("Global goals and targets"), choices=[])
    indicator_ids = CheckboxesField(_l("Indicators"), choices=[])


def area_choices() -> list[SelectChoice]:
    county = areas.HOME_COUNTY
    return (
        [SelectChoice("", _l("No area"))]
        + [SelectChoice(code, name) for code, name in areas.COUNTIES.items()]
        + [SelectChoice(code, name) for code, name in areas.municipalities_in(county)]
    )


class TargetForm(_Values, FlaskForm):
    names = TARGET_FIELDS
    label = StringField(_l("Whose target"), description=_l('Optional, e.g. "EU" or "Sweden".'))
    value = StringField(_l("Target value"), description=_l("A number, e.g. 75 or 2,5."))
    unit = StringField(_l("Unit"), description=_l('E.g. "%" or "tonnes per person".'))
    baseline_year = StringField(_l("Baseline year"), description=_l("Optional."))
    baseline_value = StringField(_l("Baseline value"), description=_l("Optional."))
    target_year = StringField(_l("Target year"))
    indicator_id = SelectField(
        _l("Measured with the indicator"),
        description=_l("Optional: the target is drawn as a line on this indicator's chart."),
        choices=[],
        validate_choice=False,
    )
    area_code = SelectField(
        _l("Area"),
        description=_l("The area whose values the target line is drawn against."),
        choices=area_choices,
        validate_choice=False,
    )
    position = StringField(_l("Order"), description=_l("Leave empty to place the target last."))


class IndicatorForm(_Values, FlaskForm):
    names = INDICATOR_FIELDS
    code = StringField(
        _l("Code"),
        description=_l("The indicator's name in import files, e.g. Kolada's N00914. No spaces."),
    )
    name = StringField(_l("Name"))
    unit = StringField(_l("Unit"))
    source = StringField(_l("Source"), description=_l("E.g. SCB or Kolada."))
    direction = RadioField(
        _l("Direction"),
        choices=[SelectChoice(d.value, label) for d, label in DIRECTION_LABELS.items()],
        default=Direction.HIGHER.value,
        validate_choice=False,
    )
    description = TextAreaField(_l("Description"))


class ConfirmForm(FlaskForm):
    """A button's form: only the CSRF token."""
