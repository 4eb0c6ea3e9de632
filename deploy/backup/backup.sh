#!/bin/sh
# Back up the platform's database: one pg_dump (custom format) per service schema.
#
#   BACKUP_ADMIN_URL=postgresql://admin:...@host:5432/platform deploy/backup/backup.sh DIR
#
# Needs pg_dump of the server's major version or newer (the postgres image has it:
# docs/operations.md). Writes DIR/<schema>.dump, DIR/MANIFEST and DIR/SHA256SUMS; a dump is
# renamed into place only when complete. Copy the audit trail's anchor file
# (AUDIT_ANCHOR_PATH) into DIR right after: verify checks the restored trail against it.
#
# Order: the services that write events (actions, kpis, board, gateway) before audit, which
# holds the trail. An event sent to the trail while the backup runs is then in the trail's
# dump or still unsent in its service's: after a restore the relay sends it again and the
# trail keeps it once (event ids are unique). Never the other way round, where an event
# marked sent could be missing from the trail.
set -eu
url="${BACKUP_ADMIN_URL:?set BACKUP_ADMIN_URL to the database administrator's postgresql:// URL}"
out="${1:?usage: backup.sh DIR}"
schemas="${BACKUP_SCHEMAS:-actions kpis board gateway audit}"
mkdir -p "$out"
for schema in $schemas; do
    pg_dump --dbname="$url" --format=custom --schema="$schema" --file="$out/$schema.dump.part"
    mv "$out/$schema.dump.part" "$out/$schema.dump"
done
{
    echo "created_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "pg_dump=$(pg_dump --version)"
    echo "schemas=$schemas"
} >"$out/MANIFEST"
(cd "$out" && for schema in $schemas; do sha256sum "$schema.dump"; done >SHA256SUMS)
echo "backup: $schemas -> $out"
