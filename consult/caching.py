"""Cached figures per round, kept right by the round's data version, and ETags on pages.

What is cached: figures that cost a query over a round's comments (the draft page's comment
counts, the theme board's tallies). A cached value is keyed by the round and its
``data_version``, so it never has to be deleted: a write that changes the figures raises the
version, and the next reader computes them anew under the new key. The TTL is a safety net.

Every writer raises it without knowing: a session listener notes the round of every new,
changed or deleted row of the models below (also for bulk ``update()``/``delete()``/``insert()``
statements run through a session), and the versions of those rounds are raised when it commits,
by the writer's own transaction as its last statement: readers see the new version with the
write, never one without the other. On PostgreSQL the round's row is then held from that
statement to the commit, so writers into one round commit one after another (writes
themselves run side by side: ``round_locks`` keeps the row free of their locks until then,
and a transaction holding it waits for nothing else). On SQLite the writer holds the only
write lock anyway.

A second version, ``theme_version``, is raised with it by every such write except one that
only adds comments: a new comment has no theme yet, so the theme board's per-theme figures and
cards, kept by that version, stay right. In a deadline rush every post raises the data version
and none the theme version, and a look at the board recounts only what a new comment changes.

Where the figures live: Redis when ``CACHE_REDIS_URL`` is set (shared by every app server),
else a bounded in-process LRU. A Redis error never fails a page: the figures are computed
(and the error logged once per process until Redis answers again).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask import session as http_session
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import case, event, select, update
from sqlalchemy.orm import Session

from .models import (
    AnalysedComment,
    Analysis,
    CampaignGroup,
    Comment,
    Document,
    Paragraph,
    Round,
    Section,
    Theme,
    ThemeAssignment,
    ThemeProposal,
)

log = logging.getLogger(__name__)

PENDING = "consult_rounds_changed"
# Of those, the rounds whose theme figures may have changed too (all but new comments).
PENDING_THEMES = "consult_rounds_themes_changed"
RAISED = "consult_rounds_raised"  # raised inside the transaction (SQLite), to expire after it
RAISED_THEMES = "consult_rounds_themes_raised"  # of those, the rounds whose themes changed
# In the WSGI environ: the rounds whose theme versions the request has raised so far (its
# own: a test's app context, and so ``g``, outlives its requests).
THEME_VERSIONS_RAISED = "consult.theme_versions_raised"
EVERY_ROUND = -1  # in the pending set: a bulk write whose rounds could not be told

# Columns whose changes no cached figure reads: changing only these raises no version
# (an agreement or a report would otherwise make every reader count again).
IGNORED = {
    "comment": frozenset({"agreement_count", "open_report_count"}),
    "analysis": frozenset(
        {"progress", "message", "updated_at", "heartbeat_at", "request_id", "started_at"}
    ),
}


# ---------------------------------------------------------------------------------------
# Which round a row belongs to


def _round_of_parent(session: Session, model, key) -> int | None:
    if key is None:
        return None
    found = session.identity_map.get(session.identity_key(model, key)) if session else None
    if found is not None:
        return _round_of(session, found)
    if model is Theme or model is Analysis or model is Document:
        return session.scalar(select(model.round_id).where(model.id == key))
    if model is Comment:
        return session.scalar(select(Comment.round_id).where(Comment.id == key))
    return None


def _round_of(session: Session, obj) -> int | None:
    """Return the id of the round ``obj`` counts in (following its parent if need be)."""
    if isinstance(obj, Round):
        return obj.id
    if isinstance(obj, Comment | Theme | Analysis | Document):
        if obj.round_id is not None:
            return obj.round_id
        return _round_of(session, obj.round) if obj.round is not None else None
    if isinstance(obj, ThemeAssignment | ThemeProposal):
        if obj.theme_id is None and obj.theme is not None:
            return _round_of(session, obj.theme)
        return _round_of_parent(session, Theme, obj.theme_id)
    if isinstance(obj, AnalysedComment | CampaignGroup):
        return _round_of_parent(session, Analysis, obj.analysis_id)
    if isinstance(obj, Paragraph | Section):
        if obj.document_id is None and obj.document is not None:
            return _round_of(session, obj.document)
        return _round_of_parent(session, Document, obj.document_id)
    return None


WATCHED = (
    Comment,
    Theme,
    ThemeAssignment,
    ThemeProposal,
    Analysis,
    AnalysedComment,
    CampaignGroup,
    Document,
    Section,
    Paragraph,
)
WATCHED_TABLES = {model.__table__.name: model for model in WATCHED}


def _changes_figures(session: Session, obj) -> bool:
    if not session.is_modified(obj, include_collections=False):
        return False
    ignored = IGNORED.get(obj.__table__.name, frozenset())
    state = obj._sa_instance_state
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        if state.attrs[attr.key].history.has_changes():
            return True
    return False


def note_changed(session: Session, *round_ids: int, themes: bool = True) -> None:
    """Raise these rounds' data versions when ``session`` next commits (for writes the
    listeners cannot see: SQL text, or a connection used without the session), and their
    theme versions too unless ``themes`` is false (the write only added comments)."""
    rounds = {r for r in round_ids if r is not None}
    session.info.setdefault(PENDING, set()).update(rounds)
    if themes:
        session.info.setdefault(PENDING_THEMES, set()).update(rounds)


def _before_flush(session: Session, _context, _instances) -> None:
    added: set[int | None] = set()  # rounds with new comments: no theme holds them yet
    rounds: set[int | None] = set()
    for obj in session.new:
        if isinstance(obj, Comment):
            added.add(_round_of(session, obj))
        elif isinstance(obj, WATCHED):
            rounds.add(_round_of(session, obj))
    for obj in session.deleted:
        if isinstance(obj, WATCHED):
            rounds.add(_round_of(session, obj))
    for obj in session.dirty:
        if isinstance(obj, WATCHED) and _changes_figures(session, obj):
            rounds.add(_round_of(session, obj))
    added.discard(None)
    rounds.discard(None)
    if added:
        note_changed(session, *added, themes=False)
    if rounds:
        note_changed(session, *rounds)


def _rounds_of_rows(session: Session, model, where) -> set[int] | None:
    """The rounds of the rows of ``model`` that ``where`` selects (None: cannot tell)."""
    table = model.__table__
    if model in (Comment, Theme, Analysis, Document):
        query = select(table.c.round_id)
    elif model in (ThemeAssignment, ThemeProposal):
        query = select(Theme.round_id).join(table, table.c.theme_id == Theme.id)
    elif model in (AnalysedComment, CampaignGroup):
        query = select(Analysis.round_id).join(table, table.c.analysis_id == Analysis.id)
    elif model in (Paragraph, Section):
        query = select(Document.round_id).join(table, table.c.document_id == Document.id)
    else:
        return None
    if where is not None:
        query = query.where(where)
    return set(session.scalars(query.distinct()))


def _rounds_of_inserted(session: Session, model, rows: list[dict]) -> set[int] | None:
    column = {
        Comment: ("round_id", None),
        Theme: ("round_id", None),
        Analysis: ("round_id", None),
        Document: ("round_id", None),
        ThemeAssignment: ("theme_id", Theme),
        ThemeProposal: ("theme_id", Theme),
        AnalysedComment: ("analysis_id", Analysis),
        CampaignGroup: ("analysis_id", Analysis),
        Paragraph: ("document_id", Document),
        Section: ("document_id", Document),
    }[model]
    name, parent = column
    keys = {row.get(name) for row in rows}
    if None in keys:
        return None
    if parent is None:
        return keys
    return set(session.scalars(select(parent.round_id).where(parent.id.in_(keys)).distinct()))


def _updated_columns(statement) -> set[str] | None:
    values = getattr(statement, "_values", None) or {}
    names = set()
    for key in values:
        name = getattr(key, "key", None) or getattr(key, "name", None) or key
        if not isinstance(name, str):
            return None
        names.add(name)
    return names or None


def _on_execute(state) -> None:
    statement = state.statement
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(statement, "table", None)
    model = WATCHED_TABLES.get(getattr(table, "name", None))
    if model is None:
        return
    session = state.session
    if state.is_insert:
        params = state.parameters
        rows = params if isinstance(params, list) else [params] if params else []
        if not rows:
            values = getattr(statement, "_values", None) or {}
            rows = [{getattr(k, "key", k): getattr(v, "value", None) for k, v in values.items()}]
        rounds = _rounds_of_inserted(session, model, rows)
        if model is Comment and rounds is not None:
            note_changed(session, *rounds, themes=False)
            return
    else:
        if state.is_update:
            changed = _updated_columns(statement)
            ignored = IGNORED.get(table.name, frozenset())
            if changed is not None and changed <= ignored:
                return
        rounds = _rounds_of_rows(session, model, statement.whereclause)
    note_changed(session, *(rounds if rounds is not None else {EVERY_ROUND}))


def _themes_raised(round_ids: set[int], themes: set[int]) -> set[int]:
    """Of the rounds whose data version is raised, those whose theme version is raised too
    (``themes``: the rounds whose themes changed; ``EVERY_ROUND`` in either is every round)."""
    if EVERY_ROUND in themes or themes >= round_ids:
        return set(round_ids)
    return set(themes) if EVERY_ROUND in round_ids else themes & round_ids


def _version_update(round_ids: set[int], themes_raised: set[int]):
    table = Round.__table__
    values = {"data_version": table.c.data_version + 1}
    if themes_raised == round_ids:
        values["theme_version"] = table.c.theme_version + 1
    elif themes_raised:
        raised = table.c.id.in_(sorted(themes_raised))
        values["theme_version"] = table.c.theme_version + case((raised, 1), else_=0)
    statement = update(table).values(**values)
    if EVERY_ROUND not in round_ids:
        statement = statement.where(table.c.id.in_(sorted(round_ids)))
    return statement


def _before_commit(session: Session) -> None:
    # Raised inside the writer's own transaction, as its last statement: no second
    # transaction (nor connection), and the row is held for the commit only.
    session.flush()
    rounds = session.info.pop(PENDING, None)
    themes = session.info.pop(PENDING_THEMES, None) or set()
    if rounds:
        raised = _themes_raised(rounds, themes)
        session.execute(_version_update(rounds, raised))
        session.info[RAISED] = rounds
        session.info[RAISED_THEMES] = raised


def _after_commit(session: Session) -> None:
    rounds = session.info.pop(RAISED, None) or set()
    themes_raised = session.info.pop(RAISED_THEMES, None) or set()
    pending = session.info.pop(PENDING, None)
    themes = session.info.pop(PENDING_THEMES, None) or set()
    if pending:
        rounds |= pending
        themes_raised |= _themes_raised(pending, themes)
        try:
            bump(session.get_bind(), pending, themes=themes)
        except Exception:  # noqa: BLE001 - the write is committed; the TTL ends stale figures
            log.exception("Could not raise the data version of rounds %s", sorted(pending))
    themes_raised.discard(EVERY_ROUND)  # a bulk write's rounds are not known
    if themes_raised and has_request_context():
        request.environ.setdefault(THEME_VERSIONS_RAISED, set()).update(themes_raised)
    if not rounds:
        return
    # The session's own rounds (kept after commit) read their new version when next asked.
    # Looked up by key: a background pass may hold tens of thousands of other rows.
    if EVERY_ROUND in rounds:
        held = [obj for key, obj in session.identity_map.items() if key[0] is Round]
    else:
        held = [session.identity_map.get(session.identity_key(Round, i)) for i in rounds]
    for obj in held:
        if obj is not None:
            session.expire(obj, ["data_version", "theme_version"])


def _after_soft_rollback(session: Session, previous) -> None:
    # The whole transaction was undone: nothing it noted changed. (A savepoint's rollback
    # keeps the notes: raising a version too often only costs a recount.)
    if previous.parent is None and not previous.nested:
        session.info.pop(PENDING, None)
        session.info.pop(PENDING_THEMES, None)
        session.info.pop(RAISED, None)
        session.info.pop(RAISED_THEMES, None)


def theme_versions_raised() -> set[int]:
    """The rounds whose theme versions the current request's commits have raised since it
    last asked (a change to their themes it has made)."""
    return request.environ.pop(THEME_VERSIONS_RAISED, set())


def bump(bind, round_ids: Iterable[int], themes: Iterable[int] | None = None) -> None:
    """Raise the data version of ``round_ids`` (all rounds if it holds ``EVERY_ROUND``) in
    one short transaction of its own on ``bind`` (an engine or a connection), and the theme
    version of ``themes`` (by default of the same rounds)."""
    round_ids = set(round_ids)
    with Session(bind=bind) as own, own.begin():
        changed = round_ids if themes is None else set(themes)
        own.execute(_version_update(round_ids, _themes_raised(round_ids, changed)))


_listening = threading.Lock()


def listen() -> None:
    """Register the version listeners on every SQLAlchemy session (once per process)."""
    with _listening:
        if event.contains(Session, "before_flush", _before_flush):
            return
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _on_execute)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)


# ---------------------------------------------------------------------------------------
# The store


class LocalStore:
    """A bounded least-recently-used map in this process, with a time to live."""

    def __init__(self, max_entries: int, ttl: float):
        self.max_entries = max_entries
        self.ttl = ttl
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        """Return the value stored under ``key``, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[0] < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[1]

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` (for ``ttl`` seconds, else the store's), dropping the
        least recently used beyond the bound."""
        with self._lock:
            self._items[key] = (time.monotonic() + (ttl or self.ttl), value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


class RedisStore:
    """Values in Redis with a TTL; any Redis error reads as a miss (logged once)."""

    def __init__(self, url: str, ttl: float):
        import redis

        self.ttl = max(1, int(ttl))
        self.client = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
        )
        self.failing = False

    def _failed(self, error: Exception) -> None:
        if not self.failing:
            log.warning("Cache in Redis unavailable, computing figures instead: %s", error)
        self.failing = True

    def get(self, key: str) -> str | None:
        """Return the value stored under ``key``, or None (also when Redis fails)."""
        try:
            value = self.client.get(key)
        except Exception as error:  # noqa: BLE001 - never fail a page for the cache
            self._failed(error)
            return None
        self.failing = False
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, else the store's TTL (nothing
        when Redis fails)."""
        try:
            self.client.set(key, value, ex=max(1, int(ttl or self.ttl)))
        except Exception as error:  # noqa: BLE001
            self._failed(error)


def store(app: Flask | None = None):
    """Return the app's cache store."""
    return (app or current_app).extensions["consult_cache"]


# How long a look at a round's page keeps background work warming its figures.
LOOKED_SECONDS = 15 * 60


def note_looked(what: str, round_id: int) -> None:
    """Remember for ``LOOKED_SECONDS`` that someone looked at ``what`` of round ``round_id``,
    so that background work which changes its figures counts them again at once (``looked``)."""
    store().set(_looked_key(what, round_id), "1", ttl=LOOKED_SECONDS)


def looked(what: str, round_id: int) -> bool:
    """True if ``what`` of round ``round_id`` was looked at within ``LOOKED_SECONDS``."""
    return store().get(_looked_key(what, round_id)) is not None


def _looked_key(what: str, round_id: int) -> str:
    return current_app.config["CACHE_KEY_PREFIX"] + json.dumps(["looked", what, round_id])


def figures(
    what: str, round_: Round, compute: Callable[[], Any], *extra: Any, themes: bool = False
) -> Any:
    """Return ``compute()`` for ``round_`` as of its data version, from the cache if there.

    ``what`` names the figures, ``extra`` what else they depend on (an analysis id, filters);
    the value must survive JSON (dict keys come back as strings). With ``themes`` they are
    kept by the round's theme version instead: figures of tagged comments only, which a new
    comment cannot change.
    """
    if not has_app_context():
        return compute()
    key = _round_key(what, round_, *extra, themes=themes)
    cache = store()
    found = cache.get(key)
    if found is not None:
        return json.loads(found)
    text = json.dumps(compute(), separators=(",", ":"))
    cache.set(key, text)
    # Read back as a hit would be, so that callers see the same types either way.
    return json.loads(text)


def fragment(
    what: str, round_: Round, render: Callable[[], str], *extra: Any, themes: bool = False
) -> Markup:
    """Return ``render()``, a part of a page that is the same for everyone allowed to see it,
    kept like ``figures`` (per version of the round's data, or with ``themes`` of its themes,
    ``extra`` and the language).

    A rendering that holds the CSRF token (a form) is someone's own: it is not kept.
    """
    if not has_app_context():
        return Markup(render())
    key = _round_key(what, round_, str(get_locale()), *extra, themes=themes)
    found = store().get(key)
    if found is not None:
        return Markup(found)
    html = render()
    token = g.get("csrf_token")
    if not (token and token in html):
        store().set(key, html)
    return Markup(html)


def _round_key(what: str, round_: Round, *extra: Any, themes: bool = False) -> str:
    stamp = round_.created_at.timestamp() if round_.created_at else 0
    version = ("t", round_.theme_version) if themes else round_.data_version
    parts = [what, round_.id, int(stamp), version, *extra]
    return current_app.config["CACHE_KEY_PREFIX"] + json.dumps(parts, separators=(",", ":"))


# ---------------------------------------------------------------------------------------
# Pages as visitors see them

# In the key of a stored page: what a stored page holds (a stored page of another format,
# from an app server not yet upgraded, is never read).
PAGE_FORMAT = 3
# Stored pages each app process keeps ready to send.
PAGE_MEMORY = 32


class StoredPage:
    """A visitor page as stored: its HTML as bytes, ready to be sent, and the digest its ETag
    is made from (see ``_etag_response``)."""

    __slots__ = ("body", "digest", "rendered_at")

    def __init__(self, html: str, rendered_at: float):
        self.body = html.encode()
        self.digest = hashlib.sha256(self.body).hexdigest()
        self.rendered_at = rendered_at  # time.time(), comparable between app servers

    def text(self) -> str:
        """The page as kept in the shared store: when it was rendered, then its HTML."""
        return f"{self.rendered_at!r}\n" + self.body.decode()

    @classmethod
    def from_text(cls, text: str) -> StoredPage:
        """The page ``text()`` wrote."""
        rendered_at, _, html = text.partition("\n")
        return cls(html, float(rendered_at))

    def response(self):
        """The page as a response, with the digest its ETag is made from."""
        response = current_app.response_class(self.body, mimetype="text/html")
        response.content_digest = self.digest
        return response


def visitor_page(round_: Round, render: Callable[[], str], *extra: Any):
    """Return ``render()``, the HTML of a page of ``round_``, stored for visitors who are not
    signed in: the same for all of them (a visitor's page holds no form, so no CSRF token; a
    rendering that holds one is not stored).

    Keyed like ``figures`` (so a comment, a moderation decision or an edit of the draft shows
    at once) and by the address, language and ``extra`` (the round's state). What the round's
    data version does not follow (working groups, a strategy's publication) shows within
    ``PAGE_CACHE_SECONDS``; 0 turns this off. A page with a one-time message is never kept.

    Each app process also keeps the pages it served last, ready to send (``PAGE_MEMORY``
    entries, each until its ``PAGE_CACHE_SECONDS`` from its rendering are over), so a visit
    reads no 125 KB from Redis and copies the page once.

    A page without a CSRF token (a visitor's page with no form sets no cookie) may also be
    kept by the proxy in front for ``PROXY_CACHE_SECONDS`` (``X-Accel-Expires``, see
    deploy/nginx/consult.conf): that long, a new comment may not yet show to visitors.
    """
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    if not seconds or current_user.is_authenticated or http_session.get("_flashes"):
        return render()
    key = _round_key("page", round_, PAGE_FORMAT, request.full_path, str(get_locale()), *extra)
    memory = current_app.extensions["consult_pages"]
    page = memory.get(key)
    if page is None:
        found = store().get(key)
        if found is not None:
            page = StoredPage.from_text(found)
            left = page.rendered_at + seconds - time.time()
            if left > 0:
                memory.set(key, page, ttl=left)
    if page is None:
        html = render()
        if request.environ.get(FLASHED) or g.get("csrf_token"):
            return html
        page = StoredPage(html, time.time())
        store().set(key, page.text(), ttl=seconds)
        memory.set(key, page, ttl=seconds)
    response = page.response()
    if proxy_seconds := current_app.config["PROXY_CACHE_SECONDS"]:
        response.headers["X-Accel-Expires"] = str(proxy_seconds)
    return response


# ---------------------------------------------------------------------------------------
# ETags

CONDITIONAL_TYPES = frozenset({"text/html", "application/json"})


def _etag_response(response):
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.mimetype not in CONDITIONAL_TYPES or response.is_streamed:
        return response
    if response.direct_passthrough or "Content-Disposition" in response.headers:
        return response
    signed_in = current_user.is_authenticated if current_user else False
    rendered_token = g.get("csrf_token")
    if request.environ.get(FLASHED):
        # The page shows a one-time message: the next load must not reuse it.
        if not response.cache_control:
            response.headers["Cache-Control"] = "private, no-store"
        return response
    if response.mimetype == "text/html" and not response.cache_control:
        response.headers["Cache-Control"] = (
            "private, no-cache" if signed_in or rendered_token else "no-cache"
        )
    if response.get_etag()[0]:
        return response.make_conditional(request)
    if rendered_token:
        # The signed CSRF token differs on every render, yet every signature of the session's
        # token is valid (no time limit): the page is the same for the session's token.
        body = response.get_data().replace(rendered_token.encode(), b"")
        content = hashlib.sha256(body).hexdigest()
        digest = hashlib.sha256(f"{http_session.get('csrf_token')}:{content}".encode())
    else:
        content = getattr(response, "content_digest", None)  # a stored visitor page
        digest = hashlib.sha256(content.encode() if content else response.get_data())
    response.set_etag(digest.hexdigest()[:32])
    return response.make_conditional(request)


FLASHED = "consult.flashed"


def _note_flashes():
    # On the request, not in g: an app context (and its g) can outlive one request.
    if http_session.get("_flashes"):
        request.environ[FLASHED] = True


def init_app(app: Flask) -> None:
    """Set up the app's cache store, the version listeners and the ETag hook."""
    url = app.config.get("CACHE_REDIS_URL") or ""
    ttl = float(app.config["CACHE_TTL_SECONDS"])
    if url:
        app.extensions["consult_cache"] = RedisStore(url, ttl)
    else:
        app.extensions["consult_cache"] = LocalStore(int(app.config["CACHE_MAX_ENTRIES"]), ttl)
    app.extensions["consult_pages"] = LocalStore(
        PAGE_MEMORY, float(app.config["PAGE_CACHE_SECONDS"])
    )
    listen()
    app.before_request(_note_flashes)
    app.after_request(_etag_response)
