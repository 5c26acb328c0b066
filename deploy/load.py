"""Measure Consult under load through nginx, each figure beside a bare Flask route.

    python -m deploy.load --database sqlite
    python -m deploy.load --database postgresql

Starts the cluster of ``deploy/cluster.py`` (nginx in front of two gunicorn app servers, an RQ
worker, the notification worker, Redis) on a copy of a prepared database holding the demo and
the large round of ``flask demo-large`` (40,000 comments by default) with its analysis, and
measures through nginx:

- the demo consultation's draft page with wrk (requests/s, p50, p95), beside the bare route;
- the large round's theme board and its largest theme's drill-down, signed in as staff;
- a deadline burst: participants, signed in beforehand, post one comment each in waves of
  ``--at-once`` simultaneous posts spread over ``--burst-seconds``; the round closes
  ``--close-after`` seconds into the burst (a wave is sent just before it, straddling the
  closing, and one after it). Every acknowledged post must be in the database, no comment may
  be created after the closing time, and the late posts must get the clear refusal (409);
- the .xlsx export of a separate database holding ``--export-comments`` comments, timed with
  tests/bench_exports.py (in its own process, through the app's download route).

The prepared databases are cached (a SQLite file under ``--workdir``, a PostgreSQL template
database ``consult_load_tpl_<comments>``), keyed by the migrations, and copied for each run,
so a re-run does not reload. It prints a table ``check | figure | bare route | target |
PASS/FAIL`` with the date, the machine and the database, and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import os
import platform
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/6"
SECRET_KEY = "deploy-load-not-secret"
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PASSWORD = "belastning-före-stängning"
BURST_MARK = "(belastningsprov {tag} {n})"
# How long the burst's comments may take to be placed into the round's themes, from its start.
PLACING_WAIT_S = 300
# What htmx sends with a form it posts (the way browsers with JavaScript send a comment).
HTMX = {"HX-Request": "true", "HX-Target": "thread-doc", "HX-Current-URL": "/"}

# wrk prints p50/75/90/99 only: this script prints the figures we need as one JSON line.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d,'
    .. ' "mean_us": %.1f, "non_2xx_3xx": %d, "socket_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, summary.errors.status, errors))
end
"""


# ---------------------------------------------------------------------------------------------
# Preparing (and caching) the databases


