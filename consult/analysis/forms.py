"""Forms of the analysis pages; the services decide what is valid, these only parse."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from .bulk import MAX_COMMENTS
from .corrections import DESCRIPTION_MAX, NAME_MAX

ERROR_TEXTS = {
    ("name", "required"): _l("Give the theme a name."),
    ("name", "too_long"): _l("The name is too long (at most %(max)s characters).", max=NAME_MAX),
    ("name", "taken"): _l("A theme of this round already has this name."),
    ("description", "too_long"): _l(
        "The description is too long (at most %(max)s characters).", max=DESCRIPTION_MAX
    ),
}

# Refusals of the operations on whole themes, by (field, key).
OPERATION_ERRORS = {
    ("others", "required"): _l("Choose at least one theme to merge into this one."),
    ("comments", "required"): _l("Select at least one comment."),
    ("comments", "too_many"): _l("Select at most %(max)s comments at a time.", max=MAX_COMMENTS),
    ("comments", "changed"): _l(
        "Nothing was changed: a selected comment is no longer in this theme. Reload the page."
    ),
    ("action", "unknown"): _l("Choose what to do with the selected comments."),
    ("to_theme", "required"): _l("Choose a theme."),
    ("from_theme", "required"): _l("Choose a theme."),
    ("parts", "range"): _l("Choose between 2 and 5 new themes."),
    ("parts", "too_few"): _l("The theme has too few comments to split into that many themes."),
    ("parts", "not_separable"): _l("The comments could not be told apart into several themes."),
}


class ThemeForm(FlaskForm):
    """Name and description of a theme, with the version the form was loaded at."""

    class Meta:
        csrf = False  # CSRFProtect checks every post; the template sends the token

    name = StringField(_l("Name"))
    description = TextAreaField(
        _l("Description"), description=_l("What the comments of this theme are about.")
    )
    version = HiddenField()


def error_message(field: str, key: str) -> str:
    """Return the reader-facing message for a refused theme field."""
    return str(ERROR_TEXTS[(field, key)])
