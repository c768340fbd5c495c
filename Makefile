# Prasar — the two commands that matter:
#   make run    the whole product on embedded defaults (SQLite, in-process Redis, sandbox platforms), seeded with a demo
#   make test   every test: Go (unit, store conformance, queue, connectors, API, end-to-end in Chromium) and the TypeScript checks
SHELL := /bin/bash
GO ?= go
NPM ?= npm
TAGS := embedui
export GOFLAGS := -buildvcs=false

.PHONY: run test bench chaos build frontend frontend-check lint vet fmt-check clean

## run: build the frontend and start `prasar serve` on embedded defaults with the demo
run: frontend
	$(GO) run -tags $(TAGS) ./cmd/prasar serve

## build: one binary with the SPA embedded, in bin/prasar
build: frontend
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -o bin/prasar ./cmd/prasar

frontend/node_modules/.package-lock.json: frontend/package-lock.json frontend/package.json
	cd frontend && $(NPM) ci --no-audit --no-fund
	@touch $@

## frontend: build the SPA into frontend/dist (embedded with -tags embedui)
frontend: frontend/node_modules/.package-lock.json
	cd frontend && $(NPM) run build

## frontend-check: TypeScript type check and the frontend's unit tests
frontend-check: frontend/node_modules/.package-lock.json
	cd frontend && $(NPM) run check && $(NPM) test

vet:
	$(GO) vet -tags $(TAGS) ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## lint: go vet, gofmt and the TypeScript checks
lint: vet fmt-check frontend-check

## test: every test (needs Chromium for the end-to-end test; REDIS_URL for the real Redis, else in-process)
test: frontend lint
	$(GO) test -tags $(TAGS) -count=1 -timeout 30m ./...
	$(GO) test -tags $(TAGS) -count=1 -race -timeout 30m ./publisher/ ./publisher/sqlitestore/ ./queue/... ./api/...

## bench: performance figures (fan-out vs raw asynq five times, the store's and the platform call's share, the reach dashboard's p50/p95/p99); printed, not asserted
bench: frontend
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchtime 1x -count 5 -timeout 30m ./cmd/prasar/
	$(GO) test -run '^$$' -bench . -timeout 30m ./publisher/sqlitestore/
	$(GO) test -run '^$$' -bench Publish20 -benchtime 5000x ./connectors/facebook/
	$(GO) test -run '^$$' -bench ReachDashboard -benchtime 1x -timeout 60m ./api/

## chaos: the long chaos run (kill -9 workers, restart Redis, platform faults)
chaos: build
	PRASAR_CHAOS=long $(GO) test -tags $(TAGS) -count=1 -run Chaos -timeout 60m -v ./cmd/prasar/

clean:
	rm -rf bin frontend/dist
