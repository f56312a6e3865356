# rbgen — make targets. `make test` is what CI runs.
GO       ?= go
FUZZTIME ?=
BIN      := bin/rbgen

.PHONY: all build test unit fuzz bench bench-collector demo graph-demo vet clean tempo prometheus mdx eval-rca

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rbgen

# Unit, golden, corpus, CLI, Tempo, Prometheus and MDX tests, then each fuzz
# target briefly. The real Tempo and Prometheus are built first (make tempo
# prometheus), and the MDX compiler installed (make mdx).
test: vet tempo prometheus mdx unit fuzz

# Build the real Tempo server from the Go module proxy at the version go.mod
# pins, into $(go env GOCACHE)/../rbgen-tempo (reused when present).
tempo:
	@bash tools/build-tempo.sh

# Build the real Prometheus server and promtool (v0.316.0) the same way, into
# $(go env GOCACHE)/../rbgen-prometheus (about 8 minutes cold; reused after).
prometheus:
	@bash tools/build-prometheus.sh

# The MDX compiler (@mdx-js/mdx, pinned in tools/mdx/package-lock.json)
# for the test that names stay text in Docusaurus's MDX; installed once.
mdx:
	@test -d tools/mdx/node_modules/@mdx-js/mdx || npm ci --prefix tools/mdx --no-audit --no-fund --loglevel=error

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 20m ./...

# Each fuzz target for a fixed number of inputs (the count after its name,
# a few seconds here), or for FUZZTIME if set (make fuzz FUZZTIME=10m).
# Counts, not durations, by default: on Go before 1.27 a duration can end
# in a race in the fuzzing coordinator that fails the target with "context
# deadline exceeded" and no failing input (go.dev/issue/75804); CI saw it.
FUZZ_TARGETS := \
	tracefile:FuzzDecodeJSON:10000 tracefile:FuzzJSONStream:5000 \
	tracefile:FuzzProtoStream:5000 tracefile:FuzzGzipStream:3000 \
	tracefile:FuzzLeanJSON:20000 tracefile:FuzzLeanProto:30000 \
	alerts:FuzzInert:20000 document:FuzzFrontMatterRoundTrip:10000
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; budget=$${rest#*:}x; \
		test -n "$(FUZZTIME)" && budget=$(FUZZTIME); \
		echo "fuzz $$name in ./$$pkg for $$budget"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $$budget ./$$pkg || exit 1; \
	done

# Decode + build throughput (spans/s, MB/s, allocs/span; JSON and protobuf,
# lean decoders and pdata, one worker and all); parent lookup under a
# shared span ID, runbook numbering and planning at n and 10n; the same with the
# postmortem's profiles, peak heap as the input grows tenfold, and pulls and
# TraceQL metrics from a local Tempo holding a week of 50,000 traces.
bench:
	$(GO) test -run '^$$' -bench 'DecodeAndBuild' -benchmem -benchtime 5x ./topology
	$(GO) test -run '^$$' -bench 'SharedSpanID' -benchtime 3x ./topology
	$(GO) test -run '^$$' -bench 'RegistryAssign|PlanManyServices' -benchtime 1x ./generator
	$(GO) test -run '^$$' -bench 'IncidentProfile' -benchmem -benchtime 5x ./incident
	$(GO) test -run '^$$' -bench 'ManySiblings' -benchtime 1x ./incident
	$(GO) test -run '^$$' -bench PeakHeap -benchtime 1x ./topology
	$(GO) test -run '^$$' -bench 'BenchmarkTempo' -benchtime 1x -timeout 30m ./tempo

# rbgen graph against the Collector's servicegraphconnector on the same
# 150k-span week, whole processes, alternating runs; and peak memory on ten
# times the input (tools/bench-collector.sh; the harness is its own module).
bench-collector:
	@bash tools/bench-collector.sh

# Score the postmortem root-cause ranking on the Nezha faults in
# ../shared/corpus/nezha: top-1 and top-3 accuracy, and the misses.
eval-rca:
	$(GO) run ./tools/evalrca -corpus ../shared/corpus/nezha

# Rewrite the bundled demo week (deterministic: same bytes every time).
demo:
	$(GO) run ./cmd/rbgen demo --out testdata/demo-week.otlp.jsonl.gz

graph-demo:
	$(GO) run ./cmd/rbgen graph --demo --format mermaid

clean:
	rm -rf bin
