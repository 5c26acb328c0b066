"""Page helpers the administration's route modules share: the round page (shown by its own
route and again by a round action that failed), and reading an uploaded draft from a form."""

from __future__ import annotations

from flask import make_response, render_template

from .. import clock
from ..consultations import services as reading
from ..consultations import versions
from ..db import get_session
from ..models import Round
from ..web import call
from . import audit_log, rounds
from .forms import ActionForm, DeadlineForm
from .uploads import DraftFile


def state_of(round_: Round) -> reading.RoundState:
    """The round's state now."""
    return reading.round_state(round_, clock.now())


def draft_file(field) -> DraftFile | None:
    """The draft uploaded in a file field, or None when no file was chosen."""
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    return DraftFile(upload.filename, upload.stream)


def action_forms(failed: tuple[str, ActionForm] | None = None) -> dict[str, ActionForm]:
    """The round actions' forms, empty, except the one that failed with its errors."""
    forms = {
        "open": DeadlineForm(prefix="open", formdata=None),
        "close": ActionForm(prefix="close", formdata=None),
        "extend": DeadlineForm(prefix="extend", formdata=None),
        "reopen": DeadlineForm(prefix="reopen", formdata=None),
        "publish": ActionForm(prefix="publish", formdata=None),
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    return forms


def round_page(round_: Round, failed=None, status: int = 200):
    """The round page: settings, draft, the actions its state allows, and its history.

    ``failed`` is (action name, form) of an action refused for its input: its errors are
    summarised at the top of the page, linked to the field.
    """
    entries = call(audit_log.history, round_)
    state = state_of(round_)
    return make_response(
        render_template(
            "admin/round.html",
            round=round_,
            consultation=round_.consultation,
            state=state,
            stats=call(rounds.draft_stats, round_),
            forms=action_forms(failed),
            failed_form=failed[1] if failed else None,
            entries=entries,
            changes=call(audit_log.shown, entries).changes,
            admin_labels=audit_log.labels_for_pages(),
            editable=state in rounds.EDITABLE_STATES,
            previous_round=versions.previous_round(get_session(), round_),
        ),
        status,
    )
