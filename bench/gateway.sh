#!/usr/bin/env bash
# The gateway's cost: wrk on loopback against the certificate detail route
# of `zheng serve` (SQLite, the built-in demo certificates), with the
# gateway off (--no-auth, for benchmarking only) and on, per authentication
# mode, alternating in one run on one data dir. Prints requests/s per run and
# the on/off ratio per mode (medians over rounds), with the load average of
# the machine beside every run. Results and method: bench/gateway.md.
#
# Usage: bench/gateway.sh            (from the repository root)
# Settings (environment):
#   DURATION=15s        wrk run per mode and round (after a 3 s warm-up)
#   ROUNDS=3            off/on alternations
#   MODES="appcode apig qcc"
#   LEASES="256"        serve --spend-lease values to measure with the gateway on
#   THREADS=2 CONNS=32  wrk threads and connections
#   MODELS=./models     vision models (serve loads them)
#   WORK=$(mktemp -d)   scratch directory;  KEEP=1 keeps it
set -euo pipefail

DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-3}
MODES=${MODES:-appcode apig qcc}
LEASES=${LEASES:-256}
THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
MODELS=${MODELS:-./models}
WORK=${WORK:-$(mktemp -d)}
KEEP=${KEEP:-0}
PORT=${PORT:-18095}
BASE=http://127.0.0.1:$PORT

here=$(cd "$(dirname "$0")" && pwd)
for tool in wrk jq openssl sha256sum md5sum curl; do
  command -v $tool >/dev/null || { echo "$tool not found" >&2; exit 1; }
