#!/usr/bin/env bash
# Back up Consult's PostgreSQL database: one pg_dump in the custom format (-Fc) with a dated
# name, checked by reading its table of contents, then old dumps beyond the newest
# BACKUP_KEEP are removed. A dump that failed is never left under a dump's name, and nothing
# is removed unless the new dump is good.
#
#   CONSULT_DATABASE_URL  the database (as the app has it, postgresql+psycopg://... is fine);
#                         deploy/systemd/consult-backup.service reads it from
#                         /etc/consult/consult.env
#   BACKUP_DIR            where the dumps go (default /var/backups/consult)
#   BACKUP_KEEP           how many dumps to keep, newest first (default 14)
#
# Exit codes: 0 written and checked; 1 bad settings; 2 pg_dump failed; 3 the dump cannot be
# read back; 4 another backup is running.
set -euo pipefail
umask 077

BACKUP_DIR=${BACKUP_DIR:-/var/backups/consult}
BACKUP_KEEP=${BACKUP_KEEP:-14}

fail() {
    echo "backup: $2" >&2
    exit "$1"
}

url=${CONSULT_DATABASE_URL:-}
case "$url" in
    postgresql://* | postgresql+psycopg://* | postgres://*) ;;
    "") fail 1 "CONSULT_DATABASE_URL is not set" ;;
    *) fail 1 "CONSULT_DATABASE_URL is not a PostgreSQL database (only PostgreSQL is backed up here)" ;;
esac
# libpq knows postgresql://, not SQLAlchemy's driver suffix.
url="postgresql://${url#*://}"
case "$BACKUP_KEEP" in
    '' | *[!0-9]* | 0) fail 1 "BACKUP_KEEP must be a whole number of at least 1, not '$BACKUP_KEEP'" ;;
esac

mkdir -p "$BACKUP_DIR" || fail 1 "cannot create $BACKUP_DIR"
exec 9>"$BACKUP_DIR/.lock"
flock --nonblock 9 || fail 4 "another backup is writing to $BACKUP_DIR"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_DIR/consult-$stamp.dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

started=$(date +%s)
# The password, if any, stays in the URL: it is never printed (pg_dump's errors name only
# the host, port and user).
if ! pg_dump --format=custom --compress=6 --file="$partial" --dbname="$url"; then
    fail 2 "pg_dump failed; no dump written, old dumps kept"
fi
if ! toc=$(pg_restore --list "$partial"); then
    fail 3 "the new dump cannot be read back by pg_restore; old dumps kept"
fi
entries=$(grep -c ' TABLE DATA ' <<<"$toc" || true)
mv "$partial" "$target"
elapsed=$(($(date +%s) - started))
size=$(stat -c %s "$target")
echo "backup: wrote $target ($size bytes, $entries tables with data) in ${elapsed}s"

# Rotation: the newest BACKUP_KEEP dumps stay (names sort by date), the rest go.
mapfile -t dumps < <(find "$BACKUP_DIR" -maxdepth 1 -name 'consult-*.dump' -printf '%f\n' | sort -r)
removed=0
for old in "${dumps[@]:BACKUP_KEEP}"; do
    rm -f -- "${BACKUP_DIR:?}/$old"
    removed=$((removed + 1))
done
kept=$((${#dumps[@]} - removed))
echo "backup: kept $kept dumps, removed $removed older than the newest $BACKUP_KEEP"
