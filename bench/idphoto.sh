#!/usr/bin/env bash
# ID-photo speed and memory: go test benchmarks of internal/idphoto with
# the real models, on portraits from ../shared/testdata/portraits (read at
# run time, never committed): a 1200×1600 JPEG (hivision_test0.jpg scaled
# up) and a 22-megapixel JPEG (liying_test1.jpg) to 一寸.
#
#   BenchmarkMake            one photo at a time: ns/op, p50-ms, per-stage ms,
#                            cpu-ms/op (CPU time per photo, all threads)
#   BenchmarkMakeParallel    4 requests in flight: photos/s, cpu-ms/photo,
#                            peak RSS (then again for 22 MP under
#                            GOMEMLIMIT, as serve --memory-limit sets it)
#   BenchmarkPipelineFakes   everything but the networks, synthetic input
#
# Each parallel case runs in its own process so its peak RSS is its own.
# Prints the raw benchmark lines; results and method: bench/idphoto.md.
#
# Usage: bench/idphoto.sh      (from the repository root)
# Settings (environment): COUNT=5 (runs per benchmark), MODELS=./models,
# MEMLIMIT=400MiB (GOMEMLIMIT for the last run)
set -euo pipefail

COUNT=${COUNT:-5}
MEMLIMIT=${MEMLIMIT:-400MiB}
export ZHENG_MODELS=$(cd "${MODELS:-./models}" && pwd)
[ -f "$ZHENG_MODELS/rvm.json" ] || { echo "models missing in $ZHENG_MODELS: run scripts/fetch-models.sh" >&2; exit 1; }
[ -d ../shared/testdata/portraits ] || { echo "../shared/testdata/portraits is missing" >&2; exit 1; }

echo "# $(date -u +%FT%TZ) $(uname -m), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./internal/idphoto -run '^$' -bench 'BenchmarkMake$' -benchtime "${COUNT}x" -benchmem
for b in 'BenchmarkMakeParallel/input=1200x1600' 'BenchmarkMakeParallel/input=22MP'; do
	go test ./internal/idphoto -run '^$' -bench "$b" -benchtime "$((COUNT * 4))x" | grep '^Benchmark'
done
# The same with the Go runtime's soft memory limit, as a deployment would set it.
echo "# GOMEMLIMIT=$MEMLIMIT"
GOMEMLIMIT=$MEMLIMIT go test ./internal/idphoto -run '^$' -bench 'BenchmarkMakeParallel/input=22MP' -benchtime "$((COUNT * 4))x" | grep '^Benchmark'
go test ./internal/idphoto -run '^$' -bench 'BenchmarkPipelineFakes' -benchtime "${COUNT}x" | grep '^Benchmark'