done
mkdir -p "$WORK"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}
# loadavg is the machine's 1-minute load average.
loadavg() { cut -d' ' -f1 /proc/loadavg; }
cleanup() {
  stop_server
  if [ "$KEEP" != 1 ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_server() {
  "$zheng" serve --data-dir "$WORK/data" --models "$MODELS" --addr "127.0.0.1:$PORT" --log-level warn "$@" \
    >>"$WORK/serve.out" 2>>"$WORK/serve.err" &
  server_pid=$!
  for _ in $(seq 100); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server did not start:" >&2; tail "$WORK/serve.err" >&2; exit 1
}

echo "== build"
go build -o "$WORK/zheng" ./cmd/zheng
zheng="$WORK/zheng"

echo "== data: demo certificates, bench app"
start_server --no-auth
: >"$WORK/ids.txt"
for kw in 阿里巴巴 有限公司 电子 集团 软件 建设 医疗; do
  curl -s "$BASE/enterprise/certificate/list" --data-urlencode "keyword=$kw" -d pageSize=20 |
    jq -r '.data.items[]?.Id' >>"$WORK/ids.txt"
done
sort -u -o "$WORK/ids.txt" "$WORK/ids.txt"
stop_server
echo "certificate ids: $(wc -l <"$WORK/ids.txt")"
[ -s "$WORK/ids.txt" ] || { echo "no certificate ids found" >&2; exit 1; }
app=$("$zheng" app create --data-dir "$WORK/data" --name bench --package cert=1000000000 --json)
APPCODE=$(jq -r '.appCodes[0]' <<<"$app")
APPKEY=$(jq -r '.appKey' <<<"$app")
SECRET=$(jq -r '.appSecret' <<<"$app")

# sign_all writes "id date authorization" lines: every request signed by the
# APIG rules (content-type, host, x-sdk-date), valid for 15 minutes.
sign_all() {
  local date id body cr sts sig
  date=$(date -u +%Y%m%dT%H%M%SZ)
  while read -r id; do
    body="id=$id"
    cr="POST
/enterprise/certificate/detail/

content-type:application/x-www-form-urlencoded
host:127.0.0.1:$PORT
x-sdk-date:$date

content-type;host;x-sdk-date
$(printf '%s' "$body" | sha256sum | cut -c1-64)"
    sts="SDK-HMAC-SHA256
$date
$(printf '%s' "$cr" | sha256sum | cut -c1-64)"
    sig=$(printf '%s' "$sts" | openssl dgst -sha256 -hmac "$SECRET" | awk '{print $NF}')
    echo "$id $date SDK-HMAC-SHA256 Access=$APPKEY, SignedHeaders=content-type;host;x-sdk-date, Signature=$sig"
  done <"$WORK/ids.txt" >"$WORK/signed.txt"
}

# cpu_ticks prints the server's user+system CPU time in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }

# run MODE ROUTE: warm up, then measure; prints "requests/s p99-latency
# server-CPU-µs-per-request". CPU per request is the steadier figure when
# other work shares the machine: throughput moves with the neighbours' load.
run() {
  local mode=$1 route=$2 keys="$WORK/ids.txt" out
  [ "$mode" = apig ] && keys="$WORK/signed.txt"
  local ts token
  ts=$(date +%s)
  token=$(printf '%s' "$APPKEY$ts$SECRET" | md5sum | cut -c1-32 | tr a-f A-F)
  export MODE=$mode ROUTE=$route KEYS=$keys APPCODE APPKEY TS=$ts TOKEN=$token
  wrk -t"$THREADS" -c"$CONNS" -d3s -s "$here/gateway.lua" "$BASE" >/dev/null
  local t0 t1
  t0=$(cpu_ticks)
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$here/gateway.lua" "$BASE")
  t1=$(cpu_ticks)
  echo "$out" >>"$WORK/wrk.log"
  if ! grep -q "envelope errors: 0 of" <<<"$out"; then
    echo "errors in mode $mode:" >&2; grep "envelope errors" <<<"$out" >&2
  fi
  local n hz
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  hz=$(getconf CLK_TCK)
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out") $(awk -v d=$((t1 - t0)) -v n="$n" -v hz="$hz" 'BEGIN{printf "%.0f", d / hz * 1e6 / n}') $(loadavg)"
}

runs="$WORK/runs.txt"
: >"$runs"
echo "== measure: $ROUNDS rounds × (off, on per lease) per mode, $DURATION each, $THREADS threads, $CONNS connections; load $(loadavg)"
printf "%-6s %-8s %-14s %10s %10s %12s %6s\n" round mode gateway req/s p99 "CPU µs/req" load
for round in $(seq "$ROUNDS"); do
  for mode in $MODES; do
    route=jumei
    [ "$mode" = qcc ] && route=qcc
    # Off and on, the client sends the same requests, credentials included
    # (the server without the gateway ignores them): only the gateway differs.
    start_server --no-auth
    if [ "$mode" = apig ]; then sign_all; fi
    read -r rps p99 cpu load < <(run "$mode" $route)
    stop_server
    printf "%-6s %-8s %-14s %10s %10s %12s %6s\n" "$round" "$mode" off "$rps" "$p99" "$cpu" "$load"
    echo "$mode off $rps $cpu" >>"$runs"
    for lease in $LEASES; do
      start_server --spend-lease "$lease"
      if [ "$mode" = apig ]; then sign_all; fi
      read -r rps p99 cpu load < <(run "$mode" $route)
      stop_server
      printf "%-6s %-8s %-14s %10s %10s %12s %6s\n" "$round" "$mode" "on lease=$lease" "$rps" "$p99" "$cpu" "$load"
      echo "$mode $lease $rps $cpu" >>"$runs"
    done
  done
done
# median FIELD MODE GATEWAY: the median of a column of runs.txt.
median() {
  awk -v f="$1" -v m="$2" -v g="$3" '$1 == m && $2 == g {print $f}' "$runs" | sort -g |
    awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
echo "== on/off (medians over rounds): throughput ratio, and server CPU per request; load $(loadavg)"
for mode in $MODES; do
  off=$(median 3 "$mode" off); coff=$(median 4 "$mode" off)
  for lease in $LEASES; do
    on=$(median 3 "$mode" "$lease"); con=$(median 4 "$mode" "$lease")
    awk -v m="$mode" -v l="$lease" -v on="$on" -v off="$off" -v con="$con" -v coff="$coff" \
      'BEGIN{printf "%-8s lease=%-3s req/s off %6.0f on %6.0f ratio %.3f (cost %5.1f %%) | CPU µs/req off %4.0f on %4.0f (cost %5.1f %%)\n",
        m, l, off, on, on/off, 100*(1-on/off), coff, con, 100*(con/coff-1)}'
  done
done
"$zheng" app show --data-dir "$WORK/data" "$APPKEY" | head -6
