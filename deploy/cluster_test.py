"""`make cluster-test`: start the cluster on PostgreSQL and Redis and check, through nginx,
that the app servers, the workers and nginx work together as one site.

    python -m deploy.cluster_test [--database-url URL] [--redis-url URL] [--keep]

Each check prints PASS or FAIL with a figure; the exit status is 1 if any failed. Everything
started is stopped, whatever happens. The database is dropped and created, and the Redis
database emptied, at the start: give ones used for nothing else.
"""

from __future__ import annotations

import argparse
import http.client
import json
import mailbox
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from deploy.cluster import Cluster, flush_redis, recreate_postgres

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/consult_cluster"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
SLUG = "rus-vasterbotten-2030"
ROUND_PATH = f"/samrad/{SLUG}/omgang/1"
STAFF = ("handlaggare@demo.consult.example", "demo-handlaggare-2030")
PARTICIPANT = ("deltagare@demo.consult.example", "demo-deltagare-2030")
LOAD_USERS = 6
PASSWORD = "cluster-test-password-2030"
# The address a client gets from nginx's X-Forwarded-For in the rate-limit check.
LIMITED_CLIENT = "203.0.113.7"
TIMEOUT = 30
CHECKS = 9  # a, b, c, d, e, f1, f2, g, h


@dataclass
class Report:
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, figure: str) -> bool:
        self.results.append((name, ok, figure))
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {figure}", flush=True)
        return ok

    @property
    def failed(self) -> int:
        return sum(1 for _, ok, _ in self.results if not ok)


def csrf_token(html: str, name: str = "csrf_token") -> str:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', html)
    if match is None:
        raise AssertionError(f"no {name} in the page")
    return match.group(1)


