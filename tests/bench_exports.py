"""Time the .xlsx and CSV exports of the large round through their download routes.

Assumes, on each database, the demo, the large round and (for real theme columns) its analysis::

    flask db upgrade && flask demo
    flask demo-large --comments 100000
    flask analysis run rus-vasterbotten-2030-stor 1

then::

    python -m tests.bench_exports --database-url sqlite:///… --database-url postgresql+psycopg://…

Each export runs in a fresh child process that logs in as the demo staff account and GETs the
download route with the app's test client, reading the body as it comes (nothing is kept). It
runs twice: once for the wall time, the time to the first byte and the growth of the process's
resident memory over what it held before the request (its peak, sampled during the request);
once under tracemalloc for the peak of Python's own allocations during the request (slower:
that run's time is not the figure). The theme engine's warm-up is off, so that its memory is
not counted.
Printed beside the 30 s target of issue 5 ("Performance"). The databases are only read.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
import tracemalloc

from sqlalchemy import func, select

TARGET_S = 30
ROUTES = {
    "xlsx": "/sammanstallning/omgang/{round_id}/synpunkter.xlsx",
    "csv": "/sammanstallning/omgang/{round_id}/synpunkter.csv",
}


def _cpu_s() -> float:
    """The process's CPU time so far (user and system), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    """The process's resident memory now, in MB (Linux's /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


class _PeakRss:
    """The highest resident memory seen while it runs, sampled every 10 ms in a thread.

    Not ru_maxrss: the process's peak so far is often set before the request (the login's
    password hash), and would hide what the export holds."""

    def __init__(self) -> None:
        self.peak = _rss_mb()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, _rss_mb())

    def stop(self) -> float:
        """Stop sampling and return the peak, in MB."""
        self._done.set()
        self._thread.join()
        return max(self.peak, _rss_mb())


def _app(database_url: str):
    from consult import create_app

    return create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-exports",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "MAIL_WORKER": False,
            # Not the theme engine's warm-up: it would load its language data in a thread
            # during the export (after the login, the process's first request), and its
            # ~270 MB and CPU would be counted as the export's.
            "ANALYSIS_WARM": False,
        }
    )


def _find(app) -> tuple[str, int, int, int]:
    """Return the dialect, the large round's id, its comments and its current theme tags."""
    from consult.db import get_session
    from consult.demo.large import SLUG
    from consult.models import Comment, Consultation, Round, ThemeAssignment

    with app.app_context():
        session = get_session()
        round_id = session.scalar(
            select(Round.id).join(Consultation).where(Consultation.slug == SLUG, Round.number == 1)
        )
        if round_id is None:
            raise SystemExit(f"No round {SLUG}/1: run flask demo-large first.")
        comments = session.scalar(
            select(func.count()).select_from(Comment).where(Comment.round_id == round_id)
        )
        tags = session.scalar(
            select(func.count())
            .select_from(ThemeAssignment)
            .join(Comment, Comment.id == ThemeAssignment.comment_id)
            .where(Comment.round_id == round_id, ThemeAssignment.removed_at.is_(None))
        )
        return session.get_bind().dialect.name, round_id, comments, tags


def child(database_url: str, kind: str, trace: bool) -> dict:
    """Log in as demo staff, download one export, and return what it cost."""
    from consult.demo import DEMO_ACCOUNTS

    app = _app(database_url)
    dialect, round_id, comments, tags = _find(app)
    client = app.test_client()
    email, password, _ = next(a for a in DEMO_ACCOUNTS if a[2] == "staff")
    login = client.post("/konto/logga-in", data={"email": email, "password": password})
    if login.status_code != 302:
        raise SystemExit(f"Login failed with HTTP {login.status_code}: is the demo loaded?")
    before = _rss_mb()
    sampler = _PeakRss()
    if trace:
        tracemalloc.start()
    cpu = _cpu_s()
    start = time.perf_counter()
    response = client.get(ROUTES[kind].format(round_id=round_id), buffered=False)
    size, first = 0, None
    for chunk in response.iter_encoded():
        if first is None:
            first = time.perf_counter() - start
        size += len(chunk)
    response.close()
    elapsed = time.perf_counter() - start
    cpu = _cpu_s() - cpu
    peak_rss = sampler.stop()
    peak_traced = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    if response.status_code != 200:
        raise SystemExit(f"{kind}: HTTP {response.status_code}")
    return {
        "dialect": dialect,
        "comments": comments,
        "tags": tags,
        "kind": kind,
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "first_byte": first or elapsed,
        "bytes": size,
        "rss_before_mb": before,
        "rss_peak_mb": peak_rss,
        "traced_peak_mb": peak_traced / 2**20 if trace else None,
    }


def _run_child(database_url: str, kind: str, trace: bool) -> dict:
    command = [sys.executable, "-m", "tests.bench_exports", "--child", kind]
    command += ["--database-url", database_url] + (["--trace"] if trace else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} on {database_url} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    """Run each export on each database in child processes and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        action="append",
        help="A database holding the large round (repeat for several; default "
        "$CONSULT_DATABASE_URL).",
    )
    parser.add_argument("--child", choices=sorted(ROUTES), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-trace", action="store_true", help="Skip the tracemalloc runs.")
    parser.add_argument(
        "--export",
        action="append",
        choices=sorted(ROUTES),
        help="Only this export (repeat for several; default all).",
    )
    args = parser.parse_args(argv)
    urls = args.database_url or [u for u in [os.environ.get("CONSULT_DATABASE_URL")] if u]
    if not urls:
        parser.error("give --database-url or set CONSULT_DATABASE_URL")
    if args.child:
        print(json.dumps(child(urls[0], args.child, args.trace)))
        return
    print(
        f"{'database':<11} {'export':<6} {'comments':>8} {'tags':>7} {'seconds':>8} {'CPU s':>6} "
        f"{'first byte s':>12} {'MB out':>7} {'RSS +MB':>8} {'traced MB':>9} {'target':>7}"
    )
    for url in urls:
        for kind in args.export or ("xlsx", "csv"):
            timed = _run_child(url, kind, trace=False)
            traced = None if args.no_trace else _run_child(url, kind, trace=True)
            verdict = "ok" if timed["seconds"] < TARGET_S else "OVER"
            growth = timed["rss_peak_mb"] - timed["rss_before_mb"]
            peak = f"{traced['traced_peak_mb']:.1f}" if traced else "-"
            print(
                f"{timed['dialect']:<11} {kind:<6} {timed['comments']:>8} {timed['tags']:>7} "
                f"{timed['seconds']:>8.1f} {timed['cpu_seconds']:>6.1f} "
                f"{timed['first_byte']:>12.1f} "
                f"{timed['bytes'] / 2**20:>7.1f} {growth:>8.1f} {peak:>9} "
                f"{'< ' + str(TARGET_S):>7} {verdict}",
                flush=True,
            )


if __name__ == "__main__":
    main()
