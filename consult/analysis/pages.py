"""What the analysis pages share: the labels their templates need, the theme page (shown by
its own route and again, with the reason, by every refused operation on the theme), the
progress fragment, one comment's row after a change to its tags, and the theme board's
themes part and a theme's first page, also as background work builds them (``warm``).

Each helper calls the services as the signed-in user (``consult.web.call``) and renders; the
route modules (``routes``, ``theme_routes``) import these, never each other.
"""

from __future__ import annotations

import functools
import logging

from flask import abort, current_app, make_response, render_template, request
from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from .. import caching, labels
from ..consultations.services import comment_languages
from ..db import get_session, reading
from ..models import AnalysisStatus, Category, CommentKind, Round, Stance
from ..web import call, int_field, page_arg, parse_int
from . import board, drill, queue, services, themes
from .board import BOARD, NO_STANCE
from .charts import share_bars
from .forms import ThemeForm
from .labels import ENGINE_STANCE_TEXTS, ERROR_TEXTS, STEP_TEXTS, WORK_FAILURES

log = logging.getLogger(__name__)

# Any of a round's analysis pages, as ``caching.note_looked`` knows them (see ``warm``).
ANALYSIS_PAGES = "analysis"


def texts() -> dict:
    """The labels the analysis templates share."""
    return {
        "steps": STEP_TEXTS,
        "errors": ERROR_TEXTS,
        "engine_stances": ENGINE_STANCE_TEXTS,
        "categories": labels.CATEGORY_LABELS,
        "kinds": labels.KIND_LABELS,
        "stances": labels.STANCE_LABELS,
        "active": (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING),
    }


def theme_id_of(theme_key: str) -> int | None:
    """Return the theme a URL's ``theme_key`` names: None for the comments without a theme
    (``drill.UNASSIGNED``); 404 for anything that is not a theme number."""
    if theme_key == drill.UNASSIGNED:
        return None
    theme_id = parse_int(theme_key, minimum=1)
    if theme_id is None:
        abort(404)
    return theme_id


def theme_key_of(theme_id: int | None) -> str:
    """Return the URL key of a theme (its number), or of the comments without a theme."""
    return drill.UNASSIGNED if theme_id is None else str(theme_id)


def posted_version() -> int:
    """The version the posted form was loaded at (-1, which never matches, when unreadable)."""
    version = int_field("version")
    return -1 if version is None else version


def score(value: float) -> str:
    """Return an F1 score with two decimals in the page's locale (0,82 in Swedish)."""
    return format_decimal(value, format="0.00")


def category_chart(card: board.ThemeCard):
    """Return a theme card's stakeholder categories as a bar chart."""
    rows = [(str(labels.CATEGORY_LABELS[c]), n) for c, n in card.categories]
    return share_bars(rows, title=card.theme.name)


def board_section(round_, headline: board.Board) -> Markup:
    """The theme board below a round's job controls, the same for every staff member: its
    themes (``_board_themes.html``) rendered once per version of the round's themes, its
    comments without a theme (``_board_unthemed.html``) once per version of its data, each
    per analysis and language. In a rush, when every post raises the data version and none
    the theme version, a look at the board counts and renders the small part alone."""
    if headline.analysis is None:
        return Markup()
    _note_looked(round_.id, BOARD)  # background work keeps its themes part ready (``warm``)
    analysis_id = headline.analysis.id
    unthemed = _board_render(
        "analysis/_board_unthemed.html", round_, lambda: call(board.unthemed, round_.id)
    )
    return _board_themes(
        round_, analysis_id, lambda: call(board.themed, round_.id)
    ) + caching.fragment("board-unthemed-html", round_, unthemed, analysis_id)


def warm(session: Session, round_id: int) -> None:
    """Build again what staff looked at lately (``caching.LOOKED_SECONDS``) of the round's
    analysis pages and a change to its themes made stale: the board's themes part, in every
    language, and the first page of each theme looked at. Called by the background work
    that has just changed the themes (a placing pass, an analysis) or that follows a
    request that did (``rebuild_after_change``), so that the next look finds them kept
    instead of counting the round's tags in its request. Never raises: the work is done,
    and the next look builds what is missing."""
    try:
        if not caching.looked(ANALYSIS_PAGES, round_id):
            return  # one cache read after each pass when no one is looking
        # Only reading: on SQLite the posts meanwhile wait for no lock of this work.
        with reading(session), current_app.test_request_context():
            round_ = session.get(Round, round_id, populate_existing=True)  # its version now
            analysis = services.latest_result(session, round_id)
            if round_ is None or analysis is None:
                return
            if caching.looked(BOARD, round_id):
                _warm_board(session, round_, analysis)
            themes_looked = [
                theme
                for theme in drill.themes_of_round(session, round_id)
                if caching.looked(_theme_looked(theme.id), round_id)
            ]
            if themes_looked:
                per_page = current_app.config["ANALYSIS_COMMENTS_PER_PAGE"]
                drill.warm(session, round_, analysis, themes_looked, per_page)
    except Exception:  # noqa: BLE001
        session.rollback()
        log.exception("Could not build the analysis pages of round %s", round_id)


