"""A round's actions from the overview's rows and from the round page: open now, close now,
extend, reopen and publish results.

Each form posts and redirects back with a message; sent by htmx from a row of the overview,
the answer is that row. Closing and publishing are asked about first: without confirmation
the post changes nothing and answers with a confirmation page (or, with htmx, a dialog over
the page) whose form posts again with ``confirmed``.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import clock
from ..dates import when
from ..db import get_session
from ..errors import Invalid, WrongState
from ..extensions import htmx
from ..models import Round
from ..security import safe_next
from ..web import call, show_refusal
from . import bp, pages, round_actions, rounds
from .forms import ActionForm, DeadlineForm, error_message, state_message

# Where a row's form says it was sent from, so that the dialog's form swaps that row.
FROM_ROW = "row"


def _row(round_: Round, *, notice=None, error=None, failed=None, status: int = 200):
    return make_response(
        render_template(
            "admin/_round_row.html", round=round_, notice=notice, error=error, failed=failed
        ),
        status,
    )


def _back(round_: Round) -> str:
    return safe_next(request.form.get("next"), url_for("admin.round_page", round_id=round_.id))


def _confirmation(round_: Round, name: str, form: ActionForm, consequences):
    """Ask before a loud or irreversible action: a page, or a dialog over the page (htmx)."""
    context = {
        "round": round_,
        "consultation": round_.consultation,
        "name": name,
        "form": form,
        "action_url": url_for(request.endpoint, round_id=round_.id),
        "back": _back(round_),
        "from_row": request.form.get("origin") == FROM_ROW,
        "consequences": consequences,
    }
    if not htmx:
        return render_template("admin/confirm.html", **context)
    response = make_response(render_template("admin/_confirm.html", **context))
    # Whatever the button's own target, the dialog goes into the page's dialog slot.
    response.headers["HX-Retarget"] = "#admin-dialog"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


def _round_action(round_id: int, name: str, action, notice, form_class=ActionForm):
    """Run one round action from its form; answer with the row (htmx) or a redirect."""
    round_ = call(rounds.get_round, round_id)
    form = form_class(prefix=name)
    session = get_session()
    confirming = name in round_actions.CONFIRMED_ACTIONS and request.form.get("confirmed") != "yes"
    try:
        if confirming:
            found = call(round_actions.consequences, round_.id, name, now=clock.now())
            return _confirmation(round_, name, form, found)
        if not form.validate():
            raise Invalid({})
        action(form)
    except Invalid as error:
        session.rollback()
        show_refusal(form, error, error_message)
        if htmx:
            return _row(round_, failed=(name, form), status=422)
        return pages.round_page(round_, failed=(name, form), status=422)
    except WrongState as error:
        session.rollback()
        session.refresh(round_)
        if htmx:
            return _row(round_, error=state_message(error.key), status=409)
        flash(state_message(error.key), "error")
        return redirect(_back(round_))
    message = notice(round_)
    if htmx:
        return _row(round_, notice=message)
    flash(message, "success")
    return redirect(_back(round_))


@bp.post("/omgang/<int:round_id>/oppna")
def open_round(round_id: int):
    """Open a round now."""
    return _round_action(
        round_id,
        "open",
        lambda form: call(
            round_actions.open_now,
            round_id,
            now=clock.now(),
            closes_at=form.closes_at.utc,
            reason=form.reason.data,
        ),
        lambda r: _(
            "Round %(n)s is open for comments until %(date)s.", n=r.number, date=when(r.closes_at)
        ),
        DeadlineForm,
    )


@bp.post("/omgang/<int:round_id>/stang")
def close_round(round_id: int):
    """Close a round now, before its deadline (after confirmation)."""
    return _round_action(
        round_id,
        "close",
        lambda form: call(
            round_actions.close_now, round_id, now=clock.now(), reason=form.reason.data
        ),
        lambda r: _("Round %(n)s is closed. Comments can no longer be sent.", n=r.number),
    )


@bp.post("/omgang/<int:round_id>/forlang")
def extend_round(round_id: int):
    """Move a round's deadline later."""
    return _round_action(
        round_id,
        "extend",
        lambda form: call(
            round_actions.extend,
            round_id,
            closes_at=form.closes_at.utc,
            now=clock.now(),
            reason=form.reason.data,
        ),
        lambda r: _("Round %(n)s now closes on %(date)s.", n=r.number, date=when(r.closes_at)),
        DeadlineForm,
    )


@bp.post("/omgang/<int:round_id>/ateroppna")
def reopen_round(round_id: int):
    """Open a closed round again."""
    return _round_action(
        round_id,
        "reopen",
        lambda form: call(
            round_actions.reopen,
            round_id,
            now=clock.now(),
            closes_at=form.closes_at.utc,
            reason=form.reason.data,
        ),
        lambda r: _(
            "Round %(n)s is open again until %(date)s.", n=r.number, date=when(r.closes_at)
        ),
        DeadlineForm,
    )


@bp.post("/omgang/<int:round_id>/publicera")
def publish_results(round_id: int):
    """Publish the results of a closed round (after confirmation)."""
    return _round_action(
        round_id,
        "publish",
        lambda form: call(
            round_actions.publish_results, round_id, now=clock.now(), reason=form.reason.data
        ),
        lambda r: _("The results of round %(n)s are published.", n=r.number),
    )
