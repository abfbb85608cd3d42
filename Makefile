GO ?= go
# The binary make builds; the README walkthrough test points it elsewhere.
FRESHPLAN_BIN ?= bin/freshplan

.PHONY: run test unit e2e build lint cover

## run: the service with demo data on http://localhost:8080, or FRESHPLAN_ADDR (finds or starts a local PostgreSQL)
# exec: the server replaces the recipe's shell, so the SIGTERM make passes on
# when it is killed reaches the server. (go run would leave its child running.)
run: build
	exec $(FRESHPLAN_BIN) serve --demo

## test: every test, against a real PostgreSQL: the unit step with the race detector, then the end-to-end step
test: unit e2e

# Each step prints how long it took (CI keeps an eye on it).
unit:
	@start=$$(date +%s); \
	$(GO) test -race -count=1 -coverpkg=./internal/... -coverprofile=coverage.out ./... && \
	$(GO) tool cover -func=coverage.out | tail -1 && \
	echo "== unit: $$(( $$(date +%s) - start )) s"

## e2e: the end-to-end tests (build tag e2e: plans at scale), without the race detector
e2e:
	@start=$$(date +%s); \
	$(GO) test -tags e2e -count=1 -run 'E2E' -timeout 10m ./... && \
	echo "== e2e: $$(( $$(date +%s) - start )) s"

build:
	$(GO) build -o $(FRESHPLAN_BIN) ./cmd/freshplan

lint:
	$(GO) vet ./...
	$(GO) vet -tags e2e ./...
	gofmt -l . | (! grep .)
