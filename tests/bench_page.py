"""Time the reading pages with the full demo data: median of repeated requests.

Run with ``make bench-page`` (SQLite in a temporary folder) or set ``CONSULT_BENCH_DATABASE_URL``
to a PostgreSQL database that may be emptied. Prints one table; the health check and the same
consultation page without any comments are the baselines measured in the same run. A second
table shows the draft pages with the figures cache cold (emptied before every request) and warm,
and a reload answered 304; set ``CONSULT_BENCH_LARGE`` to a number of comments (e.g. 40000) to
add the large round of ``flask demo-large`` to it.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

from sqlalchemy import func, select, text

from consult import caching, clock, create_app, db, demo
from consult.demo import large
from consult.models import Comment, Consultation

REPEATS = 30


def _timed(client, url: str, headers=None) -> list[float]:
    client.get(url, headers=headers)  # warm caches and templates
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def _cache_cold_and_warm(app, client, pages: list[tuple[str, str]]) -> None:
    """Print the draft pages with the figures cache emptied before each request, warm, and
    revalidated (If-None-Match: a 304 without a body)."""

    def empty_cache() -> None:
        app.extensions["consult_cache"] = caching.LocalStore(
            app.config["CACHE_MAX_ENTRIES"], app.config["CACHE_TTL_SECONDS"]
        )

    print(f"{'draft page (median ms)':<60} {'cold':>8} {'warm':>8} {'304':>8}")
    for label, path in pages:
        cold = []
        for _ in range(REPEATS):
            empty_cache()
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            cold.append((time.perf_counter() - start) * 1000)
        warm = _timed(client, path)
        tag = client.get(path).headers["ETag"]
        samples = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            response = client.get(path, headers={"If-None-Match": tag})
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 304, response.status_code
        print(
            f"{label:<60} {statistics.median(cold):>8.1f} {statistics.median(warm):>8.1f}"
            f" {statistics.median(samples):>8.1f}"
        )


def _reset(url: str) -> None:
    engine = db.make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    db.upgrade(url)


def main() -> None:
    """Load the demo into a fresh database and print request timings."""
    url = os.environ.get("CONSULT_BENCH_DATABASE_URL")
    folder = tempfile.mkdtemp()
    url = url or f"sqlite:///{folder}/bench.sqlite3"
    _reset(url)
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
        }
    )
    with app.app_context():
        session = db.get_session()
        start = time.perf_counter()
        demo.load(session, clock.now())
        load_seconds = time.perf_counter() - start
        comments = session.scalar(select(func.count()).select_from(Comment))
        consultation = session.scalar(select(Consultation))
        round_ = consultation.rounds[0]
        paragraphs = round_.document.paragraphs
        busiest = session.execute(
            select(Comment.paragraph_id, func.count())
            .where(Comment.paragraph_id.is_not(None))
            .group_by(Comment.paragraph_id)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        busiest_anchor = next(p.anchor for p in paragraphs if p.id == busiest[0])
        slug = consultation.slug
    client = app.test_client()
    base = f"/samrad/{slug}/omgang/1"
    rows = [
        ("health check (baseline: framework + one query)", "/healthz", None),
        ("start page", "/", None),
        (
            f"consultation page, {len(paragraphs)} paragraphs, {comments} comments",
            f"/samrad/{slug}/",
            None,
        ),
        (
            f"thread of busiest paragraph ({busiest[1]} comments), htmx fragment",
            f"{base}/synpunkter/{busiest_anchor}",
            {"HX-Request": "true"},
        ),
        ("open data, first 100 comments", f"/api/v1{base}/synpunkter", None),
    ]
    print(
        f"database: {app.extensions['db_engine'].dialect.name}; demo loaded in {load_seconds:.2f} s"
    )
    print(f"{'page':<72} {'median ms':>10} {'p90 ms':>8}")
    for label, path, headers in rows:
        samples = sorted(_timed(client, path, headers))
        p90 = samples[int(len(samples) * 0.9) - 1]
        print(f"{label:<72} {statistics.median(samples):>10.1f} {p90:>8.1f}")
    cached = [(f"demo consultation, {comments} comments", f"/samrad/{slug}/")]
    wanted = int(os.environ.get("CONSULT_BENCH_LARGE", "0"))
    if wanted:
        with app.app_context():
            large.load(db.get_session(), clock.now(), wanted)
        cached.append((f"large round, {wanted} comments", f"/samrad/{large.SLUG}/"))
    _cache_cold_and_warm(app, client, cached)
    with app.app_context():
        session = db.get_session()
        session.execute(text("DELETE FROM agreement"))
        session.execute(text("DELETE FROM comment_revision"))
        session.execute(text("UPDATE comment SET parent_id = NULL"))
        session.execute(text("DELETE FROM comment"))
        # SQL text passes the version listeners by: say what changed.
        caching.note_changed(session, caching.EVERY_ROUND)
        session.commit()
    samples = _timed(client, f"/samrad/{slug}/")
    print(
        f"{'same consultation page with no comments (baseline)':<72} "
        f"{statistics.median(samples):>10.1f} {sorted(samples)[int(REPEATS * 0.9) - 1]:>8.1f}"
    )
    app.extensions["db_engine"].dispose()


if __name__ == "__main__":
    main()
