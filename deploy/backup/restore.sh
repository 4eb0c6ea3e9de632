#!/bin/sh
# Restore a backup made by backup.sh into a fresh server (never over a live one: each
# schema is dropped and restored whole).
#
#   1. python -m shared.bootstrap            # the roles, with the passwords of the keys
#   2. RESTORE_ADMIN_URL=postgresql://admin:...@host:5432/platform deploy/backup/restore.sh DIR
#   3. python -m shared.bootstrap production # grants, migrations to this release, seeds
#   4. put DIR/trail-anchor.jsonl where AUDIT_ANCHOR_PATH points, start the services
#   5. python -m services.audit.trail.verify --anchor DIR/trail-anchor.jsonl
#
# Checks DIR/SHA256SUMS first; stops at the first error. Objects are owned by the restoring
# administrator (--no-owner): the bootstrap's administrator on the new server.
set -eu
url="${RESTORE_ADMIN_URL:?set RESTORE_ADMIN_URL to the database administrator's postgresql:// URL}"
in="${1:?usage: restore.sh DIR}"
schemas="${RESTORE_SCHEMAS:-actions kpis board gateway audit}"
(cd "$in" && sha256sum -c --quiet SHA256SUMS)
for schema in $schemas; do
    psql "$url" --quiet --no-psqlrc -v ON_ERROR_STOP=1 \
        -c "DROP SCHEMA IF EXISTS \"$schema\" CASCADE"
    pg_restore --dbname="$url" --no-owner --exit-on-error --single-transaction "$in/$schema.dump"
done
echo "restore: $schemas <- $in (now run the bootstrap)"
