#!/usr/bin/env bash
# Restore drill: prove that the newest backup can be restored. It restores the dump into a
# scratch database on the source's PostgreSQL server, checks that its Alembic revision is
# the code's head, counts the rows of key tables beside the live database, asks the app for
# two pages on the copy, prints the figures and drops the scratch database.
#
#   CONSULT_DATABASE_URL  the live database the dumps are taken from (compared with the copy)
#   BACKUP_DIR            where deploy/backup.sh writes (default /var/backups/consult); the
#                         newest consult-*.dump there is restored, or the file given as $1
#   DRILL_DATABASE        the scratch database (default consult_restore_drill), dropped before
#                         and after the drill; it must not be the live database
#   DRILL_STRICT          1: a count that differs from the live database fails the drill (for
#                         a site where nothing was written since the dump); 0 (default): the
#                         differences are printed, and only an empty copy of a table that is
#                         not empty in the live database fails
#   CONSULT_PYTHON        the app's Python (default: .venv/bin/python of this checkout)
#
# Exit codes: 0 passed; 1 bad settings or no dump; 2 the restore failed; 3 a check failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
BACKUP_DIR=${BACKUP_DIR:-/var/backups/consult}
DRILL_DATABASE=${DRILL_DATABASE:-consult_restore_drill}
DRILL_STRICT=${DRILL_STRICT:-0}
PYTHON=${CONSULT_PYTHON:-$root/.venv/bin/python}
export DRILL_DATABASE DRILL_STRICT

say() { echo "restore-drill: $*"; }
fail() {
    echo "restore-drill: $2" >&2
    exit "$1"
}

case "${CONSULT_DATABASE_URL:-}" in
    postgresql://* | postgresql+psycopg://* | postgres://*) ;;
    "") fail 1 "CONSULT_DATABASE_URL is not set" ;;
    *) fail 1 "CONSULT_DATABASE_URL is not a PostgreSQL database" ;;
esac
case "$DRILL_DATABASE" in
    '' | *[!a-z0-9_]*) fail 1 "DRILL_DATABASE may hold only a-z, 0-9 and _, not '$DRILL_DATABASE'" ;;
esac
[ -x "$PYTHON" ] || fail 1 "no Python at $PYTHON (set CONSULT_PYTHON)"

if [ $# -ge 1 ]; then
    dump=$1
else
    dump=$(find "$BACKUP_DIR" -maxdepth 1 -name 'consult-*.dump' -printf '%p\n' 2>/dev/null | sort -r | head -n 1)
fi
if [ -z "$dump" ] || [ ! -f "$dump" ]; then
    fail 1 "no dump to restore (looked for consult-*.dump in $BACKUP_DIR)"
fi

# The helper does what bash is bad at: URLs, Alembic's head, counting, asking the app.
helper() {
    PYTHONPATH=$root "$PYTHON" - "$@" <<'PY'
import os
import sys

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

source = make_url(os.environ["CONSULT_DATABASE_URL"]).set(drivername="postgresql+psycopg")
scratch = source.set(database=os.environ["DRILL_DATABASE"])
KEY_TABLES = (
    "user_account", "organisation", "consultation", "round", "paragraph", "comment",
    "comment_revision", "agreement", "analysis", "theme", "outbox_email", "audit_entry",
)


def libpq(url):
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def counts(url):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {t: connection.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                    for t in KEY_TABLES}
    finally:
        engine.dispose()


def check():
    from alembic.script import ScriptDirectory

    from consult import create_app
    from consult.db import alembic_config

    failures = []
    heads = set(ScriptDirectory.from_config(alembic_config(str(scratch))).get_heads())
    engine = create_engine(scratch)
    with engine.connect() as connection:
        restored = {r for (r,) in connection.execute(text("SELECT version_num FROM alembic_version"))}
    engine.dispose()
    at_head = restored == heads
    print(f"restore-drill: alembic revision of the copy {', '.join(sorted(restored)) or 'none'}, "
          f"code head {', '.join(sorted(heads))}: {'at head' if at_head else 'NOT AT HEAD'}")
    if not at_head:
        failures.append("the copy is not at the code's migration head")

    copy, live = counts(scratch), counts(source)
    strict = os.environ.get("DRILL_STRICT") == "1"
    print(f"{'table':<18}{'restored':>10}{'live':>10}{'difference':>12}")
    for table in KEY_TABLES:
        difference = live[table] - copy[table]
        print(f"{table:<18}{copy[table]:>10}{live[table]:>10}{difference:>+12}")
        if copy[table] == 0 and live[table] > 0:
            failures.append(f"{table} is empty in the copy")
        elif strict and difference:
            failures.append(f"{table} differs from the live database")

    # The copy's app keeps away from the live site's Redis (queues, limits, cached figures).
    app = create_app({
        "DATABASE_URL": str(scratch), "SECRET_KEY": "restore-drill", "MAIL_WORKER": False,
        "ANALYSIS_WARM": False, "ANALYSIS_REDIS_URL": "", "CACHE_REDIS_URL": "",
        "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
    })
    client = app.test_client()
    statuses = {path: client.get(path).status_code for path in ("/healthz", "/")}
    print("restore-drill: the app on the copy answers "
          + ", ".join(f"{path} {status}" for path, status in statuses.items()))
    failures += [f"{path} answered {status}" for path, status in statuses.items() if status != 200]
    engine = app.extensions.get("db_engine")
    if engine is not None:
        engine.dispose()
    for failure in failures:
        print(f"restore-drill: FAILED: {failure}", file=sys.stderr)
    return 3 if failures else 0


if sys.argv[1] == "urls":
    if scratch.database == source.database:
        sys.exit("restore-drill: DRILL_DATABASE is the live database")
    print(libpq(source.set(database="postgres")))
    print(libpq(scratch))
else:
    sys.exit(check())
PY
}

{ read -r admin_url && read -r scratch_url; } < <(helper urls) || fail 1 "cannot read the database URLs"
drop_scratch() {
    psql --quiet --no-psqlrc --dbname="$admin_url" \
        --command="DROP DATABASE IF EXISTS $DRILL_DATABASE" >/dev/null 2>&1 || true
}
trap drop_scratch EXIT
drop_scratch
psql --quiet --no-psqlrc --set=ON_ERROR_STOP=1 --dbname="$admin_url" \
    --command="CREATE DATABASE $DRILL_DATABASE" >/dev/null || fail 2 "cannot create $DRILL_DATABASE"

taken=$(date -u -d "@$(stat -c %Y "$dump")" '+%Y-%m-%d %H:%M UTC')
say "restoring $dump ($(stat -c %s "$dump") bytes, written $taken) into $DRILL_DATABASE"
started=$(date +%s)
if ! pg_restore --no-owner --no-acl --exit-on-error --dbname="$scratch_url" "$dump"; then
    fail 2 "pg_restore failed"
fi
say "restored in $(($(date +%s) - started))s"

status=0
helper check || status=$?
drop_scratch
trap - EXIT
if [ "$status" -ne 0 ]; then
    say "failed (exit $status); dropped $DRILL_DATABASE"
    exit "$status"
fi
say "passed; dropped $DRILL_DATABASE"
