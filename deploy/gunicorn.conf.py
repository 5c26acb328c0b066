"""gunicorn settings for a Consult app server: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment (``CONSULT_GUNICORN_*``) or, as usual,
on gunicorn's command line (``-b 127.0.0.1:8001`` beats ``bind`` here).

Choices:
- gthread workers: requests are short (htmx polls the analysis status every 2 s, there is
  no server-sent events stream), but the .xlsx/CSV exports stream for up to ~30 s and
  would hold a whole sync worker; a few threads per process serve polls next to them.
  nginx buffers slow clients, so threads are not tied up by slow uploads or downloads.
- No preload: the app is created in each worker, so no database or Redis connection is
  ever shared across a fork, and ``kill -HUP`` (graceful reload) loads new code. The theme
  engine's warm-up (ANALYSIS_WARM) does not argue for preloading: with Redis the RQ worker
  loads the language data, and without Redis each worker loads it in its background thread
  after its first request, not in a request.
- Warm workers: a new worker (started, or recycled by max_requests) does its one-time work
  (consult.ops.warm: the ORM's mappers, the comment renderer, one page read) before it takes
  requests, not in the first ones it is sent; in a deadline rush those come all at once.
- Access log: off by default; the app's JSON request log (with the request id nginx sends
  as X-Request-ID) and nginx's access log (deploy/nginx/consult.conf) cover each request.
  Set CONSULT_GUNICORN_ACCESS_LOG to a path (or "-") for gunicorn's too, in the format below.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Where to listen; nginx's upstream lists these addresses. With nginx on another machine,
# bind to this machine's private address and set CONSULT_GUNICORN_FORWARDED_ALLOW_IPS.
bind = os.environ.get("CONSULT_GUNICORN_BIND", "127.0.0.1:8000")

# Workers from cores: 2 x cores + 1, at most 12 (more processes than that only add memory
# and database connections on one machine; add app servers instead).
workers = _int(
    "CONSULT_GUNICORN_WORKERS",
    min(2 * multiprocessing.cpu_count() + 1, _int("CONSULT_GUNICORN_MAX_WORKERS", 12)),
)
worker_class = os.environ.get("CONSULT_GUNICORN_WORKER_CLASS", "gthread")
threads = _int("CONSULT_GUNICORN_THREADS", 4)

# A request running longer than this has its worker restarted (the exports stream within
# 30 s; nginx's proxy_read_timeout is a little longer than this, so gunicorn gives up first).
timeout = _int("CONSULT_GUNICORN_TIMEOUT", 60)
# On SIGTERM or a reload, requests in progress get this long to finish.
graceful_timeout = _int("CONSULT_GUNICORN_GRACEFUL_TIMEOUT", 30)
# Keep-alive between nginx and gunicorn (nginx's upstream keepalive reuses connections).
keepalive = _int("CONSULT_GUNICORN_KEEPALIVE", 5)

# Restart each worker after about this many requests (jitter: not all at once), so a slow
# leak cannot grow without bound. 0 turns it off. A new worker imports the app anew (no
# preload): about 2 s of CPU, so not too often: after 2,000 requests that was about 1 ms per
# request of the visitors' draft page, more than serving it, and a server's two workers,
# given the same load, restarted within a few seconds of each other.
max_requests = _int("CONSULT_GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("CONSULT_GUNICORN_MAX_REQUESTS_JITTER", 2000)

preload_app = os.environ.get("CONSULT_GUNICORN_PRELOAD", "0").strip().lower() in {"1", "true"}

# The proxies whose X-Forwarded-Proto gunicorn itself trusts (the app trusts X-Forwarded-*
# through CONSULT_PROXY_HOPS). nginx on the same machine by default; list the load
# balancers' addresses when nginx runs elsewhere.
forwarded_allow_ips = os.environ.get("CONSULT_GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Request headers and lines larger than these are refused before reaching the app.
limit_request_line = 8190
limit_request_field_size = 8190

accesslog = os.environ.get("CONSULT_GUNICORN_ACCESS_LOG") or None
# Client address (as nginx forwarded it), request line, status, bytes, microseconds, and
# the request id nginx generated.
access_log_format = (
    '%({x-forwarded-for}i)s "%(r)s" %(s)s %(B)s %(D)sus "%(f)s" "%(a)s" '
    "request_id=%({x-request-id}i)s"
)
errorlog = os.environ.get("CONSULT_GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("CONSULT_GUNICORN_LOG_LEVEL", "info")
proc_name = os.environ.get("CONSULT_GUNICORN_NAME", "consult")

# gunicorn >= 25 opens a control socket for gunicornc, by default at one path per user: two
# app servers on one machine would take each other's. Off unless a path is given.
control_socket = os.environ.get("CONSULT_GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket


def child_exit(server, worker):
    """Let the metrics (consult.ops.metrics, when present) forget a worker that exited."""
    try:
        from consult.ops.metrics import child_exit as metrics_child_exit
    except ImportError:
        return
    metrics_child_exit(server, worker)


def post_worker_init(worker):
    """Let a Consult worker do its one-time work before it takes requests (consult.ops.warm)."""
    app = getattr(worker, "wsgi", None)
    if getattr(app, "import_name", None) != "consult":
        return  # another app served with these settings (deploy/bare.py)
    from consult.ops.warm import warm

    warm(app)
