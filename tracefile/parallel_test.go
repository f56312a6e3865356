package tracefile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// withWorkers runs fn with n decode workers.
func withWorkers(n int, fn func()) {
	was := tracefile.Workers
	tracefile.Workers = n
	defer func() { tracefile.Workers = was }()
	fn()
}

func TestParallelDecodingGivesTheSameGraph(t *testing.T) {
	day := spantest.DemoDay(t)
	graph := func(workers int) []byte {
		var out []byte
		withWorkers(workers, func() {
			g, err := topology.Build(context.Background(), &tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(day)}, topology.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out, _ = json.Marshal(g)
		})
		return out
	}
	one := graph(1)
	for _, n := range []int{2, 7} {
		if !bytes.Equal(graph(n), one) {
			t.Errorf("%d workers give another graph than one", n)
		}
	}
}

func TestWithManyWorkersTheFirstBadRecordIsTheOneNamed(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	good := string(otlpJSON(t, sample("shop", 1)))
	for i := 1; i <= 60; i++ {
		switch i {
		case 17, 41:
			lines = append(lines, `{"resourceSpans": [{"scopeSpans": "not a list"}]}`)
		default:
			lines = append(lines, good)
		}
	}
	path := write(t, dir, "bad.jsonl", []byte(strings.Join(lines, "\n")+"\n"))
	withWorkers(8, func() {
		var batches int
		err := (&tracefile.Reader{Paths: []string{path}}).Stream(context.Background(), func(topology.Batch) error { batches++; return nil })
		if err == nil || !strings.Contains(err.Error(), "bad.jsonl:17") {
			t.Errorf("got %v, want line 17 named", err)
		}
		if batches != 16 {
			t.Errorf("%d batches folded before the bad line, want 16", batches)
		}
		r := &tracefile.Reader{Paths: []string{path}, SkipBad: true}
		batches = 0
		if err := r.Stream(context.Background(), func(topology.Batch) error { batches++; return nil }); err != nil || r.Skipped != 2 || batches != 58 {
			t.Errorf("skipping: err %v, %d skipped, %d batches", err, r.Skipped, batches)
		}
		batches = 0
		stop := fmt.Errorf("stop")
		err = (&tracefile.Reader{Paths: []string{path}}).Stream(context.Background(), func(topology.Batch) error {
			if batches++; batches == 5 {
				return stop
			}
			return nil
		})
		if err != stop || batches != 5 {
			t.Errorf("a fold that fails: err %v after %d batches", err, batches)
		}
	})
}

// TestLeanDecodersGiveTheGraphPdataGives reads every corpus file, and the
// demo day as JSON and as protobuf, with the lean decoders and with pdata
// alone: the graphs must be byte-identical.
func TestLeanDecodersGiveTheGraphPdataGives(t *testing.T) {
	graph := func(r *tracefile.Reader) []byte {
		t.Helper()
		g, err := topology.Build(context.Background(), r, topology.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(g)
		return out
	}
	day := spantest.DemoDay(t)
	inputs := map[string][]byte{"demo day (JSON)": day, "demo day (protobuf)": spantest.Protobuf(t, day)}
	for name, raw := range inputs {
		lean := graph(&tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(raw)})
		ref := graph(&tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(raw), Reference: true})
		if !bytes.Equal(lean, ref) {
			t.Errorf("%s: the lean decoders give another graph than pdata", name)
		}
	}
	for _, f := range spantest.CorpusFiles(t) {
		lean := graph(&tracefile.Reader{Paths: []string{f}})
		ref := graph(&tracefile.Reader{Paths: []string{f}, Reference: true})
		if !bytes.Equal(lean, ref) {
			t.Errorf("%s: the lean decoders give another graph than pdata", f)
		}
	}
}
