GO ?= go
# The binary make builds; the README walkthrough test points it elsewhere.
FRESHPLAN_BIN ?= bin/freshplan

.PHONY: run test build lint cover

## run: the service with demo data on http://localhost:8080, or FRESHPLAN_ADDR (finds or starts a local PostgreSQL)
# exec: the server replaces the recipe's shell, so the SIGTERM make passes on
# when it is killed reaches the server. (go run would leave its child running.)
run: build
	exec $(FRESHPLAN_BIN) serve --demo

## test: every test, against a real PostgreSQL, with the race detector
test:
	$(GO) test -race -count=1 -coverpkg=./internal/... -coverprofile=coverage.out ./...
	$(GO) tool cover -func=coverage.out | tail -1

build:
	$(GO) build -o $(FRESHPLAN_BIN) ./cmd/freshplan

lint:
	$(GO) vet ./...
	gofmt -l . | (! grep .)
