"""Time the analysis board and a theme's drill-down page against a running app.

Assumes the large round is loaded and analysed::

    flask demo                      # the staff account below
    flask demo-large --comments 40000
    flask analysis run rus-vasterbotten-2030-stor 1

then the app is served (e.g. on port 5198 with CONSULT_SECURE_COOKIES=0) and::

    python -m tests.bench_board --url http://127.0.0.1:5198 --database-url $CONSULT_DATABASE_URL

It logs in as the demo staff account, GETs each page ``--repeats`` times after one warm-up
request and prints the median and p90 beside the 300 ms target (issue 5, "Performance"):
the board, the largest theme's drill-down unfiltered and with three kinds of filter, and
the comments without a theme.
The database URL is read (never written) to find the round, the largest theme and the dialect.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

from sqlalchemy import create_engine, func, select

from consult.demo import DEMO_ACCOUNTS
from consult.demo.large import SLUG
from consult.models import Comment, Consultation, Round, Theme, ThemeAssignment

TARGET_MS = 300
# The drill-down's filters timed besides the unfiltered page (issue 5, "Drill-down").
FILTER = {"kategori": "kommun", "hallning": "agree"}
SEARCH = {"q": "järnväg"}
STATE = {"bekraftad": "no", "status": "all"}
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _login(base: str):
    opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect())
    page = opener.open(f"{base}/konto/logga-in").read().decode()
    email, password, _ = next(a for a in DEMO_ACCOUNTS if a[2] == "staff")
    data = urlencode(
        {"csrf_token": CSRF.search(page).group(1), "email": email, "password": password}
    ).encode()
    try:
        opener.open(Request(f"{base}/konto/logga-in", data=data))
        raise SystemExit("Login did not redirect: is the demo (flask demo) loaded?")
    except HTTPError as error:
        if error.code != 302:
            raise SystemExit(f"Login failed with HTTP {error.code}") from error
    return opener


def _find(database_url: str) -> tuple[str, int, int, int, int]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        round_id = connection.scalar(
            select(Round.id).join(Consultation).where(Consultation.slug == SLUG, Round.number == 1)
        )
        if round_id is None:
            raise SystemExit(f"No round {SLUG}/1: run flask demo-large first.")
        comments = connection.scalar(
            select(func.count()).select_from(Comment).where(Comment.round_id == round_id)
        )
        theme = connection.execute(
            select(Theme.id, func.count())
            .join(ThemeAssignment, ThemeAssignment.theme_id == Theme.id)
            .where(
                Theme.round_id == round_id,
                Theme.retired_at.is_(None),
                ThemeAssignment.removed_at.is_(None),
            )
            .group_by(Theme.id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        if theme is None:
            raise SystemExit(f"No themes: run flask analysis run {SLUG} 1 first.")
        name = engine.dialect.name
    engine.dispose()
    return name, round_id, comments, theme[0], theme[1]


def _timed(opener, url: str, repeats: int) -> list[float]:
    opener.open(url).read()  # warm caches and templates
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = opener.open(url)
        response.read()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status == 200, (url, response.status)
    return sorted(samples)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.epilog = (
        f"Assumes flask demo, flask demo-large and flask analysis run {SLUG} 1 have been run."
    )
    parser.add_argument("--url", default="http://127.0.0.1:5198", help="The running app.")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CONSULT_DATABASE_URL"),
        help="The app's database (default: $CONSULT_DATABASE_URL).",
    )
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set CONSULT_DATABASE_URL")
    base = args.url.rstrip("/")
    dialect, round_id, comments, theme_id, in_theme = _find(args.database_url)
    opener = _login(base)
    theme = f"{base}/analys/omgang/{round_id}/tema/{theme_id}"
    rows = [
        (f"theme board, {comments} comments", f"{base}/analys/omgang/{round_id}/"),
        (f"drill-down, largest theme ({in_theme} comments)", theme),
        ("  filtered: municipalities that agree", f"{theme}?{urlencode(FILTER)}"),
        ("  filtered: text search", f"{theme}?{urlencode(SEARCH)}"),
        ("  filtered: not confirmed, any state", f"{theme}?{urlencode(STATE)}"),
        ("drill-down, comments without a theme", f"{base}/analys/omgang/{round_id}/tema/ingen"),
    ]
    print(f"database: {dialect}; app: {base}; {args.repeats} requests per page")
    print(f"{'page':<52} {'median ms':>10} {'p90 ms':>8} {'target ms':>10}")
    for label, url in rows:
        samples = _timed(opener, url, args.repeats)
        p90 = samples[max(int(len(samples) * 0.9) - 1, 0)]
        median = statistics.median(samples)
        verdict = "ok" if median < TARGET_MS else "OVER"
        print(f"{label:<52} {median:>10.1f} {p90:>8.1f} {'< ' + str(TARGET_MS):>10} {verdict}")


if __name__ == "__main__":
    main()