def log_in(base: str, email: str, password: str, **headers) -> tuple[requests.Session, int]:
    """Log in at ``base``; return the session and the status of the POST (302 = in)."""
    browser = requests.Session()
    page = browser.get(f"{base}/konto/logga-in", timeout=TIMEOUT)
    answer = browser.post(
        f"{base}/konto/logga-in",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        headers=headers,
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    return browser, answer.status_code


def progress_of(html: str) -> str:
    """The analysis state a status fragment shows: busy <percent>, failed or idle."""
    match = re.search(r'<progress max="100" value="(\d+)"', html)
    if match:
        return f"busy {match.group(1)}"
    if "notice-error" in html:
        return "failed"
    return "idle"


class Checks:
    def __init__(self, cluster: Cluster, report: Report):
        self.cluster = cluster
        self.report = report
        self.nginx = cluster.base_url
        self.app1, self.app2 = cluster.app_urls[:2]
        self.engine = create_engine(cluster.database_url)
        self.round_id: int | None = None
        self.staff: requests.Session | None = None

    # -- setup -------------------------------------------------------------------------

    def create_accounts(self) -> None:
        """Accounts for the load and the e-mail check, made in this process (no CLI start)."""
        from consult import create_app
        from consult.auth import services as accounts
        from consult.db import get_session
        from consult.models import Category, Consultation, Role, Round

        app = create_app(
            {
                "DATABASE_URL": self.cluster.database_url,
                "SECRET_KEY": self.cluster.secret_key,
                "ANALYSIS_WARM": False,
                "MAIL_WORKER": False,
            }
        )
        with app.app_context():
            session = get_session()
            for index in range(LOAD_USERS + 1):
                accounts.register(
                    session,
                    email=self.email(index),
                    display_name=f"Klustertest {index}",
                    password=PASSWORD,
                    category=Category.REGION,
                    new_organisation="Klustertest",
                    role=Role.PARTICIPANT,
                    confirmed=True,
                )
            session.commit()
            self.round_id = session.scalar(
                select(Round.id).join(Consultation).where(Consultation.slug == SLUG)
            )

    @staticmethod
    def email(index: int) -> str:
        return f"kluster{index}@cluster.consult.example"

    def analysis(self):
        from consult.models import Analysis

        with Session(self.engine) as session:
            return session.scalars(
                select(Analysis)
                .where(Analysis.round_id == self.round_id)
                .order_by(Analysis.id.desc())
                .limit(1)
            ).first()

    def status_through(self, base: str) -> str:
        answer = self.staff.get(
            f"{base}/analys/omgang/{self.round_id}/status",
            headers={"HX-Request": "true"},
            timeout=TIMEOUT,
        )
        return progress_of(answer.text) if answer.status_code == 200 else str(answer.status_code)

    def start_analysis(self, base: str) -> int:
        page = self.staff.get(f"{base}/analys/omgang/{self.round_id}/", timeout=TIMEOUT)
        answer = self.staff.post(
            f"{base}/analys/omgang/{self.round_id}/starta",
            data={"csrf_token": csrf_token(page.text)},
            headers={"HX-Request": "true"},
            timeout=TIMEOUT,
        )
        return answer.status_code

    # -- (c) an analysis started on one server, watched on the other -------------------

    def analysis_seen_across(self) -> bool:
        self.staff, status = log_in(self.nginx, *STAFF)
        if status != 302:
            return self.report.check("analysis across servers", False, f"staff login {status}")
        started = time.monotonic()
        code = self.start_analysis(self.app1)
        seen = []
        state = ""
        while time.monotonic() - started < 90:
            state = self.status_through(self.app2)
            seen.append(state)
            job = self.analysis()
            # Progress the worker wrote, seen through the other app server.
            if state not in ("busy 0", "idle", "failed") and state.startswith("busy"):
                break
            time.sleep(0.5)
        took = time.monotonic() - started
        job = self.analysis()
        ok = code == 200 and state.startswith("busy") and state != "busy 0"
        ok = ok and job is not None and job.status == "running"
        states = " -> ".join(dict.fromkeys(seen))
        return self.report.check(
            "(c) analysis started via app server 1 runs in the RQ worker, seen via app server 2",
            ok,
            f"start {code}; states seen {states}; progress after {took:.1f} s",
        )

    # -- (f) the RQ worker killed mid-job ----------------------------------------------

    def kill_worker_mid_job(self) -> bool:
        job = self.analysis()
        before = job.status if job else None
        killed = time.monotonic()
        self.cluster.kill_worker()
        state = ""
        while time.monotonic() - killed < 60:
            state = self.status_through(self.nginx)
            if state == "failed":
                break
            time.sleep(1)
        took = time.monotonic() - killed
        job = self.analysis()
        ok = before == "running" and state == "failed" and job.status == "failed"
        self.report.check(
            "(f1) the RQ worker SIGKILLed mid-job: the job is marked failed",
            ok,
            f"job {job.id} {before} -> {job.status} ({job.error}) {took:.1f} s after the kill "
            f"(dead after {self.cluster.process_env()['CONSULT_ANALYSIS_DEAD_SECONDS']} s)",
        )
        # Restart the worker and start the analysis again (it runs while the others check).
        self.cluster.start_worker()
        self.restart_code = self.start_analysis(self.nginx)
        self.restarted = time.monotonic()
        return ok

    def restarted_job_done(self, limit: float = 240) -> bool:
        state = ""
        while time.monotonic() - self.restarted < limit:
            job = self.analysis()
            if job.status in ("done", "failed"):
                break
            time.sleep(1)
        job = self.analysis()
        state = self.status_through(self.nginx)
        ok = self.restart_code == 200 and job.status == "done" and state == "idle"
        return self.report.check(
            "(f2) staff start it again and the restarted worker finishes it",
            ok,
            f"restart {self.restart_code}; job {job.id} {job.status} "
            f"({job.comment_count} comments) {time.monotonic() - self.restarted:.1f} s "
            f"after the restart; page: {state}",
        )

    # -- (a) a session made on one server works on the other ---------------------------

    def session_across(self) -> bool:
        browser, status = log_in(self.nginx, *PARTICIPANT)
        figures = [f"login via nginx {status}"]
        ok = status == 302
        for name, base in (("app1", self.app1), ("app2", self.app2), ("nginx", self.nginx)):
            answer = browser.get(f"{base}/mina-synpunkter", allow_redirects=False, timeout=TIMEOUT)
            figures.append(f"{name} {answer.status_code}")
            ok = ok and answer.status_code == 200
        anonymous = requests.get(
            f"{self.app2}/mina-synpunkter", allow_redirects=False, timeout=TIMEOUT
        )
        figures.append(f"without the cookie {anonymous.status_code}")
        ok = ok and anonymous.status_code in (302, 303)
        return self.report.check(
            "(a) a session made through nginx is signed in on both app servers",
            ok,
            ", ".join(figures),
        )

    # -- (b) shared login rate limit ----------------------------------------------------

    def shared_login_limit(self) -> bool:
        # What nginx sends for one client: its address as the last X-Forwarded-For entry.
        forwarded = {"X-Forwarded-For": LIMITED_CLIENT}
        codes = []
        for attempt in range(10):
            base = (self.app1, self.app2)[attempt % 2]
            _, status = log_in(base, PARTICIPANT[0], "wrong-password", **forwarded)
            codes.append(status)
        eleventh = [
            log_in(base, PARTICIPANT[0], "wrong-password", **forwarded)[1]
            for base in (self.app1, self.app2)
        ]
        # Through nginx a forged X-Forwarded-For does not make one that client: nginx adds
        # the real address last and the app trusts only that one.
        _, forged = log_in(self.nginx, PARTICIPANT[0], "wrong-password", **forwarded)
        ok = all(code == 422 for code in codes) and eleventh == [429, 429] and forged == 422
        return self.report.check(
            "(b) login attempts are counted across app servers: the 11th is refused on either",
            ok,
            f"attempts 1-10 alternating {dict(Counter(codes))}; 11th on app1/app2 {eleventh}; "
            f"forged X-Forwarded-For via nginx {forged}",
        )

    # -- (d) one e-mail although two app servers run -----------------------------------

    def one_email(self) -> bool:
        address = self.email(LOAD_USERS)
        browser = requests.Session()
        page = browser.get(f"{self.nginx}/konto/glomt-losenord", timeout=TIMEOUT)
        asked = time.monotonic()
        answer = browser.post(
            f"{self.nginx}/konto/glomt-losenord",
            data={"csrf_token": csrf_token(page.text), "email": address},
            timeout=TIMEOUT,
        )
        count = 0
        took = None
        while time.monotonic() - asked < 60:
            count = self.mails_to(address)
            if count and took is None:
                took = time.monotonic() - asked
                # Give any second sender two more passes of the worker to show itself.
                settle = time.monotonic() + 5
                while time.monotonic() < settle:
                    time.sleep(0.5)
                count = self.mails_to(address)
                break
            time.sleep(0.5)
        ok = answer.status_code == 200 and count == 1
        return self.report.check(
            "(d) a password-reset e-mail is sent once with two app servers and two "
            "notification workers",
            ok,
            f"request {answer.status_code}; {count} message(s) in the mail log"
            + (f", the first {took:.1f} s after the request" if took else ""),
        )

    def mails_to(self, address: str) -> int:
        path = self.cluster.mail_log
        if not path.exists():
            return 0
        box = mailbox.mbox(str(path), create=False)
        try:
            return sum(1 for message in box if address in (message["To"] or ""))
        finally:
            box.close()

    def upstreams_of(self, request: str) -> str:
        """How nginx's access log says requests were passed: to app1, app2, or on to the
        other after a failure ("app2>app1")."""
        names = {
            f"127.0.0.1:{port}": f"app{i + 1}" for i, port in enumerate(self.cluster.app_ports)
        }
        counts: Counter = Counter()
        for line in (self.cluster.logs / "access.log").read_text().splitlines():
            match = re.search(r" up=(.*?) ut=", line)
            if request in line and match:
                hops = [names.get(a.strip(), a.strip()) for a in match.group(1).split(",")]
                counts[">".join(hops)] += 1
        return ", ".join(f"{hops} {n}" for hops, n in sorted(counts.items()))

    # -- (g) what nginx keeps to itself and what it serves itself ----------------------

    def edge(self) -> bool:
        """/metrics and /readyz refused to others than this machine; static files from
        nginx, cacheable for a year under their versioned names."""
        port = self.cluster.nginx_port
        figures, ok = [], True
        for path in ("/metrics", "/readyz", "/healthz"):
            # From 127.0.0.2: another address than the allowed 127.0.0.1 (and not a proxy).
            outside = _get_from("127.0.0.2", port, path)
            inside = _get_from("127.0.0.1", port, path)
            figures.append(f"{path} outside {outside}, local {inside}")
            ok = ok and inside != 403 and (outside == 403) == (path != "/healthz")
        page = requests.get(f"{self.nginx}/", timeout=TIMEOUT).text
        match = re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]+)"', page)
        if match is None:
            return self.report.check("(g) nginx's edge", False, "no versioned stylesheet link")
        style = requests.get(f"{self.nginx}{match.group(1)}", timeout=TIMEOUT)
        cache = style.headers.get("Cache-Control", "")
        ok = ok and style.status_code == 200 and "immutable" in cache
        # nginx serves it (the app's static route adds no such header).
        figures.append(f"{match.group(1)} {style.status_code} '{cache}'")
        # A visitor's draft page is kept by nginx for the second the app allows; a request
        # with a cookie (a signed-in person's) always goes to an app server.
        draft = f"{self.nginx}{ROUND_PATH}/"
        seen = [requests.get(draft, timeout=TIMEOUT).headers.get("X-Cache") for _ in range(2)]
        with_cookie = requests.get(draft, cookies={"session": "x"}, timeout=TIMEOUT)
        seen.append(with_cookie.headers.get("X-Cache"))
        ok = ok and seen[1] in ("HIT", "UPDATING") and seen[2] == "BYPASS"
        figures.append(
            f"draft page from nginx's cache: visitor {seen[0]}, {seen[1]}; cookie {seen[2]}"
        )
        return self.report.check(
            "(g) operations endpoints refused to other addresses; static files and visitors' "
            "pages from nginx",
            ok,
            "; ".join(figures),
        )

    # -- (h) what an operator reads: JSON logs joined by request id, and metrics ------------

    def logs_and_metrics(self) -> bool:
        """nginx's request id comes back on the answer and names the app's JSON access line;
        /metrics answers Prometheus only with the bearer token, with the figures of every
        worker process of the app server added up."""
        answer = requests.get(f"{self.nginx}/", timeout=TIMEOUT)
        request_id = answer.headers.get("X-Request-ID", "")
        if "," in request_id:
            return self.report.check("(h) logs and metrics", False, f"two ids: {request_id}")
        line = None
        deadline = time.monotonic() + 5
        while line is None and time.monotonic() < deadline:
            for name in ("app1", "app2"):
                path = self.cluster.logs / f"{name}.log"
                for text in path.read_text(errors="replace").splitlines() if path.exists() else ():
                    if request_id and request_id in text and '"consult.access"' in text:
                        line = (name, json.loads(text))
            time.sleep(0.2)
        logged = line is not None and line[1].get("route") == "/" and line[1].get("status") == 200
        token = {"Authorization": f"Bearer {self.cluster.metrics_token}"}
        without = requests.get(f"{self.nginx}/metrics", timeout=TIMEOUT).status_code
        scrape = requests.get(f"{self.nginx}/metrics", headers=token, timeout=TIMEOUT)
        counted = re.search(
            r'^consult_http_requests_total\{[^}]*endpoint="consultations.index"[^}]*\} (\S+)',
            scrape.text,
            re.MULTILINE,
        )
        where = (
            f"{line[0]}.log, route {line[1].get('route')}, {line[1].get('duration_ms')} ms"
            if line
            else "no access line with it"
        )
        ok = logged and without == 404 and scrape.status_code == 200 and counted is not None
        return self.report.check(
            "(h) JSON access line found by nginx's request id; /metrics with the token only",
            ok,
            f"request id {request_id or '-'}: {where}; "
            f"/metrics without token {without}, with token {scrape.status_code}, "
            f"start page requests counted {counted.group(1) if counted else '-'}",
        )

    # -- (e) one app server stopped mid-load -------------------------------------------

    def failover_under_load(self) -> bool:
        marker = f"cluster-e {uuid.uuid4().hex[:8]}"
        thread_path = f"{ROUND_PATH}/synpunkter/doc"
        acked: list[str] = []
        posts: Counter = Counter()
        reads: Counter = Counter()
        errors: list[str] = []
        after_stop: Counter = Counter()
        stopping = threading.Event()
        finished = threading.Event()
        lock = threading.Lock()
        sessions = []
        for index in range(LOAD_USERS):
            browser, status = log_in(self.nginx, self.email(index), PASSWORD)
            if status != 302:
                return self.report.check("(e) failover", False, f"load user login {status}")
            page = browser.get(f"{self.nginx}{thread_path}", timeout=TIMEOUT)
            sessions.append((browser, csrf_token(page.text, "doc-csrf_token")))

        def answered(kind: Counter, status: int) -> None:
            with lock:
                kind[status] += 1
                if stopping.is_set():
                    after_stop[status] += 1

        def post(index: int) -> None:
            browser, token = sessions[index]
            # At most 18 each: below the app's 20 comments a minute per account.
            for number in range(18):
                if finished.is_set():
                    return
                body = f"{marker} {index}-{number}: Fler bussturer mellan kommunerna."
                try:
                    answer = browser.post(
                        f"{self.nginx}{thread_path}",
                        data={
                            "doc-csrf_token": token,
                            "doc-submission_key": uuid.uuid4().hex,
                            "doc-kind": "comment",
                            "doc-stance": "",
                            "doc-body": body,
                        },
                        allow_redirects=False,
                        timeout=TIMEOUT,
                    )
                except requests.RequestException as error:
                    with lock:
                        errors.append(type(error).__name__)
                    continue
                answered(posts, answer.status_code)
                if 200 <= answer.status_code < 400:
                    with lock:
                        acked.append(body)
                time.sleep(0.6)

        def read() -> None:
            while not finished.is_set():
                try:
                    answer = requests.get(f"{self.nginx}{ROUND_PATH}/", timeout=TIMEOUT)
                except requests.RequestException as error:
                    with lock:
                        errors.append(type(error).__name__)
                    continue
                answered(reads, answer.status_code)
                time.sleep(0.2)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(LOAD_USERS)]
        threads.append(threading.Thread(target=read))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while len(acked) < 2 * LOAD_USERS and time.monotonic() - started < 60:
            time.sleep(0.05)
        before = len(acked)
        stopping.set()
        stop_began = time.monotonic()
        code = self.cluster.stop_app(1, graceful=True)
        stop_took = time.monotonic() - stop_began
        # Go on a little with one app server, then stop the load.
        time.sleep(3)
        finished.set()
        for thread in threads:
            thread.join(120)
        from consult.models import Comment

        with Session(self.engine) as session:
            stored = list(
                session.scalars(select(Comment.body).where(Comment.body.like(f"{marker} %")))
            )
        lost = [body for body in acked if body not in set(stored)]
        served = self.upstreams_of(f"POST {thread_path} ")
        failed = sum(n for status, n in (posts + reads).items() if status >= 500)
        ok = (
            not lost
            and not errors
            and not failed
            and len(stored) == len(set(stored))
            and sum(after_stop.values()) > 0
        )
        figure = (
            f"{len(acked)} comments acknowledged ({before} before the stop), {len(stored)} "
            f"stored, {len(lost)} lost; posts {dict(posts)}, page reads {dict(reads)}, "
            f"{sum(after_stop.values())} answered after the stop began; connection errors "
            f"{len(errors)}; app server 2 stopped gracefully in {stop_took:.1f} s (exit {code}); "
            f"nginx passed the posts to {served}"
        )
        ok = self.report.check(
            "(e) app server 2 stopped mid-load: nginx fails over and no acknowledged comment "
            "is lost",
            bool(ok),
            figure,
        )
        self.cluster.start_app(1)
        return ok


