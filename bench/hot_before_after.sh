#!/bin/bash
# Status changes before and after the HOT migration (00011), side by side in
# one run: two databases seeded alike (200,000 DE leads, bench/seed_leads.sql);
# "before" has 00015 to 00011 rolled back (their Down sections).
# pgbench runs the status change as the service sends it (status_change.pgbench)
# and with the full-row UPDATE it sent before (status_change_fullrow.pgbench),
# and the HOT share comes from pg_stat_user_tables. Drops and recreates the
# databases fp_hot_before and fp_hot_after. Needs psql, pgbench, bin/freshplan.
set -e
cd "$(dirname "$0")/.."
FRESHPLAN="${FRESHPLAN:-bin/freshplan}"
M=internal/postgres/migrations
for db in fp_hot_before fp_hot_after; do
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  FRESHPLAN_MIGRATE_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db?sslmode=disable" "$FRESHPLAN" migrate >/dev/null 2>&1
done
for v in 00015_rep_leads_cached 00014_exact_name_btree 00013_rls_once 00012_rep_leads 00011_scale; do
  sed -n '/^-- +goose Down/,$p' $M/$v.sql | psql -h 127.0.0.1 -U postgres -d fp_hot_before -q -v ON_ERROR_STOP=1
  psql -h 127.0.0.1 -U postgres -d fp_hot_before -qc "DELETE FROM goose_db_version WHERE version_id = ${v:0:5}::int"
done
for db in fp_hot_before fp_hot_after; do
  psql -h 127.0.0.1 -U postgres -d $db -q -v n=200000 -v terr=DE -v seed=0.42 -v deleted=0 -f bench/seed_leads.sql
  psql -h 127.0.0.1 -U postgres -d $db -qc "VACUUM ANALYZE leads"
done
run() { # db script
  psql -h 127.0.0.1 -U postgres -d $1 -qc "SELECT pg_stat_reset_single_table_counters('leads'::regclass)"
  pgbench -h 127.0.0.1 -U postgres -n -M prepared -c 8 -j 2 -T 20 -D leads=160000 -f bench/$2 $1 2>&1 | grep -E "^tps|latency average"
  sleep 1
  psql -h 127.0.0.1 -U postgres -d $1 -Atc "SELECT 'updates ' || n_tup_upd || ', HOT ' || n_tup_hot_upd || ' (' || round(100.0 * n_tup_hot_upd / greatest(n_tup_upd, 1), 1) || ' %)' FROM pg_stat_user_tables WHERE relname = 'leads'"
  psql -h 127.0.0.1 -U postgres -Atc "SELECT 'longest open transaction: ' || coalesce(max(now() - xact_start)::text, 'none') FROM pg_stat_activity WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()"
}
for round in 1 2; do
  echo "== round $round"
  echo "-- before (schema at 00010), full-row UPDATE"; run fp_hot_before status_change_fullrow.pgbench
  echo "-- after (00013), full-row UPDATE"; run fp_hot_after status_change_fullrow.pgbench
  echo "-- after (00013), the service's UPDATE (changed columns only)"; run fp_hot_after status_change.pgbench
done
