package app

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// demoFault is two days of the demo shop in memory, checkout failing from
// 14:00 to 14:30 on the second.
func demoFault(t *testing.T) (PostmortemInput, time.Time) {
	t.Helper()
	start := time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	_, err := demo.Write(&buf, demo.Config{Days: 2, PeakPerHour: 600,
		Faults: []demo.Fault{{Node: "checkout", Start: start, End: start.Add(30 * time.Minute), ErrorRate: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := generator.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{}
	cfg.FillDefaults()
	w, err := ResolveWindow(WindowRequest{Start: start.Format(time.RFC3339), End: start.Add(30 * time.Minute).Format(time.RFC3339)})
	if err != nil {
		t.Fatal(err)
	}
	return PostmortemInput{Window: w,
		Fill: func(ctx context.Context, b *topology.Builder) (*topology.Graph, error) {
			return b.Read(ctx, &tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(buf.Bytes())})
		},
		Document: generator.PostmortemOptions{Dir: filepath.Join(t.TempDir(), "pm"), Config: cfg, Templates: tmpl}}, start
}

func TestPostmortemPlansTheDraftItsChartsAndTheIndex(t *testing.T) {
	in, _ := demoFault(t)
	res, err := Postmortem(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Analysis.Suspects) == 0 || res.Analysis.Suspects[0].Node != "checkout" {
		t.Fatalf("suspects %+v", res.Analysis.Suspects)
	}
	var names []string
	for _, c := range res.Plan.Changes {
		names = append(names, filepath.Base(c.Path))
	}
	if got := strings.Join(names, " "); got != "PM-20261110-checkout-errors.md PM-20261110-checkout-errors.charts.json README.md" {
		t.Errorf("plan: %s", got)
	}
}

func TestAWindowWithoutTracesSaysWhatTheInputCovers(t *testing.T) {
	in, start := demoFault(t)
	in.Start, in.End = start.AddDate(1, 0, 0), start.AddDate(1, 0, 0).Add(time.Hour)
	_, err := Postmortem(context.Background(), in)
	var empty *EmptyError
	if !errors.As(err, &empty) || !strings.Contains(err.Error(), "2026-11-09") {
		t.Errorf("got %v", err)
	}
}
