#!/usr/bin/env bash
# Certificate store benchmark: generates N synthetic certificates (default
# 1,000,000), imports them into SQLite and into PostgreSQL, and measures the
# import rate and the latency (p50/p99) of detail-by-id, exact-name, code
# and fuzzy-name lookups through the service the APIs use.
#
# Usage: bench/cert.sh            (from the repository root)
#   N=100000 bench/cert.sh        smaller run
#   BACKENDS=sqlite bench/cert.sh SQLite only
#   PG_BASE=postgres://…          another PostgreSQL server (default: local)
#   PG_DB=zheng_bench             database for the PostgreSQL run (dropped and
#                                 recreated while connected to "test")
#   WORK=DIR KEEP=1               keep the scratch directory (default: removed)
#   WORK=DIR REUSE=1              time lookups on stores already imported
#                                 into DIR (by this script or bench/http.sh,
#                                 which share the layout)
# Needs: go, and psql for the PostgreSQL part.
set -euo pipefail

N=${N:-1000000}
SEED=${SEED:-1}
QUERIES=${QUERIES:-2000}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_BASE=${PG_BASE:-postgres://postgres@127.0.0.1:5432}
PG_DB=${PG_DB:-zheng_bench}
WORK=${WORK:-$(mktemp -d)}
KEEP=${KEEP:-0}
REUSE=${REUSE:-0}
SAMPLE=$((N < 100000 ? N : 100000))

mkdir -p "$WORK"
cleanup() { if [ "$KEEP" != 1 ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

echo "# zheng certificate benchmark: N=$N seed=$SEED queries=$QUERIES"
echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

go build -o "$WORK/zheng" ./cmd/zheng
. "$(dirname "$0")/store.sh"
Z="$WORK/zheng"

if [ ! -s "$WORK/certs.jsonl" ]; then
	echo; echo "## generate"
	/usr/bin/time -f "gen: %e s wall, %M KB max RSS" "$Z" cert gen --count "$N" --seed "$SEED" --out "$WORK/certs.jsonl"
fi
ls -l "$WORK/certs.jsonl" | awk '{printf "file: %.0f MB\n", $5/1e6}'

for backend in $BACKENDS; do
	echo; echo "## $backend"
	import_store "$backend" "$Z"
	case $backend in
	sqlite) ls -l "$WORK/sqlite/zheng.db" | awk '{printf "database: %.0f MB\n", $5/1e6}' ;;
	postgres)
		psql "$PG_BASE/$PG_DB?sslmode=disable" -Atc "SELECT 'database: ' || pg_size_pretty(pg_database_size(current_database()))"
		psql "$PG_BASE/$PG_DB?sslmode=disable" -qc 'ANALYZE'
		;;
	esac
	"$Z" cert bench "${db[@]}" --seed "$SEED" --sample "$SAMPLE" --queries "$QUERIES"
	echo "load average after lookups: $(cut -d' ' -f1-3 /proc/loadavg)"
done
