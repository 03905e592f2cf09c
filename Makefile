# go-micro-sse: see README.md.
GO ?= go
FUZZTIME ?= 20s
BENCHTIME ?= 1s

.PHONY: test bench fuzz run cluster htmx npm

# test: what CI runs (bash .ci/run calls `CI=true make test`): gofmt over the
# whole tree, then vet and the tests of every Go module. The library is the
# root; examples (demo, quickstart, htmx, rpcstream, cluster, the Chromium
# harness) and examples/bench are modules of their own, which the root's
# ./... does not reach. The htmx example's npm dependencies are fetched
# first (npm ci, package-lock.json).
test: npm
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...
	cd examples && $(GO) vet ./... && $(GO) test -race -timeout 20m ./...
	cd examples/bench && $(GO) vet ./... && $(GO) test -timeout 5m ./...

# bench: the module's benchmarks, then the comparison with other SSE
# libraries in examples/bench (a separate module, not reached by ./...).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...
	cd examples/bench && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...
	examples/bench/run.sh

# fuzz: every fuzz target for FUZZTIME (go test takes one -fuzz target per run).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1x $$pkg; \
		done; \
	done

# run: the demo (examples/demo, in the examples module).
run:
	@echo "make run: building and starting the demo (examples/demo); the first run downloads go-micro's modules (~245 MB) and compiles for a minute or two"
	cd examples && $(GO) run ./demo

# cluster: three SSE nodes on one embedded NATS JetStream (examples/cluster).
cluster:
	@echo "make cluster: building and starting three nodes on embedded NATS JetStream (examples/cluster); the first run downloads and compiles for a minute or two"
	cd examples && $(GO) run ./cluster

# htmx: the htmx example (examples/htmx), its npm dependencies fetched first.
htmx: npm
	@echo "make htmx: building and starting the htmx example (examples/htmx); the first run downloads and compiles for a minute or two"
	cd examples && $(GO) run ./htmx

# npm: htmx and htmx-ext-sse into examples/htmx/node_modules, exactly as
# package-lock.json pins them.
npm:
	@echo "npm ci: htmx and htmx-ext-sse into examples/htmx/node_modules"
	cd examples/htmx && npm ci --no-audit --no-fund
