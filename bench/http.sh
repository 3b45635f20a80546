#!/usr/bin/env bash
# HTTP throughput of the four certificate routes, measured with wrk on
# loopback against `zheng serve` holding COUNT synthetic certificates, on
# SQLite and on PostgreSQL. Prints requests/s, latency percentiles and the
# server's peak RSS per backend. Results and method: bench/http.md.
#
# Usage: bench/http.sh            (from the repository root)
# Settings (environment):
#   COUNT=1000000      certificates to generate and import
#   SEED=1             generator seed
#   DURATION=20s       wrk run per route (after a 5 s warm-up)
#   THREADS=2 CONNS=32 wrk threads and connections
#   ROUTES="jumei-detail qcc-detail jumei-list-code qcc-search jumei-list"
#   BACKENDS="sqlite postgres"
#   PG_BASE=postgres://postgres@127.0.0.1:5432   PostgreSQL server (loopback)
#   PG_DB=zheng_bench  database the PostgreSQL run uses (dropped and recreated
#                      while connected to the database "test")
#   WORK=$(mktemp -d)  scratch directory; reuses certs.jsonl found there
#   KEEP=0             1 keeps WORK
#   REUSE=0            1 skips the import when WORK already holds the stores
set -euo pipefail

COUNT=${COUNT:-1000000}
SEED=${SEED:-1}
DURATION=${DURATION:-20s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_BASE=${PG_BASE:-postgres://postgres@127.0.0.1:5432}
PG_DB=${PG_DB:-zheng_bench}
WORK=${WORK:-$(mktemp -d)}
KEEP=${KEEP:-0}
REUSE=${REUSE:-0}
PORT=${PORT:-18089}
ROUTES=${ROUTES:-jumei-detail qcc-detail jumei-list-code qcc-search jumei-list}

here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
mkdir -p "$WORK"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "$KEEP" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

echo "== build"
go build -o "$WORK/zheng" ./cmd/zheng
zheng="$WORK/zheng"
. "$here/store.sh"

if [ ! -s "$WORK/certs.jsonl" ]; then
  echo "== generate $COUNT certificates (seed $SEED)"
  /usr/bin/time -f "gen: %e s, max RSS %M KB" "$zheng" cert gen --count "$COUNT" --seed "$SEED" --out "$WORK/certs.jsonl"
fi

# Request keys from every 50th certificate: its id, its holder's
# URL-encoded name and its holder's credit code.
awk 'NR % 50 == 1' "$WORK/certs.jsonl" >"$WORK/sample.jsonl"
jq -r '.id' "$WORK/sample.jsonl" >"$WORK/ids.txt"
jq -r '.enterpriseName | @uri' "$WORK/sample.jsonl" >"$WORK/names.txt"
jq -r 'select(.creditCode != null and .creditCode != "") | .creditCode' "$WORK/sample.jsonl" >"$WORK/codes.txt"
echo "keys: $(wc -l <"$WORK/ids.txt") ids, $(wc -l <"$WORK/names.txt") names, $(wc -l <"$WORK/codes.txt") codes"

keys_for() {
  case $1 in
  *-detail) echo "$WORK/ids.txt" ;;
  *-code) echo "$WORK/codes.txt" ;;
  *) echo "$WORK/names.txt" ;;
  esac
}

run_backend() {
  local backend=$1
  echo "== $backend: import"
  import_store "$backend" "$zheng"

  echo "== $backend: serve"
  "$zheng" serve --no-auth --demo=false --addr "127.0.0.1:$PORT" "${db[@]}" >/dev/null 2>"$WORK/serve-$backend.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
    sleep 0.2
  done
  for route in $ROUTES; do
    ROUTE=$route KEYS=$(keys_for "$route") wrk -t"$THREADS" -c"$CONNS" -d5s -s "$here/http.lua" "http://127.0.0.1:$PORT" >/dev/null
    echo "-- $backend $route"
    ROUTE=$route KEYS=$(keys_for "$route") wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$here/http.lua" "http://127.0.0.1:$PORT"
    echo "server RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status"), peak so far $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status"); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  done
  echo "-- $backend server peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$server_pid/status")"
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print $2, $3}' /proc/meminfo); $(wrk --version 2>&1 | head -1)"
for b in $BACKENDS; do
  run_backend "$b"
done
