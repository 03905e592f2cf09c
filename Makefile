# go-micro-sse: see README.md.
GO ?= go
FUZZTIME ?= 20s
BENCHTIME ?= 1s

.PHONY: test bench fuzz run

# test: what CI runs (bash .ci/run calls `CI=true make test`). examples/bench
# is a separate module that ./... does not reach: its tests run too.
test:
	$(GO) vet ./...
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) test -race -timeout 20m ./...
	@if [ -f examples/bench/go.mod ]; then \
		echo "cd examples/bench && go vet ./... && go test ./..."; \
		cd examples/bench && $(GO) vet ./... && $(GO) test -timeout 5m ./...; \
	fi

# bench: the module's benchmarks, then the comparison with other SSE
# libraries in examples/bench (a separate module, not reached by ./...).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...
	@if [ -f examples/bench/go.mod ]; then \
		cd examples/bench && $(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...; \
	fi
	@if [ -x examples/bench/run.sh ]; then examples/bench/run.sh; fi

# fuzz: every fuzz target for FUZZTIME (go test takes one -fuzz target per run).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1x $$pkg; \
		done; \
	done

run:
	$(GO) run ./examples/demo