def _migrations_key() -> str:
    """A short hash of the migration files: a cached database is rebuilt when they change."""
    from consult.db import MIGRATIONS_DIR

    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _flask(database_url: str, *args: str) -> None:
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "CONSULT_DATABASE_URL": database_url,
        "CONSULT_MAIL_WORKER": "0",
    }
    env.pop("CONSULT_REDIS_URL", None)  # the analysis runs in the foreground
    flask = str(Path(sys.executable).parent / "flask")
    done = subprocess.run(
        [flask, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def _fill(database_url: str, comments: int, analyse: bool) -> None:
    """Migrate, load the demo and the large round, and analyse it (printing how long)."""
    from consult.demo.large import SLUG

    started = time.monotonic()
    _flask(database_url, "db", "upgrade")
    _flask(database_url, "demo")
    _flask(database_url, "demo-large", "--comments", str(comments))
    loaded = time.monotonic()
    if analyse:
        _flask(database_url, "analysis", "run", SLUG, "1")
    analysed = f", analysed in {time.monotonic() - loaded:.0f} s" if analyse else ""
    print(
        f"  prepared: demo and {comments} comments loaded in {loaded - started:.0f} s{analysed}",
        flush=True,
    )


def _pg_url(name: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _pg_admin(*statements: str) -> list:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    rows = []
    with engine.connect() as connection:
        for statement in statements:
            result = connection.execute(text(statement))
            rows = list(result) if result.returns_rows else rows
    engine.dispose()
    return rows


def prepared_database(
    kind: str, comments: int, workdir: Path, name: str, analyse: bool = True
) -> str:
    """A fresh copy of the cached prepared database; build the cache first if missing.

    Without ``analyse`` the large round has no themes (the export database: analysing
    100,000 comments takes many minutes, and the export's theme columns are then empty)."""
    key = _migrations_key()
    comments_key = f"{comments}" if analyse else f"{comments}-plain"
    if kind == "sqlite":
        cached = workdir / f"prepared-{comments_key}-{key}.sqlite3"
        if not cached.exists():
            print(f"  preparing {cached.name} (once; later runs copy it)", flush=True)
            for stale in workdir.glob(f"prepared-{comments_key}-*.sqlite3"):
                stale.unlink()
            building = cached.with_suffix(".building")
            building.unlink(missing_ok=True)
            _fill(f"sqlite:///{building}", comments, analyse)
            os.replace(building, cached)
        copy = workdir / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(cached, copy)
        return f"sqlite:///{copy}"
    template = f"consult_load_tpl_{comments_key.replace('-', '_')}"
    found = _pg_admin(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        f"WHERE datname = '{template}'"
    )
    if not found or found[0][0] != key:
        print(f"  preparing the template database {template} (once)", flush=True)
        building = f"{template}_building"
        _pg_admin(
            f"DROP DATABASE IF EXISTS {building}",
            f"CREATE DATABASE {building}",
        )
        _fill(_pg_url(building), comments, analyse)
        _pg_admin(
            f"DROP DATABASE IF EXISTS {template}",
            f"ALTER DATABASE {building} RENAME TO {template}",
            f"COMMENT ON DATABASE {template} IS '{key}'",
        )
    _pg_admin(
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} TEMPLATE {template}",
    )
    # A copied database starts with no activity counters, so autovacuum would not analyse
    # it for a long while, and the planner's statistics are the template's: without them
    # (a bulk load is never analysed) PostgreSQL picks plans that take the drill-down from
    # half a second to a minute and a half. Production databases have autovacuum's.
    _analyse(_pg_url(name))
    return _pg_url(name)


def _analyse(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Row:
    check: str
    figure: str
    bare: str
    target: str
    passed: bool | None  # None: a figure printed for information


def wrk(
    url: str,
    seconds: int,
    connections: int,
    threads: int,
    cookie: str = "",
    headers: tuple[str, ...] = (),
) -> dict:
    """Run wrk against ``url`` (sending ``headers``, "Name: value") and return requests/s
    and latencies in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["-s", script.name, "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run(command + [url], capture_output=True, text=True, check=False)
    os.unlink(script.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    if raw["requests"] == 0:  # nothing answered within the run: no latencies to report
        raw.update(p50_us=seconds * 10**6, p95_us=seconds * 10**6, p99_us=seconds * 10**6)
        raw["socket_errors"] = max(1, raw["socket_errors"])
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "requests": raw["requests"],
        "p50": raw["p50_us"] / 1000,
        "p95": raw["p95_us"] / 1000,
        "p99": raw["p99_us"] / 1000,
        "errors": raw["non_2xx_3xx"] + raw["socket_errors"],
    }


def _latencies(result: dict) -> str:
    text_ = f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms"
    return text_ + (f", {result['errors']} errors" if result["errors"] else "")


def _look(browser: requests.Session, url: str, headers: dict | None = None) -> float:
    """Fetch ``url`` once; return how long it took, in ms (any answer but 200 stops the run)."""
    began = time.monotonic()
    answer = browser.get(url, headers=headers, timeout=60)
    took = (time.monotonic() - began) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{url} answered HTTP {answer.status_code}")
    return took


def _one_at_a_time(samples: list[float]) -> dict:
    """The figures of looks taken one at a time, as ``wrk`` gives them."""
    samples = sorted(samples)
    return {"p50": statistics.median(samples), "p95": _percentile(samples, 95), "errors": 0}


def after_changes(
    url: str,
    cookie: str,
    database_url: str,
    round_id: int,
    verify: bool,
    themes: bool,
    times: int = 20,
) -> dict:
    """Time ``url`` ``times`` times, one after another, each right after the round's
    versions were raised as a write raises them: a new comment its data version alone, with
    ``themes`` any other change (a placing pass, a correction, an edit) its theme version
    too. The page as first seen after such a change, with nothing of what it changes cached."""
    from consult import caching

    engine = create_engine(database_url)
    browser = requests.Session()
    browser.verify = verify
    samples = []
    try:
        for _ in range(times):
            caching.bump(engine, {round_id}, themes=None if themes else set())
            samples.append(_look(browser, url, {"Cookie": cookie}))
    finally:
        engine.dispose()
    return _one_at_a_time(samples)


def after_placing(
    url: str, cookie: str, database_url: str, round_id: int, verify: bool, times: int = 10
) -> dict:
    """Time ``url`` right after each of ``times`` placing passes, each over one new comment:
    the pass the RQ worker runs (``placement.place_round``, which then builds again what
    staff looked at lately, see ``analysis.pages.warm``), run here on the cluster's
    database and Redis, so that what it keeps is what the app servers read."""
    from consult.analysis import placement, queue
    from consult.db import get_session
    from consult.models import Round
    from tests import factories

    app = _app(database_url, cache=REDIS_URL)
    browser = requests.Session()
    browser.verify = verify
    samples = []
    with queue.background_context(app):
        session = get_session()
        round_ = session.get(Round, round_id)
        for i in range(times):
            author = factories.make_user(session)
            body = f"Fler tåg och bättre vägar i inlandet behövs, skriver {i}."
            factories.make_comment(session, round_, author, body=body)
            if placement.place_round(session, round_id) != 1:
                raise SystemExit("the placing pass did not place the new comment")
            samples.append(_look(browser, url, {"Cookie": cookie}))
    return _one_at_a_time(samples)


def after_staff_change(
    url: str,
    cookie: str,
    database_url: str,
    round_id: int,
    verify: bool,
    base: str,
    think_seconds: float,
    moderation: bool = False,
    times: int = 10,
) -> dict:
    """Time ``url`` ``think_seconds`` after each of ``times`` changes a staff member makes
    through nginx, as the pages do with htmx: a comment moved from the largest theme to the
    next and back (the drill-down's "Flytta"), or with ``moderation`` hidden and shown again
    (the moderation queue's "Dölj" and "Visa"). The app builds again what was looked at once
    it has answered (``analysis.pages.rebuild_after_change``); the staff member's next click
    comes a moment later."""
    themes, comment_id = _two_themes_and_a_comment(database_url, round_id)
    browser = requests.Session()
    browser.verify = verify
    for pair in cookie.split("; "):  # in its jar: the session gains the form's CSRF secret
        name, value = pair.split("=", 1)
        browser.cookies.set(name, value, domain=urlsplit(base).hostname, path="/")
    page = browser.get(f"{base}/analys/omgang/{round_id}/tema/{themes[0]}", timeout=60)
    token = CSRF.search(page.text)[1]
    samples = []
    for i in range(times):
        if moderation:
            verb = "dolj" if i % 2 == 0 else "visa"
            path = f"/moderering/synpunkter/{comment_id}/{verb}"
            data = {f"{verb}-{comment_id}-reason": "off_topic"}
        else:
            source, target = themes if i % 2 == 0 else themes[::-1]
            path = f"/analys/omgang/{round_id}/synpunkt/{comment_id}/flytta"
            data = {"from_theme": source, "to_theme": target}
        changed = browser.post(
            base + path,
            data={**data, "csrf_token": token},
            headers={"HX-Request": "true"},
            timeout=60,
        )
        if changed.status_code != 200:
            raise SystemExit(f"{path} answered HTTP {changed.status_code}")
        time.sleep(think_seconds)
        samples.append(_look(browser, url))
    return _one_at_a_time(samples)


def _two_themes_and_a_comment(database_url: str, round_id: int) -> tuple[list[int], int]:
    """The round's two largest themes, and a comment in the first and not in the second."""
    from consult.models import Theme, ThemeAssignment

    current = ThemeAssignment.removed_at.is_(None)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        themes = connection.scalars(
            select(ThemeAssignment.theme_id)
            .join(Theme, Theme.id == ThemeAssignment.theme_id)
            .where(Theme.round_id == round_id, current)
            .group_by(ThemeAssignment.theme_id)
            .order_by(func.count().desc())
            .limit(2)
        ).all()
        if len(themes) < 2:
            raise SystemExit("after_staff_change needs a round with two themes")
        in_second = select(ThemeAssignment.comment_id).where(
            ThemeAssignment.theme_id == themes[1], current
        )
        comment_id = connection.scalar(
            select(ThemeAssignment.comment_id)
            .where(ThemeAssignment.theme_id == themes[0], current)
            .where(ThemeAssignment.comment_id.not_in(in_second))
            .limit(1)
        )
    engine.dispose()
    if comment_id is None:
        raise SystemExit("after_staff_change needs two themes and a comment in one of them")
    return list(themes), comment_id


def demo_cookie(base: str, verify: bool, role: str) -> str:
    """Sign in as the first demo account of ``role`` through nginx; return the Cookie
    header's value."""
    from consult.demo import DEMO_ACCOUNTS

    email, password, _ = next(a for a in DEMO_ACCOUNTS if a[2] == role)
    browser = requests.Session()
    browser.verify = verify
    token = CSRF.search(browser.get(f"{base}/konto/logga-in", timeout=30).text)[1]
    answer = browser.post(
        f"{base}/konto/logga-in",
        data={"csrf_token": token, "email": email, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code != 302:
        raise SystemExit(f"The {role}'s login answered HTTP {answer.status_code}")
    return _cookie_header(browser)


def _cookie_header(browser: requests.Session) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def _find_large(database_url: str) -> tuple[int, int, int, int]:
    """The large round's id, its comments, its largest theme and that theme's comments."""
    from tests.bench_board import _find

    _, round_id, comments, theme_id, in_theme = _find(database_url)
    return round_id, comments, theme_id, in_theme


def _app(database_url: str, cache: str = ""):
    """An app on the cluster's database and secret key (and, given ``cache``, its Redis
    cache): to sign participants in directly, or to place comments as its worker does."""
    from consult import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET_KEY,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "MAIL_WORKER": False,
            "CACHE_REDIS_URL": cache,
        }
    )


def participants(database_url: str, count: int) -> list[tuple[dict, str]]:
    """Add ``count`` participants and sign each in: (session cookies, CSRF token) apiece.

    They sign in through the app's test client with the cluster's secret key (the session is
    a signed cookie, valid on every app server), so that the login rate limit, shared by all
    of this machine's requests through nginx, is not the thing measured.
    """
    from werkzeug.security import generate_password_hash

    from consult.db import get_session
    from consult.models import Category, User

    app = _app(database_url)
    hashed = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    tag = uuid.uuid4().hex[:8]
    emails = [f"belastning-{tag}-{n}@example.se" for n in range(count)]
    with app.app_context():
        session = get_session()
        session.add_all(
            User(
                email=email,
                display_name=f"Belastning {n}",
                password_hash=hashed,
                category=Category.INDIVIDUAL,
                # Confirmed, as people in a rush are: their comments are published at once,
                # and so placed into the round's themes.
                email_confirmed_at=datetime.now(UTC),
            )
            for n, email in enumerate(emails)
        )
        session.commit()
    signer = URLSafeTimedSerializer(SECRET_KEY, salt="wtf-csrf-token")
    signed_in = []
    for email in emails:
        client = app.test_client()
        page = client.get("/konto/logga-in").get_data(as_text=True)
        token = CSRF.search(page)[1]
        answer = client.post(
            "/konto/logga-in", data={"csrf_token": token, "email": email, "password": PASSWORD}
        )
        if answer.status_code != 302:
            raise SystemExit(f"Participant login answered HTTP {answer.status_code}")
        # Signing in starts a new session: give it the CSRF secret a form page would (as
        # Flask-WTF does), and sign the token with the secret key as the form would.
        with client.session_transaction() as flask_session:
            raw = flask_session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        cookies = {c.key: c.value for c in client._cookies.values()}
        signed_in.append((cookies, signer.dumps(raw)))
    return signed_in


def _connection(base: str, verify: bool) -> http.client.HTTPConnection:
    """An unopened connection to ``base`` (https without checking the certificate unless
    ``verify``: the cluster's own)."""
    parts = urlsplit(base)
    if parts.scheme == "https":
        context = None if verify else ssl._create_unverified_context()
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=60, context=context)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)


@dataclass
class Answer:
    status: int  # 0: no answer
    text: str
    ms: float
    sent: datetime


def fire_wave(base: str, verify: bool, wave: list[tuple[str, str, bytes | None, dict]]):
    """Send the requests of ``wave`` (method, path, body, headers) all at once, each on its
    own connection opened beforehand, and return their answers in the same order.

    As browsers that have the page open: their connections to the site are open already
    (keep-alive). Plain http.client requests, so that the client's own work (one process
    for all of them, on the cores the servers use) stays small beside the servers'.
    """
    answers: list[Answer | None] = [None] * len(wave)
    barrier = threading.Barrier(len(wave))

    def send(index: int, method: str, path: str, body: bytes | None, headers: dict) -> None:
        connection = _connection(base, verify)
        try:
            connection.connect()
        except OSError:
            pass  # the request below fails: no answer
        barrier.wait()
        sent = datetime.now(UTC)
        began = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            status, text_ = response.status, response.read().decode()
        except (OSError, http.client.HTTPException):
            status, text_ = 0, ""
        finally:
            connection.close()
        answers[index] = Answer(status, text_, (time.monotonic() - began) * 1000, sent)

    threads = [threading.Thread(target=send, args=(i, *request)) for i, request in enumerate(wave)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user and system) used so far by ``pids`` and every process below them
    (those that ended too: counted in their parents' children's time)."""
    from deploy.cluster import descendants

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in {p for root in pids for p in (root, *descendants(root))}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        total += sum(int(value) for value in fields[11:15]) / tick
    return total


def wave_times(waves: int, seconds: float, close_after: float) -> list[float]:
    """When each wave is sent, in seconds from the start of the burst: evenly from the start
    up to the closing, the last of those 0.1 s before it (its posts are handled as the round
    closes, some after), and the last wave at the end of the burst, after the closing."""
    before = max(1, waves - 1)
    times = [close_after * i / max(1, before - 1) for i in range(before)]
    if before > 1:
        times[-1] = close_after - 0.1
    return times + [seconds] * (waves - before)


def burst(
    base: str,
    database_url: str,
    people: list[tuple[dict, str]],
    at_once: int,
    seconds: float,
    close_after: float,
    verify: bool,
    bare_path: str,
    parts: dict[str, list[int]],
) -> list[Row]:
    """Post one comment per participant in waves of ``at_once``; the round closes mid-burst.

    Beside it, the same number of waves of ``at_once`` requests of the bare route at once:
    what answering that many at the same moment costs this machine by itself. ``parts``
    names the processes (by pid) whose CPU time during the burst is printed a post."""
    from consult.demo.large import SLUG
    from consult.models import Comment, Consultation, Round

    engine = create_engine(database_url)
    round_query = (
        select(Round.id).join(Consultation).where(Consultation.slug == SLUG, Round.number == 1)
    )
    waves = [people[i : i + at_once] for i in range(0, len(people), at_once)]
    times = wave_times(len(waves), seconds, close_after)
    path = f"/samrad/{SLUG}/omgang/1/synpunkter/doc"
    tag = uuid.uuid4().hex[:8]

    bare: list[float] = []
    for _ in waves:
        bare += [a.ms for a in fire_wave(base, verify, [("GET", bare_path, None, {})] * at_once)]
        time.sleep(1)
    bare.sort()

    started = time.monotonic()
    closes_at = datetime.now(UTC) + timedelta(seconds=close_after)
    with engine.begin() as connection:
        round_id = connection.scalar(round_query)
        connection.execute(
            update(Round)
            .where(Round.id == round_id)
            .values(closes_at=closes_at, data_version=Round.data_version + 1)
        )

    results: list[dict] = []
    n = 0
    client_cpu = time.process_time()  # this script's own share of the cores while it posts
    parts_cpu = {name: cpu_seconds(pids) for name, pids in parts.items()}
    for at, wave in zip(times, waves, strict=True):
        sent_requests = []
        for cookies, token in wave:
            data = {
                "doc-kind": "comment",
                "doc-body": "Kollektivtrafiken behöver fler turer "
                + BURST_MARK.format(tag=tag, n=n + len(sent_requests)),
                "doc-stance": "",
                "doc-submission_key": uuid.uuid4().hex,
                "csrf_token": token,
            }
            headers = {
                **HTMX,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
            }
            sent_requests.append(("POST", path, urlencode(data).encode(), headers))
        delay = started + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        for answer in fire_wave(base, verify, sent_requests):
            status, text_ = answer.status, answer.text
            found = re.search(r'<article id="c-(\d+)"', text_) if status == 200 else None
            results.append(
                {
                    "n": n,
                    "status": status,
                    "ms": answer.ms,
                    "id": int(found[1]) if found else None,
                    "late": answer.sent > closes_at,
                    "closed_message": status == 409 and ("stängd" in text_ or "is closed" in text_),
                }
            )
            n += 1
    took_s = time.monotonic() - started
    client_cpu = time.process_time() - client_cpu
    parts_cpu = {name: cpu_seconds(parts[name]) - used for name, used in parts_cpu.items()}

    acknowledged = {r["id"] for r in results if r["status"] == 200 and r["id"]}
    refused = [r for r in results if r["status"] == 409]
    other = [r for r in results if r["status"] not in (200, 409)]
    with engine.connect() as connection:
        saved = connection.execute(
            select(Comment.id, Comment.created_at).where(
                Comment.round_id == round_id, Comment.body.like(f"%belastningsprov {tag} %")
            )
        ).all()
        after_close = connection.scalar(
            select(func.count())
            .select_from(Comment)
            .where(Comment.round_id == round_id, Comment.created_at > closes_at)
        )
    placed, placed_after = _wait_for_placing(engine, round_id, acknowledged, started)
    engine.dispose()
    saved_ids = {row.id for row in saved}
    lost = acknowledged - saved_ids
    unacknowledged = saved_ids - acknowledged
    late_sent = [r for r in results if r["late"]]
    late_clear = [r for r in late_sent if r["status"] == 409 and r["closed_message"]]
    latencies = sorted(r["ms"] for r in results)
    p50, p95 = statistics.median(latencies), _percentile(latencies, 95)
    for number in range(len(waves)):
        wave = sorted(r["ms"] for r in results if r["n"] // at_once == number)
        print(
            f"  wave {number + 1}: p50 {statistics.median(wave):.0f} ms, p95 "
            f"{_percentile(wave, 95):.0f} ms, slowest {wave[-1]:.0f} ms",
            flush=True,
        )
    statuses = ", ".join(
        f"{s or 'no answer'}: {sum(1 for r in results if r['status'] == s)}"
        for s in sorted({r["status"] for r in results})
    )
    print(
        f"  burst: {len(results)} posts in {len(waves)} waves of {at_once} at "
        + ", ".join(f"{t:.1f}" for t in times)
        + f" s over {took_s:.1f} s, closing at {close_after:.0f} s; answers {statuses}; the"
        f" posting client's own CPU {client_cpu * 1000 / max(1, len(results)):.1f} ms a post; "
        + ", ".join(
            f"{name} {used * 1000 / max(1, len(results)):.1f}" for name, used in parts_cpu.items()
        )
        + " ms of CPU a post",
        flush=True,
    )
    return [
        Row(
            "burst: post latency, all answers",
            f"p50 {p50:.0f} ms, p95 {p95:.0f} ms",
            f"p50 {statistics.median(bare):.0f} ms, p95 {_percentile(bare, 95):.0f} ms",
            "p95 <= 200 ms",
            p95 <= 200,
        ),
        Row(
            "burst: nothing lost",
            f"{len(acknowledged)} acknowledged, {len(saved_ids)} saved, {len(lost)} lost"
            + (f", {len(unacknowledged)} saved unacknowledged" if unacknowledged else ""),
            "",
            "0 lost, no 5xx",
            not lost and not other,
        ),
        Row(
            "burst: comments placed into themes (RQ worker)",
            f"{placed} of {len(acknowledged)} placed {placed_after:.0f} s after the burst began",
            "",
            f"all within {PLACING_WAIT_S} s",
            placed == len(acknowledged),
        ),
        Row(
            "burst: nothing after closing",
            f"{after_close} created after closing; {len(late_clear)} of {len(late_sent)} late "
            f"posts refused clearly; {len(refused)} refused in all",
            "",
            "0 after, all late refused",
            after_close == 0 and len(late_clear) == len(late_sent),
        ),
    ]


def _wait_for_placing(
    engine, round_id: int, comment_ids: set[int], started: float
) -> tuple[int, float]:
    """Wait until the round's last analysis has placed ``comment_ids`` into its themes (in
    the background, a moment after each post); return how many it placed, and when."""
    from sqlalchemy.orm import Session

    from consult.analysis.placement import last_analysis
    from consult.models import AnalysedComment

    with Session(engine) as session:
        latest = last_analysis(session, round_id)
    counted = (
        select(func.count())
        .select_from(AnalysedComment)
        .where(
            AnalysedComment.analysis_id == latest,
            AnalysedComment.comment_id.in_(sorted(comment_ids)),
        )
    )
    while True:
        with engine.connect() as connection:
            placed = connection.scalar(counted) if comment_ids else 0
        waited = time.monotonic() - started
        if placed >= len(comment_ids) or waited > PLACING_WAIT_S:
            return placed, waited
        time.sleep(1)


def _percentile(ordered: list[float], percent: float) -> float:
    """The nearest-rank percentile of sorted figures."""
    index = max(0, min(len(ordered) - 1, math.ceil(percent / 100 * len(ordered)) - 1))
    return ordered[index]


def export_rows(kind: str, comments: int, workdir: Path, trace: bool) -> list[Row]:
    """The .xlsx export of a large database, timed by tests/bench_exports.py (with
    ``trace``, run once more under tracemalloc: several minutes at 100,000 comments)."""
    from tests.bench_exports import TARGET_S, _run_child

    url = prepared_database(kind, comments, workdir, "consult_load_export", analyse=False)
    timed = _run_child(url, "xlsx", trace=False)
    traced = _run_child(url, "xlsx", trace=True) if trace else None
    growth = timed["rss_peak_mb"] - timed["rss_before_mb"]
    python_peak = f", Python peak {traced['traced_peak_mb']:.0f} MB" if traced else ""
    return [
        Row(
            f"xlsx export, {timed['comments']} comments",
            f"{timed['seconds']:.1f} s (first byte {timed['first_byte']:.1f} s, "
            f"{timed['bytes'] / 2**20:.1f} MB)",
            "",
            f"<= {TARGET_S} s",
            timed["seconds"] <= TARGET_S,
        ),
        Row(
            "xlsx export: memory",
            f"RSS {timed['rss_before_mb']:.0f} MB before, +{growth:.0f} MB{python_peak}",
            "",
            "flat: Python peak <= 100 MB",
            # The resident peak before the request (the app and its language data) can hide
            # what the request holds: only the traced peak decides.
            traced["traced_peak_mb"] <= 100 if traced else None,
        ),
    ]


def machine() -> str:
    """Cores, RAM and kernel of this machine."""
    memory = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, {memory / 2**20:.0f} GB RAM, Linux {platform.release()}; "
        f"load average before the run {load[0]:.2f}"
    )


def print_table(rows: list[Row]) -> None:
    headers = ("check", "figure", "bare route", "target", "PASS/FAIL")
    cells = [
        (r.check, r.figure, r.bare, r.target, {True: "PASS", False: "FAIL", None: "-"}[r.passed])
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for c in cells:
        print(" | ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--comments", type=int, default=40_000)
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "load")
    parser.add_argument("--app-ports", default="5261,5262")
    parser.add_argument("--nginx-port", type=int, default=5260)
    parser.add_argument("--seconds", type=int, default=15, help="Each wrk run's duration.")
    parser.add_argument("--connections", type=int, default=16, help="wrk, draft page.")
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        help='A request header for the draft page and its bare route, as "Name: value" '
        '(repeatable), e.g. "Accept-Encoding: gzip" as browsers send it.',
    )
    parser.add_argument(
        "--staff-connections", type=int, default=2, help="wrk, board and drill-down."
    )
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=1.0,
        help="After a staff member's change to the themes, the time to their next look.",
    )
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--at-once", type=int, default=50)
    parser.add_argument("--burst-seconds", type=float, default=60)
    parser.add_argument("--close-after", type=float, default=50)
    parser.add_argument("--export-comments", type=int, default=100_000)
    parser.add_argument(
        "--trace-export", action="store_true", help="Also the export's Python peak (slow)."
    )
    parser.add_argument(
        "--skip", action="append", default=[], choices=("page", "board", "burst", "export")
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        parser.error("wrk is missing: apt-get install wrk (make bench-load installs it)")
    sys.path.insert(0, str(ROOT))
    args.workdir.mkdir(parents=True, exist_ok=True)

    from deploy.cluster import Cluster, flush_redis

    class _Cluster(Cluster):
        """The cluster on a prepared database: ``flask demo`` refuses a database holding
        another consultation (the large round) unless forced; forced, it finds the demo
        loaded and changes nothing."""

        def flask(self, *args: str, check: bool = True):
            if args == ("demo",):
                args = ("demo", "--force")
            return super().flask(*args, check=check)

    from consult.demo import SLUG as DEMO_SLUG

    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")
    started = time.monotonic()
    database_url = prepared_database(args.database, args.comments, args.workdir, "consult_load")
    round_id, comments, theme_id, in_theme = _find_large(database_url)
    print(
        f"database: {args.database}, {comments} comments in the large round "
        f"(copy ready after {time.monotonic() - started:.0f} s)",
        flush=True,
    )
    people = []
    if "burst" not in args.skip:
        people = participants(database_url, args.participants)
        print(f"  {len(people)} participants signed in", flush=True)
    flush_redis(REDIS_URL)
    rows: list[Row] = []
    cluster = _Cluster(
        args.workdir / f"cluster-{args.database}",
        database_url,
        REDIS_URL,
        tuple(int(p) for p in args.app_ports.split(",")),
        args.nginx_port,
        env={"CONSULT_SECRET_KEY": SECRET_KEY},
        bare=True,
    )
    with cluster:
        base = cluster.base_url.rstrip("/")
        verify = False
        bare_url = cluster.bare_url
        if "page" not in args.skip:
            draft = f"{base}/samrad/{DEMO_SLUG}/"
            headers = tuple(args.header)
            sent = "".join(f", {h}" for h in headers)
            bare = wrk(bare_url, args.seconds, args.connections, 2, headers=headers)
            page = wrk(draft, args.seconds, args.connections, 2, headers=headers)
            share = page["rps"] / bare["rps"] * 100
            rows += [
                Row(
                    f"draft page, req/s (wrk -c{args.connections}{sent})",
                    f"{page['rps']:.0f}/s = {share:.0f} % of bare",
                    f"{bare['rps']:.0f}/s",
                    ">= 25 % of bare",
                    share >= 25 and not page["errors"],
                ),
                Row(
                    "draft page, latency",
                    _latencies(page),
                    _latencies(bare),
                    "p95 <= 50 ms",
                    page["p95"] <= 50 and not page["errors"],
                ),
            ]
            print(f"  draft page measured: {page}", flush=True)
            # A visitor's page comes from nginx's micro-cache. With a cookie it comes from the
            # app: a visitor who chose English gets the page the app keeps ready, a signed-in
            # person's is rendered for them. Both measured too, beside the bare route with
            # the same cookie.
            english = requests.Session()
            english.verify = verify
            english.get(f"{base}/sprak", params={"lang": "en", "next": "/"}, timeout=30)
            for label, cookie in (
                ("draft page, visitor in English (from the app)", _cookie_header(english)),
                ("draft page, signed in (rendered)", demo_cookie(base, verify, "participant")),
            ):
                bare = wrk(bare_url, args.seconds, args.connections, 2, cookie, headers)
                measured = wrk(draft, args.seconds, args.connections, 2, cookie, headers)
                share = measured["rps"] / bare["rps"] * 100
                rows.append(
                    Row(
                        label,
                        f"{measured['rps']:.0f}/s = {share:.0f} % of bare; " + _latencies(measured),
                        f"{bare['rps']:.0f}/s; {_latencies(bare)}",
                        "(for comparison)",
                        None,
                    )
                )
                print(f"  {label} measured: {measured}", flush=True)
        if "board" not in args.skip:
            cookie = demo_cookie(base, verify, "staff")
            c = args.staff_connections
            bare = wrk(bare_url, args.seconds, c, 1, cookie)
            for label, path in (
                (f"theme board ({comments} comments)", f"/analys/omgang/{round_id}/"),
                (
                    f"drill-down, largest theme ({in_theme})",
                    f"/analys/omgang/{round_id}/tema/{theme_id}",
                ),
            ):
                measured = wrk(base + path, args.seconds, c, 1, cookie)
                rows.append(
                    Row(
                        f"{label}, wrk -c{c}",
                        _latencies(measured) + f", {measured['rps']:.1f}/s",
                        _latencies(bare),
                        "p50 <= 100, p95 <= 300 ms",
                        measured["p50"] <= 100
                        and measured["p95"] <= 300
                        and not measured["errors"],
                    )
                )
                print(f"  {label} measured: {measured}", flush=True)
                look = (base + path, cookie, database_url, round_id, verify)
                staff_change = partial(
                    after_staff_change, *look, base=base, think_seconds=args.think_seconds
                )
                for change, first_look in (
                    ("new comment", partial(after_changes, *look, themes=False)),
                    ("change to the themes", partial(after_changes, *look, themes=True)),
                    ("placing pass", partial(after_placing, *look)),
                    (f"staff change, {args.think_seconds:g} s later", staff_change),
                    (
                        f"moderation decision, {args.think_seconds:g} s later",
                        partial(staff_change, moderation=True),
                    ),
                ):
                    first = first_look()
                    rows.append(
                        Row(
                            f"  the same, first look after each {change} (one at a time)",
                            _latencies(first),
                            "",
                            "p50 <= 100, p95 <= 300 ms",
                            first["p50"] <= 100 and first["p95"] <= 300,
                        )
                    )
        if people:
            rows += burst(
                base,
                database_url,
                people,
                args.at_once,
                args.burst_seconds,
                args.close_after,
                verify,
                urlsplit(bare_url).path,
                {
                    "app servers": [app.popen.pid for app in cluster.apps if app],
                    "nginx": [cluster.nginx.popen.pid],
                    "RQ worker": [cluster.worker.popen.pid],
                },
            )
    if "export" not in args.skip:
        rows += export_rows(args.database, args.export_comments, args.workdir, args.trace_export)
    print()
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; database: {args.database}")
    print(f"machine: {machine()}")
    print_table(rows)
    return 0 if all(r.passed is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
