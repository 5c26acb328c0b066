"""The Prometheus endpoint: hidden without its token, request figures per route, and the
backlog of work read from the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from consult import clock
from consult.models import Analysis, AnalysisStatus, CommentStatus, OutboxEmail
from consult.ops import metrics

from . import factories

TOKEN = "a-long-random-metrics-token"


@pytest.fixture
def scraper(app):
    app.config["METRICS_TOKEN"] = TOKEN
    return app.test_client()


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ],
)
def test_metrics_are_a_404_without_the_right_token(scraper, headers):
    response = scraper.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "consult_http" not in response.get_data(as_text=True)


def test_metrics_are_a_404_when_no_token_is_configured(client):
    response = client.get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404


def test_a_request_is_counted_under_its_endpoint_method_and_status_class(scraper):
    labels = {"endpoint": "ops.healthz", "method": "GET", "status": "2xx"}
    before = scrape(scraper)
    scraper.get("/healthz")
    scraper.get("/healthz")
    scraper.get("/no-such-page/12345")
    after = scrape(scraper)

    def grew(name, **extra):
        return value(after, name, **extra) - value(before, name, **extra)

    # The scrape before the second one counts too: 2 health checks, plus 1 scrape.
    assert grew("consult_http_requests_total", **labels) == 2
    assert grew("consult_http_request_duration_seconds_count", **labels) == 2
    assert grew("consult_http_request_duration_seconds_bucket", le="+Inf", **labels) == 2
    missing = {"endpoint": "none", "method": "GET", "status": "4xx"}
    assert grew("consult_http_requests_total", **missing) == 1
    # Never the raw address as a label.
    assert not any("12345" in str(key) for key in after)


def test_outbox_backlog_counts_unsent_mail_that_will_still_be_tried(scraper, session):
    user = factories.make_user(session)
    now = clock.now()
    max_attempts = scraper.application.config["MAIL_MAX_ATTEMPTS"]
    for attempts, sent in [(0, None), (2, None), (0, now), (max_attempts, None)]:
        session.add(
            OutboxEmail(
                user_id=user.id,
                to_address=user.email,
                subject="S",
                body="B",
                created_at=now,
                attempts=attempts,
                sent_at=sent,
            )
        )
    session.commit()
    samples = scrape(scraper)
    assert value(samples, "consult_outbox_backlog") == 2
    assert value(samples, "consult_outbox_given_up") == 1


def test_jobs_and_the_moderation_queue_are_read_from_the_database(
    scraper, session, open_round, pre_round
):
    now = clock.now()
    for status, seconds in [
        (AnalysisStatus.DONE, 40),
        (AnalysisStatus.FAILED, 3),
        (AnalysisStatus.FAILED, 700),
    ]:
        session.add(
            Analysis(
                round_id=open_round.id,
                status=status,
                created_at=now,
                updated_at=now,
                started_at=now,
                finished_at=now + timedelta(seconds=seconds),
            )
        )
    author = factories.make_user(session)
    factories.make_comment(session, pre_round, author, status=CommentStatus.PENDING)
    factories.make_comment(session, pre_round, author, status=CommentStatus.PENDING)
    session.commit()

    samples = scrape(scraper)
    assert value(samples, "consult_analysis_jobs", status="failed") == 2
    assert value(samples, "consult_analysis_jobs", status="done") == 1
    assert value(samples, "consult_analysis_job_failures_total") == 2
    name = "consult_analysis_job_duration_seconds"
    assert value(samples, f"{name}_count") == 3
    assert value(samples, f"{name}_sum") == 743
    assert value(samples, f"{name}_bucket", le="5.0") == 1
    assert value(samples, f"{name}_bucket", le="60.0") == 2
    assert value(samples, f"{name}_bucket", le="+Inf") == 3
    assert value(samples, "consult_moderation_queue_length", kind="pending") == 2
    assert value(samples, "consult_moderation_queue_length", kind="reported") == 0


def test_metrics_and_health_checks_are_not_rate_limited(database_url):
    from consult import create_app
    from consult.extensions import limiter

    from .conftest import make_config

    # The limiter is one object for every app of the run: its default limits are put back.
    defaults_before = list(limiter.limit_manager._default_limits)
    app = create_app(
        make_config(database_url, RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="2 per minute")
    )
    app.config["METRICS_TOKEN"] = TOKEN
    client = app.test_client()
    try:
        for _ in range(4):
            assert client.get("/healthz").status_code == 200
            assert client.get("/readyz").status_code == 200
            assert scrape(client)
        # The same limit refuses an ordinary page.
        assert [client.get("/konto/logga-in").status_code for _ in range(3)][-1] == 429
    finally:
        with app.app_context():
            limiter.reset()
        limiter.limit_manager.set_default_limits(defaults_before)
        app.extensions["db_engine"].dispose()


def test_gunicorns_child_exit_hook_is_harmless_without_multiprocess_mode(monkeypatch):
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)

    class Worker:
        pid = 4242

    metrics.child_exit(None, Worker())


MULTIPROCESS_SCRIPT = """
import os, sys
from consult import create_app
from consult.ops import metrics
app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": sys.argv[1],
                  "SERVER_NAME": "localhost", "METRICS_TOKEN": "t0ken-for-the-test"})
client = app.test_client()
for _ in range(int(sys.argv[2])):
    assert client.get("/healthz").status_code == 200
if sys.argv[3] == "scrape":
    response = client.get("/metrics", headers={"Authorization": "Bearer t0ken-for-the-test"})
    sys.stdout.write(response.get_data(as_text=True))

class Worker:
    pid = os.getpid()

metrics.child_exit(None, Worker())
"""


def test_multiprocess_mode_adds_up_the_figures_of_every_worker_process(database_url, tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))

    def worker(requests: int, scrape_: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_SCRIPT, database_url, str(requests), scrape_],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    worker(3, "no")
    output = worker(2, "scrape")
    assert list(tmp_path.glob("counter_*.db")), "no figures were written to the folder"
    samples = {}
    for family in text_string_to_metric_families(output):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    labels = {"endpoint": "ops.healthz", "method": "GET", "status": "2xx"}
    assert value(samples, "consult_http_requests_total", **labels) == 5
    assert "consult_outbox_backlog" in output