def rebuild_after_change(response):
    """After-request hook of every request: when it changed a round's themes (staff on the
    analysis pages or a working group's workspace, a moderation decision, an author's edit
    or withdrawal, a change to the draft) and someone looked at that round's analysis pages
    lately, hand the rebuilding of what they looked at (``warm``) to the background, so that
    the next look finds it kept instead of counting the round's tags in its request. Never
    fails the answer."""
    app = current_app._get_current_object()
    for round_id in sorted(caching.theme_versions_raised()):
        if not caching.looked(ANALYSIS_PAGES, round_id):
            continue  # nothing of the round's analysis pages is kept to build again
        try:
            queue.dispatch_rebuild(app, round_id)
        except Exception:  # noqa: BLE001 - the next look counts for itself
            log.exception("Could not hand on the rebuilding of round %s's pages", round_id)
    return response


def _warm_board(session: Session, round_, analysis) -> None:
    # Built once, for every language, and only if a language's part is not kept yet.
    build = functools.cache(lambda: board.themed_in_background(session, round_, analysis))
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            _board_themes(round_, analysis.id, build)


def _theme_looked(theme_id: int) -> str:
    return f"theme-{theme_id}"  # a theme's first page, as ``caching.note_looked`` knows it


def _note_looked(round_id: int, what: str) -> None:
    """Note a look at ``what`` of the round's analysis pages, and at any of them (``warm``)."""
    caching.note_looked(what, round_id)
    caching.note_looked(ANALYSIS_PAGES, round_id)


def _board_themes(round_, analysis_id: int, build) -> Markup:
    """The board's themes part (``_board_themes.html``), kept per version of the round's
    themes, analysis and language; ``build`` returns the ``board.themed`` board."""
    return caching.fragment(
        "board-themes-html",
        round_,
        _board_render("analysis/_board_themes.html", round_, build),
        analysis_id,
        themes=True,
    )


def _board_render(template: str, round_, build):
    return lambda: render_template(
        template,
        round=round_,
        board=build(),
        category_chart=category_chart,
        score=score,
        **texts(),
    )


def progress(
    round_id: int, job, refusal=None, status: int = 200, polled: bool = False, started=False
):
    """Render the analysis job's progress fragment."""
    state = call(services.progress_state, round_id)
    return make_response(
        render_template(
            "analysis/_progress.html",
            round_id=round_id,
            job=job,
            refusal=refusal,
            polled=polled,
            started=started,
            total=state.total,
            analysed=state.analysed,
            **texts(),
        ),
        status,
    )


def theme_page(round_id: int, theme_id: int | None, form: ThemeForm | None = None, **extra):
    """Render a theme's page (or that of the comments without a theme): 409 with a conflict,
    422 with a refused form or operation, else 200."""
    filters, page = drill.Filters.from_args(request.args), page_arg()
    view = call(
        drill.theme_view,
        round_id,
        theme_id,
        filters,
        page=page,
        per_page=current_app.config["ANALYSIS_COMMENTS_PER_PAGE"],
    )
    result = view.page
    if theme_id is not None and page == 1 and not filters.active:
        _note_looked(round_id, _theme_looked(theme_id))  # its first page is kept (``warm``)
    if form is None and result.theme is not None:
        form = ThemeForm(formdata=None, obj=result.theme)
    invalid = (form and form.errors) or extra.get("operation_error")
    status = 409 if extra.get("conflict") else 422 if invalid else 200
    return make_response(
        render_template(
            "analysis/theme.html",
            round=view.round,
            consultation=view.round.consultation,
            result=result,
            theme_key=theme_key_of(theme_id),
            form=form,
            themes=view.themes,
            proposals=view.proposals,
            proposal_total=view.proposal_total,
            work=view.work,
            work_failures=WORK_FAILURES,
            comment_langs=comment_languages(get_session(), [i.comment.id for i in result.items]),
            chapter_options=[(c.id, f"{c.number} {c.heading}") for c in result.chapters],
            category_options=[(c.value, labels.CATEGORY_LABELS[c]) for c in Category],
            stance_options=[
                *((s.value, labels.STANCE_LABELS[s]) for s in Stance),
                (NO_STANCE, _("Not given")),
            ],
            kind_options=[(k.value, labels.KIND_LABELS[k]) for k in CommentKind],
            campaign_options=[("yes", _("In a campaign")), ("no", _("Not in a campaign"))],
            **extra,
            **texts(),
        ),
        status,
    )


def theme_work(round_id: int, theme_id: int):
    """Render the fragment saying how a theme's background work is going (polled by htmx)."""
    work = call(themes.work_of, round_id, theme_id)
    return render_template(
        "analysis/_theme_work.html",
        round_id=round_id,
        theme_key=str(theme_id),
        work=work,
        work_failures=WORK_FAILURES,
        polled=True,
    )


def comment_row(round_id: int, comment_id: int, theme_id: int | None, notice: str):
    """Render one comment's row of a theme's list (after a change to its tags), for htmx."""
    row = call(drill.row, round_id, theme_id, comment_id)
    return render_template(
        "analysis/_comment.html",
        item=row.item,
        round=row.round,
        result=drill.Page(row.theme, drill.Filters(), [], 0, 1, 1),
        themes=row.themes,
        notice=notice,
        done=True,
        comment_langs=comment_languages(get_session(), [row.item.comment.id]),
        **texts(),
    )


def rollback() -> None:
    """Undo what a refused service left in the request's session before rendering again."""
    get_session().rollback()
