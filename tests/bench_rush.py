"""A deadline rush on freshly started app servers: many people post a comment at once into a
round that has been analysed, and every post must be acknowledged (placing the comments into
the analysis's themes happens in the background, a moment later).

Run against a database holding an open, analysed round (e.g. after ``flask demo`` and
``flask analysis run <slug> 1``)::

    .venv/bin/python -m tests.bench_rush --database-url sqlite:////path/consult.sqlite3 \\
        --workers 4 --posts 50

It adds ``--posts`` participants, starts ``gunicorn -w WORKERS`` on a free loopback port and
signs each participant in, restarts the server (so that its workers are fresh), then sends
all posts at once and prints how many were acknowledged, the latencies, and how long until
all were placed. Set ``CONSULT_REDIS_URL`` to
place through RQ (start ``flask analysis worker`` yourself).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from consult import clock, create_app, db
from consult.analysis import placement
from consult.models import AnalysedComment, Analysis, AnalysisStatus, Category, Comment, Round, User

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PASSWORD = "rusning-före-stängning"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _open_analysed_round(session) -> tuple[Round, int]:
    now = clock.now()
    for analysis in session.scalars(
        select(Analysis).where(Analysis.status == AnalysisStatus.DONE).order_by(Analysis.id.desc())
    ):
        round_ = analysis.round
        if round_.opens_at <= now < round_.closes_at and round_.closed_at is None:
            return round_, analysis.id
    sys.exit("No open round with a finished analysis in this database.")


def _people(session, count: int) -> list[str]:
    # A cheap hash: the rush is about posting, not about signing in.
    hashed = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    tag = uuid.uuid4().hex[:8]
    emails = [f"rush-{tag}-{n}@example.se" for n in range(count)]
    # Confirmed addresses: their comments are published at once, and so placed.
    session.add_all(
        User(
            email=email,
            display_name=f"Rusning {n}",
            password_hash=hashed,
            category=Category.INDIVIDUAL,
            email_confirmed_at=clock.now(),
        )
        for n, email in enumerate(emails)
    )
    session.commit()
    return emails


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--posts", type=int, default=50)
    args = parser.parse_args()

    app = create_app({"DATABASE_URL": args.database_url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        session = db.get_session()
        round_, analysis_id = _open_analysed_round(session)
        slug, number = round_.consultation.slug, round_.number
        emails = _people(session, args.posts)

    port = _free_port()
    env = {
        **os.environ,
        "CONSULT_DATABASE_URL": args.database_url,
        "CONSULT_SECRET_KEY": "bench-rush",
        "CONSULT_SECURE_COOKIES": "0",
        "CONSULT_RATELIMIT": "0",
        "CONSULT_MAIL_WORKER": "0",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/samrad/{slug}/omgang/{number}/synpunkter/doc"

    def serve() -> subprocess.Popen:
        started = time.monotonic()
        server = subprocess.Popen(
            [gunicorn, "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        print(f"{args.workers} fresh workers serving after {time.monotonic() - started:.1f} s")
        return server

    server = serve()
    started = time.monotonic()
    try:
        browsers = []
        for email in emails:
            browser = requests.Session()
            token = CSRF.search(browser.get(f"{base}/konto/logga-in", timeout=60).text)[1]
            browser.post(
                f"{base}/konto/logga-in",
                data={"email": email, "password": PASSWORD, "csrf_token": token},
                timeout=60,
            )
            browsers.append((browser, CSRF.search(browser.get(url, timeout=60).text)[1]))
        print(f"{len(browsers)} people signed in after {time.monotonic() - started:.1f} s")
        # Their sessions are signed cookies: they stay signed in on a server started afresh,
        # whose workers have loaded nothing yet.
        server.terminate()
        server.wait(timeout=60)
        server = serve()

        results: list[tuple[int, float]] = []
        lock = threading.Lock()
        go = threading.Event()

        def post(n: int, browser, token: str) -> None:
            go.wait()
            began = time.monotonic()
            try:
                status = browser.post(
                    url,
                    data={
                        "doc-kind": "comment",
                        "doc-body": f"Kollektivtrafiken behöver fler turer ({n}, rusning).",
                        "doc-stance": "",
                        "doc-submission_key": uuid.uuid4().hex,
                        "csrf_token": token,
                    },
                    allow_redirects=False,
                    timeout=120,
                ).status_code
            except requests.RequestException:
                status = 0
            with lock:
                results.append((status, time.monotonic() - began))

        threads = [
            threading.Thread(target=post, args=(n, b, t)) for n, (b, t) in enumerate(browsers)
        ]
        for thread in threads:
            thread.start()
        rush = time.monotonic()
        go.set()
        for thread in threads:
            thread.join()
        took = sorted(t for _, t in results)
        acknowledged = sum(1 for status, _ in results if status in (200, 302, 303))
        statuses = sorted({status for status, _ in results})
        p95 = took[max(0, math.ceil(0.95 * len(took)) - 1)]
        print(
            f"{acknowledged} of {len(results)} posts acknowledged; latency median "
            f"{statistics.median(took):.2f} s, p95 {p95:.2f} s, max {took[-1]:.2f} s; answers "
            + ", ".join(f"{s}: {sum(1 for r, _ in results if r == s)}" for s in statuses)
        )

        with app.app_context():
            session = db.get_session()
            posted = select(Comment.id).where(
                Comment.round_id == round_.id, Comment.body.like("%rusning).")
            )
            while True:
                session.rollback()
                done = session.scalar(
                    select(func.count(AnalysedComment.id)).where(
                        AnalysedComment.analysis_id == analysis_id,
                        AnalysedComment.comment_id.in_(posted),
                    )
                )
                total = session.scalar(select(func.count()).select_from(posted.subquery()))
                if done >= total or time.monotonic() - rush > 600:
                    break
                time.sleep(1)
            print(
                f"{done} of {total} saved comments placed {time.monotonic() - rush:.1f} s "
                "after the rush began"
            )
    finally:
        server.terminate()
        server.wait(timeout=60)
        placement.forget_models()


if __name__ == "__main__":
    main()
