"""Start the production topology on one machine: nginx in front of two gunicorn app servers,
one RQ analysis worker and the notification worker, on a given database and Redis.

    python -m deploy.cluster start [--workdir DIR] [--database-url URL] [--redis-url URL]
    python -m deploy.cluster test        # the checks of `make cluster-test`

In Python::

    with Cluster(workdir, database_url, redis_url) as cluster:
        cluster.base_url        # through nginx
        cluster.app_urls        # each app server directly
        cluster.stop_app(1); cluster.start_app(1)
        cluster.kill_worker(); cluster.start_worker()

nginx's configuration is rendered from deploy/nginx/consult.conf (the production site), with
local ports and paths and no TLS; gunicorn runs with deploy/gunicorn.conf.py.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SITE_CONF = DEPLOY / "nginx" / "consult.conf"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
NGINX = os.environ.get("CONSULT_NGINX", "/usr/sbin/nginx")
MIME_TYPES = Path("/etc/nginx/mime.types")
BARE_PREFIX = "/__bare/"
_MARKER = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*# cluster: (?P<local>.*?)\s*$")


class ClusterError(RuntimeError):
    """A part of the cluster did not start (the message ends with the tail of its log)."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_site(values: dict[str, str], source: Path = SITE_CONF) -> str:
    """Render the production nginx site for this machine (see the head of consult.conf)."""
    lines: list[str] = []
    skipping = False
    for line in source.read_text().splitlines():
        match = _MARKER.match(line)
        if match is None:
            if not skipping:
                lines.append(line)
            continue
        local = match["local"]
        if local == "skip-begin":
            skipping = True
        elif local == "skip-end":
            skipping = False
        elif not skipping and local != "-":
            for name, value in values.items():
                local = local.replace(f"@@{name}@@", value)
            if "@@" in local:
                raise ClusterError(f"Unfilled placeholder in {source}: {local}")
            lines.extend(match["indent"] + part if part else "" for part in local.split("\n"))
    return "\n".join(lines) + "\n"


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children, grandchildren...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (name) state ppid ...": the name may hold spaces and parentheses.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Process:
    """A process the cluster started, in its own process group, logging to ``log``."""

    name: str
    popen: subprocess.Popen
    log: Path
    port: int | None = None
    # Where this run's output starts in the log (a restarted process appends to it).
    offset: int = 0

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, signum: int, group: bool = True) -> None:
        if not self.alive():
            return
        try:
            if group:
                os.killpg(self.popen.pid, signum)
            else:
                self.popen.send_signal(signum)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 15.0, group_term: bool = True) -> int | None:
        """SIGTERM (graceful), then SIGKILL to the whole group after ``timeout`` seconds,
        and to any process below it in a process group of its own (RQ's work horse)."""
        family = descendants(self.popen.pid) if self.alive() else []
        self.signal(signal.SIGTERM, group=group_term)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(5)
        # Whatever the group left behind (a gunicorn worker) goes too.
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.popen.returncode

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Cluster:
    """nginx, two gunicorn app servers, an RQ worker and the notification worker.

    ``database_url``: a SQLAlchemy URL (PostgreSQL, or sqlite:///<file in workdir>).
    ``redis_url``: shared rate limits and the RQ queue; None runs without Redis (jobs in
    the app servers, rate limits per server) and without the RQ worker.
    ``env``: more CONSULT_* settings for every process. ``bare``: also serve deploy/bare.py
    behind the same nginx at /__bare/.
    """

    workdir: Path
    database_url: str
    redis_url: str | None = None
    app_ports: tuple[int, ...] | None = None
    nginx_port: int | None = None
    env: dict[str, str] | None = None
    bare: bool = False
    # Notification workers (more than one: as if on several machines; each e-mail is
    # claimed before it is sent, so it still goes out once).
    notifier_count: int = 1
    quiet: bool = False
    apps: list[Process | None] = field(default_factory=list, init=False)
    worker: Process | None = field(default=None, init=False)
    notifiers: list[Process] = field(default_factory=list, init=False)
    nginx: Process | None = field(default=None, init=False)
    bare_app: Process | None = field(default=None, init=False)
    bare_port: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir).resolve()
        self.app_ports = tuple(self.app_ports or (free_port(), free_port()))
        self.nginx_port = self.nginx_port or free_port()
        self.logs = self.workdir / "logs"
        self.mail_log = self.workdir / "mail.log"
        self.apps = [None] * len(self.app_ports)
        self.secret_key = (self.env or {}).get("CONSULT_SECRET_KEY") or secrets.token_hex(32)
        # The bearer token Prometheus would scrape /metrics with.
        self.metrics_token = secrets.token_hex(16)

    # -- addresses ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The site through nginx."""
        return f"http://127.0.0.1:{self.nginx_port}"

    @property
    def app_urls(self) -> list[str]:
        """Each app server directly (bypassing nginx)."""
        return [f"http://127.0.0.1:{port}" for port in self.app_ports]

    @property
    def bare_url(self) -> str:
        return f"{self.base_url}{BARE_PREFIX}"

    # -- environment -------------------------------------------------------------------

    def process_env(self) -> dict[str, str]:
        """The environment of every process: the same secret key (sessions work on every
        app server), the same database and Redis, mail to a file, one proxy trusted."""
        env = dict(os.environ)
        for key in [k for k in env if k.startswith("CONSULT_")]:
            del env[key]  # nothing of the caller's own settings leaks in
        env.update(
            {
                "FLASK_APP": "wsgi",
                "PYTHONUNBUFFERED": "1",
                "CONSULT_DATABASE_URL": self.database_url,
                "CONSULT_SECRET_KEY": self.secret_key,
                "CONSULT_MAIL_WORKER": "0",
                "CONSULT_PROXY_HOPS": "1",
                "CONSULT_SECURE_COOKIES": "0",
                "CONSULT_MAIL_LOG": str(self.mail_log),
                "CONSULT_BASE_URL": self.base_url,
                "CONSULT_GUNICORN_WORKERS": "2",
                "CONSULT_GUNICORN_GRACEFUL_TIMEOUT": "10",
                "CONSULT_METRICS_TOKEN": self.metrics_token,
            }
        )
        if self.redis_url:
            env["CONSULT_REDIS_URL"] = self.redis_url
        env.update(self.env or {})
        return env

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``flask <args>`` against the cluster's database (output captured)."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=ROOT,
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and result.returncode != 0:
            raise ClusterError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    # -- life cycle --------------------------------------------------------------------

    def start(self) -> Cluster:
        """Migrate, load the demo, start everything and wait until it answers."""
        if not Path(NGINX).exists():
            raise ClusterError(f"{NGINX} is missing: apt-get install nginx (make cluster-test)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        self._began = time.monotonic()
        try:
            self._say("migrating")
            self.flask("db", "upgrade")
            # Everything starts while the demo loads (the processes import the app meanwhile).
            if self.redis_url:
                self.start_worker()
            for number in range(self.notifier_count):
                self._start_notifier(number)
            for index in range(len(self.app_ports)):
                self.start_app(index, wait=False)
            if self.bare:
                self._start_bare()
            self._say("loading the demo; starting the app servers and workers")
            self.flask("demo")
            self._say("demo loaded; waiting for the app servers")
            for index in range(len(self.app_ports)):
                self._wait_http(self.apps[index], f"{self.app_urls[index]}/healthz")
            if self.bare_app:
                self._wait_http(self.bare_app, f"http://127.0.0.1:{self.bare_port}/healthz")
            self._start_nginx()
            self._wait_http(self.nginx, f"{self.base_url}/healthz")
            self._say("nginx answers; waiting for the workers")
            if self.worker:
                self._wait_log(self.worker, "Waiting for jobs")
            for notifier in self.notifiers:
                self._wait_log(notifier, "Sending notifications every")
        except BaseException:
            self.stop()
            raise
        self._say(f"up: {self.base_url} (app servers {', '.join(self.app_urls)})")
        return self

    def stop(self) -> None:
        """Stop everything this cluster started: nginx first, so nothing new comes in, then
        the others together (each gets its graceful stop, then SIGKILL)."""
        if self.nginx is not None and self.nginx.alive():
            _stop_quietly(self.nginx)
        rest = [self.bare_app, *self.apps, *self.notifiers, self.worker]
        threads = [
            threading.Thread(target=_stop_quietly, args=(process,))
            for process in rest
            if process is not None and process.alive()
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.nginx = self.bare_app = self.worker = None
        self.notifiers = []
        self.apps = [None] * len(self.app_ports)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def start_app(self, index: int, wait: bool = True) -> Process:
        """Start app server ``index`` (0-based) on its port."""
        port = self.app_ports[index]
        # As in production (consult-web@.service): JSON log lines, and the metrics of the
        # server's worker processes added up in a folder of its own, emptied at each start.
        metrics = self.workdir / "metrics" / f"app{index + 1}"
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        process = self._spawn(
            f"app{index + 1}",
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
            + ["-b", f"127.0.0.1:{port}", "--name", f"consult-app{index + 1}", "wsgi:app"],
            env={"CONSULT_LOG_FORMAT": "json", "PROMETHEUS_MULTIPROC_DIR": str(metrics)},
        )
        process.port = port
        self.apps[index] = process
        if wait:
            self._wait_http(process, f"{self.app_urls[index]}/healthz")
        return process

    def stop_app(self, index: int, graceful: bool = True) -> int | None:
        """Stop app server ``index``: SIGTERM to gunicorn's master (requests in progress
        finish), or SIGKILL to all its processes when not ``graceful``."""
        process = self.apps[index]
        if process is None:
            return None
        if graceful:
            code = process.stop(timeout=30, group_term=False)
        else:
            process.signal(signal.SIGKILL)
            code = process.popen.wait(10)
        self.apps[index] = None
        return code

    def start_worker(self) -> Process:
        """Start the RQ analysis worker and wait until it takes jobs."""
        if not self.redis_url:
            raise ClusterError("No RQ worker without Redis (jobs run in the app servers).")
        self.worker = self._spawn(
            "rq-worker", [sys.executable, "-m", "flask", "analysis", "worker"]
        )
        return self.worker

    def wait_worker(self, timeout: float = 120) -> None:
        self._wait_log(self.worker, "Waiting for jobs", timeout)

    def kill_worker(self) -> None:
        """SIGKILL the RQ worker, its work horse and its scheduler (as if its machine died).
        The work horse runs in a process group of its own (RQ calls setpgrp), so it is found
        by its parent."""
        if self.worker is not None:
            horses = descendants(self.worker.popen.pid)
            self.worker.signal(signal.SIGKILL)
            for pid in horses:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.worker.popen.wait(10)
            self.worker = None

    # -- the parts ---------------------------------------------------------------------

    def _start_notifier(self, number: int) -> None:
        suffix = f"-{number + 1}" if number else ""
        self.notifiers.append(
            self._spawn(
                f"notifications{suffix}",
                [sys.executable, "-m", "flask", "notifications", "worker", "--interval", "2"],
            )
        )

    def _start_bare(self) -> None:
        self.bare_port = free_port()
        self.bare_app = self._spawn(
            "bare",
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF)]
            + ["-b", f"127.0.0.1:{self.bare_port}", "--name", "consult-bare", "deploy.bare:app"],
        )

    def nginx_conf(self) -> Path:
        """Write nginx's main configuration (temp paths in workdir) around the site."""
        base = self.workdir / "nginx"
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        servers = "\n".join(
            f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.app_ports
        )
        values = {
            "PORT": str(self.nginx_port),
            "APP_SERVERS": servers,
            "STATIC": str(ROOT / "static"),
            "LOGS": str(self.logs),
            "CACHE": str(base / "cache"),
            "BARE_UPSTREAM": "",
            "BARE_LOCATION": "",
        }
        if self.bare:
            values["BARE_UPSTREAM"] = (
                f"upstream consult_bare {{\n    server 127.0.0.1:{self.bare_port};\n"
                "    keepalive 32;\n    keepalive_timeout 4s;\n}"
            )
            values["BARE_LOCATION"] = (
                f"location {BARE_PREFIX} {{\n    proxy_pass http://consult_bare;\n}}"
            )
        site = render_site(values)
        (base / "consult.conf").write_text(site)
        # As root, nginx's workers would run as nobody, who may not read the checkout.
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "".join(
            f"    {kind}_temp_path {base / sub};\n"
            for kind, sub in (
                ("client_body", "client_body"),
                ("proxy", "proxy"),
                ("fastcgi", "fastcgi"),
                ("uwsgi", "uwsgi"),
                ("scgi", "scgi"),
            )
        )
        main = (
            f"{user}worker_processes 2;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            f"    include {MIME_TYPES};\n"
            "    default_type application/octet-stream;\n"
            "    sendfile on;\n"
            "    server_tokens off;\n"
            f"    access_log {self.logs / 'nginx-access.log'};\n"
            f"{temp}"
            f"    include {base / 'consult.conf'};\n"
            "}\n"
        )
        path = base / "nginx.conf"
        path.write_text(main)
        return path

    def _nginx_command(self, *extra: str) -> list[str]:
        base = self.workdir / "nginx"
        globals_ = (
            f"daemon off; pid {base / 'nginx.pid'}; error_log {self.logs / 'nginx-error.log'};"
        )
        return [NGINX, "-p", f"{base}/", "-e", str(self.logs / "nginx-error.log")] + [
            "-c",
            str(base / "nginx.conf"),
            "-g",
            globals_,
            *extra,
        ]

    def _start_nginx(self) -> None:
        self.nginx_conf()
        check = subprocess.run(self._nginx_command("-t"), capture_output=True, text=True)
        if check.returncode != 0:
            raise ClusterError(f"nginx -t refused the configuration:\n{check.stderr}")
        self.nginx = self._spawn("nginx", self._nginx_command())

    def _spawn(self, name: str, command: list[str], env: dict | None = None) -> Process:
        log = self.logs / f"{name}.log"
        handle = log.open("ab")
        offset = handle.tell()
        popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.process_env(), **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        handle.close()
        return Process(name, popen, log, offset=offset)

    def _wait_http(self, process: Process | None, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if process is None or not process.alive():
                tail = process.tail() if process else ""
                raise ClusterError(f"{process.name if process else url} exited:\n{tail}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as error:
                last = str(error)
            time.sleep(0.2)
        raise ClusterError(f"{url} did not answer in {timeout:g} s ({last}):\n{process.tail()}")

    def _wait_log(self, process: Process | None, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process is None or not process.alive():
                raise ClusterError(
                    f"{process.name if process else text} exited:\n"
                    f"{process.tail() if process else ''}"
                )
            with process.log.open("rb") as handle:
                handle.seek(process.offset)
                seen = handle.read().decode(errors="replace")
            if text in seen:
                return
            time.sleep(0.2)
        raise ClusterError(f"{process.name} did not print {text!r} in {timeout:g} s")

    def _say(self, text: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - getattr(self, "_began", time.monotonic())
            print(f"[cluster {elapsed:5.1f} s] {text}", flush=True)


def _stop_quietly(process: Process) -> None:
    try:
        process.stop()
    except Exception as error:  # noqa: BLE001 - the others are stopped all the same
        print(f"[cluster] could not stop {process.name}: {error}", file=sys.stderr)


def recreate_postgres(url: str) -> None:
    """Give the PostgreSQL database of ``url`` a fresh, empty ``public`` schema, creating the
    database if it is missing. (Not DROP DATABASE: that forces a checkpoint of the whole
    server, 10-30 s on a busy machine, for the same clean slate.)"""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    target = make_url(url)
    name = target.database
    if not re.fullmatch(r"[A-Za-z0-9_]+", name or ""):
        raise ClusterError(f"Refusing to empty database {name!r}")
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        return
    except OperationalError as error:
        if "does not exist" not in str(error):
            raise
    finally:
        engine.dispose()
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()


def flush_redis(url: str) -> None:
    """Empty the Redis database of ``url`` (only that database number)."""
    from redis import Redis

    Redis.from_url(url).flushdb()


def _serve(args: argparse.Namespace) -> int:
    workdir = Path(args.workdir)
    if args.fresh and workdir.exists():
        shutil.rmtree(workdir)
    database_url = args.database_url or f"sqlite:///{workdir.resolve() / 'consult.sqlite3'}"
    if args.fresh and database_url.startswith("postgresql"):
        recreate_postgres(database_url)
    if args.fresh and args.redis_url:
        flush_redis(args.redis_url)
    with Cluster(workdir, database_url, args.redis_url or None, bare=args.bare) as cluster:
        print(f"Consult through nginx: {cluster.base_url}  (Ctrl-C stops everything)")
        for url in cluster.app_urls:
            print(f"  app server: {url}")
        if args.bare:
            print(f"  bare route: {cluster.bare_url}")
        signal.pause()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.cluster", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start the cluster and keep it running")
    start.add_argument("--workdir", default="instance/cluster")
    start.add_argument("--database-url", default="", help="default: SQLite in workdir")
    start.add_argument("--redis-url", default="", help="default: none (no RQ worker)")
    start.add_argument("--bare", action="store_true", help="also serve the bare route")
    start.add_argument("--fresh", action="store_true", help="empty workdir, database, Redis")
    sub.add_parser("test", help="the checks of make cluster-test", add_help=False)
    args, rest = parser.parse_known_args(argv)
    # SIGTERM ends the run like Ctrl-C: the with-block stops everything.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.command == "test":
        from deploy import cluster_test

        return cluster_test.main(rest)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
