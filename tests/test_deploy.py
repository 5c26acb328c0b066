"""The production files in deploy/: the nginx site (and its local rendering for the cluster
test), the gunicorn settings, and the static URLs nginx may cache for a year."""

from __future__ import annotations

import hashlib
import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import url_for

from consult.admin.guards import FORM_OVERHEAD_BYTES
from consult.admin.uploads import MAX_DRAFT_BYTES
from deploy import cluster
from deploy.cluster import Cluster, render_site

ROOT = Path(__file__).resolve().parent.parent
SITE = (ROOT / "deploy" / "nginx" / "consult.conf").read_text()
LOCAL = {
    "PORT": "8080",
    "APP_SERVERS": "server 127.0.0.1:8001;\nserver 127.0.0.1:8002;",
    "STATIC": str(ROOT / "static"),
    "LOGS": "/tmp/consult-logs",
    "CACHE": "/tmp/consult-cache",
    "BARE_UPSTREAM": "",
    "BARE_LOCATION": "",
}


TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def _megabytes(directive_value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", directive_value).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def test_static_urls_carry_the_hash_of_the_file(client, app):
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]+))"', page)
    assert match, "the stylesheet link has no version"
    content = (ROOT / "static" / "css" / "app.css").read_bytes()
    assert match.group(2) == hashlib.sha256(content).hexdigest()[:12]
    # The versioned URL serves the file (the app serves static files when nginx does not).
    assert client.get(match.group(1)).data == content
    with app.test_request_context():
        # No version for a file that is not there, or for a folder.
        assert url_for("static", filename="nothing-here.css") == "/static/nothing-here.css"
        assert url_for("static", filename="css") == "/static/css"


def test_a_changed_static_file_gets_a_new_url(app, tmp_path):
    app.static_folder = str(tmp_path)
    style = tmp_path / "site.css"
    style.write_text("body { color: black }")
    with app.test_request_context():
        first = url_for("static", filename="site.css")
        style.write_text("body { color: navy; }")
        second = url_for("static", filename="site.css")
    assert first != second
    assert second.endswith(hashlib.sha256(b"body { color: navy; }").hexdigest()[:12])


def test_nginx_takes_the_uploads_the_app_takes(app):
    # Site-wide: the app's MAX_CONTENT_LENGTH.
    server_limit = re.search(r"^    client_max_body_size (\w+);", SITE, re.M).group(1)
    assert _megabytes(server_limit) == app.config["MAX_CONTENT_LENGTH"]
    # The draft uploads and the follow-up imports: what their routes allow.
    blocks = dict(re.findall(r"location ~ (\S+) \{\s*client_max_body_size (\w+);", SITE))
    with app.test_request_context():
        new_round = url_for("admin.new_round", consultation_id=12)
        replace = url_for("admin.replace_draft", round_id=34)
        imports = url_for("followup.import_actions", slug="rus-2030")
    draft_limit = MAX_DRAFT_BYTES + FORM_OVERHEAD_BYTES
    import_limit = 2 * app.config["FOLLOWUP_IMPORT_MAX_BYTES"] + 1024 * 1024
    found = {}
    for pattern, size in blocks.items():
        for path in (new_round, replace, imports):
            if re.search(pattern, path):
                found[path] = _megabytes(size)
    assert found == {new_round: draft_limit, replace: draft_limit, imports: import_limit}


def test_nginx_limits_the_real_login_and_registration_paths(app):
    with app.test_request_context():
        login, register = url_for("auth.login"), url_for("auth.register")
    assert re.search(rf"location = {login} \{{\s*limit_req zone=consult_login", SITE)
    assert re.search(rf"location = {register} \{{\s*limit_req zone=consult_register", SITE)


def test_the_local_rendering_keeps_every_unmarked_line_of_the_production_site():
    local = render_site(LOCAL)
    local_lines = set(local.splitlines())
    redirect_server = set(_redirect_server_lines())
    for line in SITE.splitlines():
        if "# cluster: " not in line and line.strip():
            # Every unmarked line is used as it stands, but for the port-80 redirect server.
            assert line in local_lines or line in redirect_server, line
    directives = "\n".join(
        line for line in local.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )
    assert "ssl" not in directives and "443" not in directives and "@@" not in directives
    assert "listen 127.0.0.1:8080;" in directives
    assert "server 127.0.0.1:8001;" in directives and "server 127.0.0.1:8002;" in directives
    assert "10.0.0." not in directives  # the placeholder app servers and monitoring network
    assert f"alias {ROOT / 'static'}/;" in directives
    assert "return 301 https://" not in directives
    assert "/__bare/" not in directives


