# rbgen — make targets. `make test` is what CI runs.
GO       ?= go
FUZZTIME ?= 5s
BIN      := bin/rbgen

.PHONY: all build test unit fuzz bench demo graph-demo vet clean tempo eval-rca

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rbgen

# Unit, golden, corpus, CLI and Tempo integration tests, then each reader's
# fuzz target briefly. The Tempo tests build the real server first (make tempo).
test: vet tempo unit fuzz

# Build the real Tempo server from the Go module proxy at the version go.mod
# pins, into $(go env GOCACHE)/../rbgen-tempo (reused when present).
tempo:
	@bash tools/build-tempo.sh

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 20m ./...

# Each fuzz target for FUZZTIME (make fuzz FUZZTIME=10m for a longer run).
FUZZ_TARGETS := FuzzDecodeJSON FuzzJSONStream FuzzProtoStream FuzzGzipStream
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./tracefile || exit 1; \
	done

# Decode + build throughput (spans/s, allocs/span), the same with the
# postmortem's profiles, and peak heap as the input grows tenfold.
bench:
	$(GO) test -run '^$$' -bench 'DecodeAndBuild|IncidentProfile' -benchmem -benchtime 5x ./topology
	$(GO) test -run '^$$' -bench PeakHeap -benchtime 1x ./topology

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
