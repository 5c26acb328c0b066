"""The production files in deploy/ stay true to the code: the environment template names
every setting the app reads, the systemd units run commands the app has, with the stop
behaviour they promise, and the backup scripts work."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from sqlalchemy.engine import make_url

from consult import create_app
from consult.config import defaults

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
ENV_EXAMPLE = DEPLOY / "consult.env.example"
CHECKOUT = "/srv/consult"
SERVICES = [
    "consult-web@.service",
    "consult-analysis-worker@.service",
    "consult-notifications.service",
]
SETTING = re.compile(r"""["'](CONSULT_[A-Z0-9_]+)["']""")


def unit(name: str) -> dict[str, list[str]]:
    """Return a unit file's settings, key -> values (a key may repeat), comments left out."""
    settings: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def settings_read_by_the_code() -> set[str]:
    sources = [*(ROOT / "consult").rglob("*.py"), ROOT / "nlp" / "semantic.py"]
    if (DEPLOY / "gunicorn.conf.py").exists():
        sources.append(DEPLOY / "gunicorn.conf.py")
    return {name for path in sources for name in SETTING.findall(path.read_text())}


def settings_in_the_example() -> set[str]:
    text = ENV_EXAMPLE.read_text()
    return set(re.findall(r"^#?((?:CONSULT_|PROMETHEUS_)[A-Z0-9_]+)=", text, re.MULTILINE))


def test_the_environment_template_names_every_setting_the_code_reads():
    missing = settings_read_by_the_code() - settings_in_the_example()
    assert not missing, f"add to deploy/consult.env.example: {sorted(missing)}"


def test_the_environment_template_names_no_setting_the_code_does_not_read():
    invented = settings_in_the_example() - settings_read_by_the_code()
    # Set by consult-web@.service and read by prometheus_client, not by our code.
    invented.discard("PROMETHEUS_MULTIPROC_DIR")
    assert not invented, f"not read anywhere: {sorted(invented)}"


def load_example() -> dict[str, str]:
    """Read the template the way an operator's shell does (set -a; . file)."""
    listing = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; env -0', "bash", str(ENV_EXAMPLE)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        check=True,
    ).stdout.decode()
    pairs = (entry.partition("=") for entry in listing.split("\0") if entry)
    return {key: value for key, _, value in pairs if key.startswith("CONSULT_")}


def test_the_template_gives_an_app_server_behind_one_proxy_without_its_own_mail_worker(
    monkeypatch, tmp_path
):
    values = load_example()
    assert values["CONSULT_MAIL_FROM"] == "Consult <noreply@consult.example.se>"
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    config = defaults(str(tmp_path))
    assert config["PROXY_HOPS"] == 1
    assert config["MAIL_WORKER"] is False
    assert config["SESSION_COOKIE_SECURE"] is True and config["RATELIMIT_ENABLED"] is True
    assert config["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert config["ANALYSIS_REDIS_URL"] == config["RATELIMIT_STORAGE_URI"]
    # No secret is shipped: the operator makes the key and the SMTP password.
    assert config["SECRET_KEY"] == "" and config["SMTP_PASSWORD"] == ""


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_as_its_own_user_with_the_shared_settings_and_restarts(name):
    settings = unit(name)
    assert settings["User"] == ["consult"] and settings["Group"] == ["consult"]
    assert settings["EnvironmentFile"] == ["/etc/consult/consult.env"]
    assert settings["WorkingDirectory"] == [CHECKOUT]
    assert settings["Restart"][0] in {"on-failure", "always"} and settings["RestartSec"]
    assert settings["StartLimitBurst"] and settings["StartLimitIntervalSec"]
    assert settings["PartOf"] == ["consult.target"] and settings["WantedBy"] == ["consult.target"]
    hardening = {key: values[0] for key, values in settings.items() if len(values) == 1}
    assert hardening["NoNewPrivileges"] == "yes" and hardening["ProtectSystem"] == "strict"
    assert hardening["PrivateTmp"] == "yes" and hardening["ProtectHome"] == "yes"
    # Under ProtectSystem=strict only the instance folder is writable (secret_key, mail.log).
    assert settings["ReadWritePaths"] == [f"{CHECKOUT}/instance"]


def command_of(name: str) -> list[str]:
    (start,) = unit(name)["ExecStart"]
    return start.split()


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("consult-analysis-worker@.service", ["analysis", "worker"]),
        ("consult-notifications.service", ["notifications", "worker"]),
    ],
)
def test_the_workers_run_flask_commands_the_app_registers(name, command):
    program, *arguments = command_of(name)
    assert program == f"{CHECKOUT}/.venv/bin/flask" and arguments == command
    assert "FLASK_APP=wsgi" in unit(name)["Environment"]
    group: click.Command = create_app({"TESTING": True, "SECRET_KEY": "x"}).cli
    for word in command:
        group = group.get_command(click.Context(group), word)
        assert group is not None, f"flask {' '.join(command)} is not a command"
    assert (ROOT / ".venv" / "bin" / "flask").exists()


