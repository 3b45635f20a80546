# Convenience targets; the scripts are the source of truth.
.PHONY: run test models build
run:
	./scripts/serve.sh
test:
	./scripts/test.sh
models:
	./scripts/fetch-models.sh
build:
	go build -o bin/zheng ./cmd/zheng
