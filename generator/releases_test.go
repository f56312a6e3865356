package generator_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// canaryWeek is two demo days on which checkout 1.4.3 runs as a canary
// for six hours of the second, serving a quarter of checkout's requests
// and throwing on most of them.
func canaryWeek(t *testing.T) *topology.Graph {
	t.Helper()
	start := time.Date(2026, 11, 10, 10, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "canary.otlp.jsonl")
	var buf bytes.Buffer
	_, err := demo.Write(&buf, demo.Config{Days: 2, PeakPerHour: 200, Canaries: []demo.Canary{{
		Service: "checkout", Version: "1.4.3", Start: start, End: start.Add(6 * time.Hour), Share: 0.25, ErrorRate: 0.6,
		Exception: "PaymentDeclinedError", Message: "card issuer 4242 declined order 98123",
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return buildGraph(t, path)
}

func TestACanaryReleaseIsNamedInItsRunbook(t *testing.T) {
	dir := t.TempDir()
	generate(t, canaryWeek(t), dir)
	doc := readDir(t, dir)[runbookFile(t, dir, "checkout-high-error-rate")]
	for _, want := range []string{
		// What the failures say, with the exception type and a masked message.
		"### 2. Read what the failures say",
		"`PaymentDeclinedError: card issuer <n> declined order <n>`",
		"which said `card issuer 4242 declined order 98123`",
		// Check what changed names both versions and suspects the canary.
		"`checkout` ran `1.4.2`; `1.4.3` ran alongside it from 2026-11-10 10:1",
		"suspect that release",
		// Kubernetes commands for both deployments.
		"`kubectl -n shop rollout history deployment/checkout`",
		"`kubectl -n shop logs deploy/checkout-canary --all-containers --since=1h`",
		"roll it back: `kubectl -n shop rollout undo deployment/checkout` or `kubectl -n shop rollout undo deployment/checkout-canary`",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the checkout runbook lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(doc)
	}
}

func TestAWeekOfOneVersionSaysSo(t *testing.T) {
	dir := t.TempDir()
	generate(t, buildGraph(t, "../testdata/demo-week.otlp.jsonl.gz"), dir)
	doc := readDir(t, dir)[runbookFile(t, dir, "checkout-high-error-rate")]
	for _, want := range []string{"`checkout` ran `1.4.2` throughout the traces read.", "`kubectl -n shop rollout undo deployment/checkout`"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the checkout runbook lacks %q", want)
		}
	}
	if strings.Contains(doc, "suspect that release") {
		t.Error("one version is suspected")
	}
}

// runbookFile finds the runbook file whose name ends in slug.md.
func runbookFile(t *testing.T, dir, slug string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "RB-*-"+slug+".md"))
	if len(m) != 1 {
		t.Fatalf("runbooks for %s: %v", slug, m)
	}
	return filepath.Base(m[0])
}

func TestARenamedNodeKeepsItsRunbookNumbers(t *testing.T) {
	dir := t.TempDir()
	week := "../testdata/demo-week.otlp.jsonl.gz"
	generate(t, buildGraph(t, week), dir)
	before := ids(t, dir)
	g, err := topology.Build(context.Background(), &tracefile.Reader{Paths: []string{week}}, topology.Options{Aliases: map[string]string{"cart": "basket"}})
	if err != nil {
		t.Fatal(err)
	}
	generate(t, g, dir)
	after := ids(t, dir)
	for _, sym := range []string{generator.SymptomErrors, generator.SymptomLatency} {
		old, renamed := before[generator.RunbookKey("cart", sym)], after[generator.RunbookKey("basket", sym)]
		if old == "" || old != renamed {
			t.Errorf("%s: cart's runbook was %q, basket's is %q", sym, old, renamed)
		}
		if _, ok := after[generator.RunbookKey("cart", sym)]; ok {
			t.Errorf("%s: cart still has a runbook", sym)
		}
	}
	doc := readDir(t, dir)[after[generator.RunbookKey("basket", generator.SymptomErrors)]]
	if !strings.Contains(doc, "service: basket") || strings.Contains(doc, "status: stale") {
		t.Errorf("the renamed runbook:\n%s", doc)
	}
}