def _redirect_server_lines() -> list[str]:
    block = SITE.split("# cluster: skip-begin", 1)[1].split("# cluster: skip-end", 1)[0]
    return block.splitlines()


def test_the_bare_route_is_served_only_when_asked_for(tmp_path):
    bare = Cluster(tmp_path, "sqlite://", app_ports=(8001, 8002), nginx_port=8080, bare=True)
    bare.bare_port = 8003
    site = (bare.nginx_conf().parent / "consult.conf").read_text()
    assert "location /__bare/ {" in site and "server 127.0.0.1:8003;" in site


@pytest.mark.skipif(not Path(cluster.NGINX).exists(), reason="Debian's nginx is not installed")
def test_nginx_accepts_the_rendered_configuration(tmp_path):
    local = Cluster(tmp_path, "sqlite://", app_ports=(8001, 8002), nginx_port=8080, bare=True)
    local.bare_port = 8003
    local.logs.mkdir(parents=True)
    local.nginx_conf()
    check = subprocess.run(local._nginx_command("-t"), capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_gunicorn_workers_follow_the_cores_unless_set(monkeypatch):
    path = str(ROOT / "deploy" / "gunicorn.conf.py")
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 2)
    assert runpy.run_path(path)["workers"] == 5
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 32)
    assert runpy.run_path(path)["workers"] == 12  # capped
    monkeypatch.setenv("CONSULT_GUNICORN_WORKERS", "3")
    settings = runpy.run_path(path)
    assert settings["workers"] == 3
    # nginx gives up later than gunicorn does.
    read_timeout = re.search(r"proxy_read_timeout (\d+)s;", SITE).group(1)
    assert int(read_timeout) > settings["timeout"]
    # Without the metrics module, a worker's exit is simply not reported.
    assert settings["child_exit"](None, None) is None


@pytest.mark.skipif(
    not Path(cluster.NGINX).exists() or shutil.which("openssl") is None,
    reason="Debian's nginx or openssl is not installed",
)
def test_nginx_accepts_the_production_site_as_it_stands(tmp_path):
    # Only the certificate, log and cache paths are replaced (nginx -t opens them); the rest,
    # TLS and the port-80 redirect included, is checked as an operator installs it.
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=consult.example.se", "-keyout", str(tmp_path / "privkey.pem")]
        + ["-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    site = SITE.replace("/etc/ssl/consult/", f"{tmp_path}/")
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    site = site.replace("/var/lib/nginx/", f"{tmp_path}/")
    (tmp_path / "consult.conf").write_text(site)
    main = tmp_path / "nginx.conf"
    main.write_text(
        "events {}\nhttp {\n"
        f"    include {cluster.MIME_TYPES};\n"
        + "".join(f"    {kind}_temp_path {tmp_path / kind};\n" for kind in TEMP_PATHS)
        + f"    include {tmp_path / 'consult.conf'};\n"
        "}\n"
    )
    check = subprocess.run(
        [cluster.NGINX, "-t", "-p", f"{tmp_path}/", "-e", str(tmp_path / "error.log")]
        + ["-c", str(main), "-g", f"pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'e.log'};"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr


def test_every_cluster_process_gets_one_secret_key_and_no_stray_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("CONSULT_SMTP_HOST", "smtp.example.se")  # the caller's own setting
    local = Cluster(tmp_path, "sqlite:///x.db", "redis://127.0.0.1:6379/9", env={"CONSULT_X": "1"})
    first, second = local.process_env(), local.process_env()
    assert first["CONSULT_SECRET_KEY"] == second["CONSULT_SECRET_KEY"]
    assert len(first["CONSULT_SECRET_KEY"]) >= 32
    assert "CONSULT_SMTP_HOST" not in first
    assert first["CONSULT_MAIL_LOG"] == str(tmp_path / "mail.log")
    assert (first["CONSULT_PROXY_HOPS"], first["CONSULT_MAIL_WORKER"]) == ("1", "0")
    assert first["CONSULT_X"] == "1" and first["CONSULT_REDIS_URL"].endswith("/9")
    assert len({local.nginx_port, *local.app_ports}) == 3


def test_a_new_worker_prepares_a_consult_app_and_leaves_others_alone(monkeypatch):
    settings = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    warmed = []
    monkeypatch.setattr("consult.ops.warm.warm", warmed.append)

    class Worker:
        def __init__(self, wsgi):
            self.wsgi = wsgi

    consult_app = type("App", (), {"import_name": "consult"})()
    settings["post_worker_init"](Worker(consult_app))
    settings["post_worker_init"](Worker(type("Bare", (), {"import_name": "deploy.bare"})()))
    assert warmed == [consult_app]
