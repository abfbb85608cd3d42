GO ?= go

.PHONY: run test build lint cover

## run: the service with demo data on http://localhost:8080 (finds or starts a local PostgreSQL)
run:
	$(GO) run ./cmd/freshplan serve --demo

## test: every test, against a real PostgreSQL, with the race detector
test:
	$(GO) test -race -count=1 -coverpkg=./internal/... -coverprofile=coverage.out ./...
	$(GO) tool cover -func=coverage.out | tail -1

build:
	$(GO) build -o bin/freshplan ./cmd/freshplan

lint:
	$(GO) vet ./...
	gofmt -l . | (! grep .)
