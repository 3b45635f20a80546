#!/usr/bin/env bash
# Certificate store benchmark: generates N synthetic certificates (default
# 1,000,000), imports them into SQLite and into PostgreSQL, and measures the
# import rate and the latency (p50/p99) of detail-by-id, exact-name, code
# and fuzzy-name lookups through the service the APIs use.
#
# Usage: bench/cert.sh            (from the repository root)
#   N=100000 bench/cert.sh        smaller run
#   PG=postgres://…  bench/cert.sh another PostgreSQL (default: local test db)
#   PG= bench/cert.sh             SQLite only
# Needs: go, and psql for the PostgreSQL part (a schema zheng_bench is
# created, replaced on every run).
set -euo pipefail

N=${N:-1000000}
SEED=${SEED:-1}
QUERIES=${QUERIES:-2000}
PG=${PG-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
WORK=${WORK:-$(mktemp -d)}
SAMPLE=$(( N < 100000 ? N : 100000 ))

echo "# zheng certificate benchmark: N=$N seed=$SEED queries=$QUERIES"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "# work dir: $WORK"

go build -o "$WORK/zheng" ./cmd/zheng
Z="$WORK/zheng"

echo; echo "## generate"
/usr/bin/time -f "gen: %e s wall, %M KB max RSS" "$Z" cert gen --count "$N" --seed "$SEED" --out "$WORK/certs.jsonl"
ls -l "$WORK/certs.jsonl" | awk '{printf "file: %.0f MB\n", $5/1e6}'

echo; echo "## SQLite"
rm -rf "$WORK/data"
/usr/bin/time -f "import: %e s wall, %U s user, %S s sys, %M KB max RSS" "$Z" cert import --data-dir "$WORK/data" "$WORK/certs.jsonl"
ls -l "$WORK/data/zheng.db" | awk '{printf "database: %.0f MB\n", $5/1e6}'
"$Z" cert bench --data-dir "$WORK/data" --seed "$SEED" --sample "$SAMPLE" --queries "$QUERIES"

if [ -n "$PG" ]; then
	echo; echo "## PostgreSQL"
	psql "$PG" -qc 'DROP SCHEMA IF EXISTS zheng_bench CASCADE' -c 'CREATE SCHEMA zheng_bench'
	case "$PG" in *\?*) DSN="$PG&search_path=zheng_bench" ;; *) DSN="$PG?search_path=zheng_bench" ;; esac
	/usr/bin/time -f "import: %e s wall, %U s user, %S s sys, %M KB max RSS" "$Z" cert import --db "$DSN" "$WORK/certs.jsonl"
	psql "$PG" -Atc "SELECT 'database: ' || pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'zheng_bench' AND c.relkind = 'r'"
	psql "$PG" -qc 'ANALYZE zheng_bench.cert_records, zheng_bench.cert_names, zheng_bench.cert_codes'
	"$Z" cert bench --db "$DSN" --seed "$SEED" --sample "$SAMPLE" --queries "$QUERIES"
fi
