#!/bin/sh
# Runs the whole test suite: fetches the models the vision tests need (once),
# then vets and tests every package. PostgreSQL and Redis tests run when
# ZHENG_TEST_PG / ZHENG_TEST_REDIS name a server (see README).
set -eu
cd "$(dirname "$0")/.."
./scripts/fetch-models.sh
go vet ./...
go test ./...