def run(cluster: Cluster, report: Report) -> Report:
    checks = Checks(cluster, report)
    checks.create_accounts()
    # In this order: logins from 127.0.0.1 stay under the app's 10 a minute, and the
    # restarted analysis runs while the other checks do.
    steps = [
        ("(c) analysis across servers", checks.analysis_seen_across),
        ("(f1) killed worker", checks.kill_worker_mid_job),
        ("(a) session across servers", checks.session_across),
        ("(d) one e-mail", checks.one_email),
        ("(e) failover under load", checks.failover_under_load),
        ("(b) shared login limit", checks.shared_login_limit),
        ("(g) nginx's edge", checks.edge),
        ("(h) logs and metrics", checks.logs_and_metrics),
        ("(f2) restarted analysis", checks.restarted_job_done),
    ]
    for name, step in steps:
        try:
            step()
        except Exception as error:  # noqa: BLE001 - reported, and the other checks go on
            report.check(name, False, f"{type(error).__name__}: {error}")
    return report


def _get_from(source: str, port: int, path: str) -> int:
    """GET ``path`` from nginx with the connection coming from address ``source``."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=TIMEOUT, source_address=(source, 0)
    )
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    finally:
        connection.close()


def _import_app() -> None:
    import consult.auth.services  # noqa: F401
    import consult.models  # noqa: F401


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster_test")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--keep", action="store_true", help="keep the logs")
    args = parser.parse_args(argv)
    # SIGTERM ends the run like Ctrl-C: the cluster's with-block stops everything.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    if args.database_url.startswith("postgresql"):
        recreate_postgres(args.database_url)
    flush_redis(args.redis_url)
    env = {
        "CONSULT_ANALYSIS_DEAD_SECONDS": "10",
        "CONSULT_ANALYSIS_HEARTBEAT_SECONDS": "2",
    }
    # The app's modules load here while the cluster starts (create_accounts needs them).
    threading.Thread(target=_import_app, daemon=True).start()
    workdir = Path(tempfile.mkdtemp(prefix="consult-cluster-"))
    report = Report()
    try:
        database_url = args.database_url
        if not database_url.startswith("postgresql"):
            database_url = f"sqlite:///{workdir / 'consult.sqlite3'}"
        cluster = Cluster(workdir, database_url, args.redis_url, env=env, notifier_count=2)
        with cluster:
            print(f"Cluster up in {time.monotonic() - began:.0f} s: {cluster.base_url}")
            run(cluster, report)
    finally:
        passed = len(report.results) - report.failed
        print(
            f"{passed} of {len(report.results)} checks passed in "
            f"{time.monotonic() - began:.0f} s; everything started is stopped."
        )
        if args.keep or report.failed or len(report.results) < CHECKS:
            print(f"Logs: {workdir / 'logs'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if passed == CHECKS else 1


if __name__ == "__main__":
    sys.exit(main())
