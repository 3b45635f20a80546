#!/bin/sh
# Starts zheng on the embedded defaults: SQLite and files in ./data, models in
# ./models (fetched on first run), demo data and a demo app whose credentials
# are printed once. Extra arguments go to "zheng serve".
set -eu
cd "$(dirname "$0")/.."
./scripts/fetch-models.sh
mkdir -p bin
go build -o bin/zheng ./cmd/zheng
exec ./bin/zheng serve "$@"
