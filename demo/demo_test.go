package demo_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/demo"
)

func TestSameConfigSameBytes(t *testing.T) {
	var a, b bytes.Buffer
	cfg := demo.Config{Days: 1, PeakPerHour: 10}
	if _, err := demo.Write(&a, cfg); err != nil {
		t.Fatal(err)
	}
	demo.Write(&b, cfg)
	if !bytes.Equal(a.Bytes(), b.Bytes()) || a.Len() == 0 {
		t.Error("two runs with one config differ")
	}
}

// The bundled week must be what the generator writes today, or `make demo`
// was forgotten after a change to the shop.
func TestBundledWeekIsCurrent(t *testing.T) {
	f, err := os.Open("../testdata/demo-week.otlp.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	bundled, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var fresh bytes.Buffer
	if _, err := demo.Write(&fresh, demo.Config{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bundled, fresh.Bytes()) {
		t.Error("testdata/demo-week.otlp.jsonl.gz is stale: run make demo")
	}
}

func TestFaultsAreCountedInTheirWindow(t *testing.T) {
	start := time.Date(2026, 11, 9, 14, 0, 0, 0, time.UTC)
	cfg := demo.Config{Days: 1, Faults: []demo.Fault{
		{Node: "checkout", Start: start, End: start.Add(30 * time.Minute), ErrorRate: 1},
	}}
	st, err := demo.Write(io.Discard, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st.FaultedCalls["checkout"] == 0 {
		t.Fatal("no call hit the fault")
	}
	clean, _ := demo.Write(io.Discard, demo.Config{Days: 1})
	if st.EntryFailures["frontend: POST /checkout"] <= clean.EntryFailures["frontend: POST /checkout"] {
		t.Errorf("checkout failures %d with the fault, %d without", st.EntryFailures["frontend: POST /checkout"],
			clean.EntryFailures["frontend: POST /checkout"])
	}
}

func TestParseFault(t *testing.T) {
	window := "node=checkout,start=2026-11-12T14:00:00Z,end=2026-11-12T14:30:00Z"
	cases := []struct {
		name, in string
		want     demo.Fault // compared on the rates and latency
		err      bool
	}{
		{"errors and latency together are one fault", window + ",errors=0.5,latency=300ms", demo.Fault{ErrorRate: 0.5, Latency: 300 * time.Millisecond}, false},
		{"an early return is a fault of its own", window + ",early=0.7", demo.Fault{EarlyReturn: 0.7}, false},
		{"a fault needs something to do", window, demo.Fault{}, true},
		{"a ratio above one is refused", window + ",early=1.5", demo.Fault{}, true},
		{"an unknown key is named", window + ",explode=1", demo.Fault{}, true},
		{"the end must follow the start", "node=x,start=2026-11-12T14:00:00Z,end=2026-11-12T13:00:00Z,errors=1", demo.Fault{}, true},
	}
	for _, c := range cases {
		f, err := demo.ParseFault(c.in)
		if (err != nil) != c.err {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		if !c.err && (f.ErrorRate != c.want.ErrorRate || f.Latency != c.want.Latency || f.EarlyReturn != c.want.EarlyReturn || f.Node != "checkout") {
			t.Errorf("%s: got %+v", c.name, f)
		}
	}
}

func TestAFaultThatChangesNothingIsAnError(t *testing.T) {
	start := time.Date(2026, 11, 9, 14, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		fault demo.Fault
		says  string
	}{
		{"a node the shop does not have is named with the ones it has",
			demo.Fault{Node: "postgres", Start: start, End: start.Add(time.Hour), Latency: time.Second}, "orders-db/orders"},
		{"a window outside the demo gives the demo's range",
			demo.Fault{Node: "checkout", Start: start.AddDate(0, 1, 0), End: start.AddDate(0, 1, 0).Add(time.Hour), ErrorRate: 1}, "outside the demo's, 2026-11-09T00:00:00Z to 2026-11-10T00:00:00Z"},
		{"a window that no request reaches the node in asks for a wider one",
			demo.Fault{Node: "checkout", Start: start, End: start.Add(time.Millisecond), ErrorRate: 1}, "widen the window"},
	}
	for _, c := range cases {
		_, err := demo.Write(io.Discard, demo.Config{Days: 1, Faults: []demo.Fault{c.fault}})
		if !errors.Is(err, demo.ErrIdleFault) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

func TestEveryNodeAFaultCanNameIsReached(t *testing.T) {
	start := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	for _, n := range demo.Nodes() {
		cfg := demo.Config{Days: 1, Faults: []demo.Fault{{Node: n, Start: start, End: start.Add(24 * time.Hour), Latency: time.Millisecond}}}
		if _, err := demo.Write(io.Discard, cfg); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestACanaryThatWouldChangeNothingIsRefused(t *testing.T) {
	at := time.Date(2026, 11, 9, 14, 0, 0, 0, time.UTC)
	for _, c := range []demo.Canary{
		{Service: "chekout", Version: "2", Start: at, End: at.Add(time.Hour), Share: 0.5},
		{Service: "checkout", Version: "2", Start: at.AddDate(1, 0, 0), End: at.AddDate(1, 0, 1), Share: 0.5},
	} {
		if _, err := demo.Write(io.Discard, demo.Config{Days: 1, Canaries: []demo.Canary{c}}); !errors.Is(err, demo.ErrIdleFault) {
			t.Errorf("%+v: got %v", c, err)
		}
	}
}