def test_the_app_server_runs_gunicorn_on_the_wsgi_app_with_the_shared_config():
    program, *arguments = command_of("consult-web@.service")
    assert program == f"{CHECKOUT}/.venv/bin/gunicorn"
    assert arguments[-1] == "wsgi:app" and "app = create_app()" in (ROOT / "wsgi.py").read_text()
    assert arguments[arguments.index("--config") + 1] == "deploy/gunicorn.conf.py"
    assert arguments[arguments.index("--bind") + 1].endswith(":%i")
    assert unit("consult-web@.service")["ExecReload"] == ["/bin/kill -s HUP $MAINPID"]


def test_stopping_leaves_requests_and_jobs_time_to_finish():
    web = unit("consult-web@.service")
    # SIGTERM to gunicorn's arbiter, which gives its workers graceful_timeout to finish.
    assert web["KillSignal"] == ["SIGTERM"] and web["KillMode"] == ["mixed"]
    graceful = 30
    config = DEPLOY / "gunicorn.conf.py"
    if config.exists():
        namespace: dict = {}
        exec(compile(config.read_text(), str(config), "exec"), namespace)  # noqa: S102
        graceful = namespace.get("graceful_timeout", graceful)
    assert int(web["TimeoutStopSec"][0]) > graceful
    # RQ: SIGTERM to the main process only is a warm shutdown (the job in the work horse
    # finishes); sent to the whole group it would kill the work horse at once.
    worker = unit("consult-analysis-worker@.service")
    assert worker["KillSignal"] == ["SIGTERM"] and worker["KillMode"] == ["mixed"]
    assert int(worker["TimeoutStopSec"][0]) >= 300


def test_the_scripts_the_timers_start_are_in_the_repository():
    for name in ("consult-backup.service", "consult-restore-drill.service"):
        (start,) = unit(name)["ExecStart"]
        script = ROOT / start.removeprefix(f"{CHECKOUT}/")
        assert script.exists() and os.access(script, os.X_OK), start


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    # The units name the production checkout; here the commands are this checkout's.
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace(CHECKOUT, str(ROOT)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck not installed")
def test_the_backup_scripts_pass_shellcheck():
    scripts = [str(DEPLOY / "backup.sh"), str(DEPLOY / "restore-drill.sh")]
    result = subprocess.run(["shellcheck", *scripts], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_a_backup_of_a_database_that_is_not_postgresql_is_refused_with_exit_code_1(tmp_path):
    result = subprocess.run(
        [str(DEPLOY / "backup.sh")],
        env={
            "PATH": os.environ["PATH"],
            "CONSULT_DATABASE_URL": "sqlite:///x.db",
            "BACKUP_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "not a PostgreSQL database" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_notification_worker_stops_on_sigterm_after_its_pass(database_url, tmp_path):
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "CONSULT_DATABASE_URL": database_url,
        "CONSULT_SECRET_KEY": "test",
        "CONSULT_RETENTION_INTERVAL": "0",
        "CONSULT_MAIL_LOG": str(tmp_path / "mail.log"),
        "PYTHONUNBUFFERED": "1",
    }
    worker = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "flask"), "notifications", "worker", "--interval", "600"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "Sending notifications every 600 s" in worker.stdout.readline()
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    # It ended by itself, between passes (the next one was ten minutes away), not killed.
    assert worker.returncode == 0, output
    assert output.strip().endswith("Stopped.")


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="PostgreSQL client not installed")
def test_a_backup_is_restored_by_the_drill_and_matches_the_database(database_url, tmp_path):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("backups are of PostgreSQL (set CONSULT_TEST_DATABASE_URL)")
    env = {
        "PATH": os.environ["PATH"],
        "CONSULT_DATABASE_URL": database_url,
        "BACKUP_DIR": str(tmp_path),
        "BACKUP_KEEP": "1",
        "CONSULT_PYTHON": sys.executable,
        "DRILL_STRICT": "1",
        "DRILL_DATABASE": os.environ.get("CONSULT_TEST_DRILL_DATABASE", f"{url.database}_drill"),
    }
    for _ in range(2):
        backup = subprocess.run(
            [str(DEPLOY / "backup.sh")], env=env, capture_output=True, text=True
        )
        assert backup.returncode == 0, backup.stderr
        time.sleep(1.1)  # the dumps are named by the second
    assert "removed 1 older than the newest 1" in backup.stdout
    (dump,) = tmp_path.glob("consult-*.dump")
    drill = subprocess.run(
        [str(DEPLOY / "restore-drill.sh")], env=env, capture_output=True, text=True
    )
    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert f"restoring {dump}" in drill.stdout and ": at head" in drill.stdout
    assert "/healthz 200, / 200" in drill.stdout and "passed; dropped" in drill.stdout
