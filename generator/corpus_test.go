package generator_test

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
)

func corpusFiles(t *testing.T) []string { return spantest.CorpusFiles(t) }

var sections = []string{"## Impact", "## Trigger", "## Diagnosis", "## Remediation", "## Verification",
	"## Escalation", "## Dependencies", "## Notes", "```traceql", "```mermaid"}

// TestCorpusRunbooks generates runbooks for every real dataset and reads
// them back: every node with traffic has its runbooks, every section is
// there, and each latency runbook walks the node's real dependencies in
// order of the time they add to a request.
func TestCorpusRunbooks(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			g := buildGraph(t, f)
			dir := t.TempDir()
			tmpl, _ := generator.LoadTemplates("")
			cfg := &config.Config{}
			cfg.FillDefaults()
			p, err := generator.PlanRunbooks(g, generator.GenerateOptions{Dir: dir, Config: cfg, Templates: tmpl})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Apply(false); err != nil {
				t.Fatal(err)
			}
			checked := 0 // dependencies read back, so the check cannot pass vacuously
			defer func() {
				if checked == 0 {
					t.Error("no dependency list was read back from any runbook")
				}
			}()
			byKey := map[string]string{}
			for name, body := range readDir(t, dir) {
				if strings.HasPrefix(name, "RB-") {
					byKey[frontMatterOf(t, body).Key] = body
				}
			}
			checkIdentity(t, filepath.Base(f), byKey)
			for _, n := range g.Nodes {
				if n.Calls == 0 || n.Kind == topology.KindUser {
					continue
				}
				want := []string{generator.SymptomDegraded}
				if n.Kind == topology.KindService {
					want = []string{generator.SymptomErrors, generator.SymptomLatency}
				}
				for _, sym := range want {
					body, ok := byKey[generator.RunbookKey(n.Name, sym)]
					if !ok {
						t.Errorf("no %s runbook for %s", sym, n.Name)
						continue
					}
					for _, s := range sections {
						if !strings.Contains(body, s) {
							t.Errorf("%s/%s lacks %q", n.Name, sym, s)
						}
					}
					checkAlertOrReason(t, n, sym, body)
					if sym == generator.SymptomLatency {
						checked += checkDependencyOrder(t, g, n, body)
					}
				}
			}
		})
	}
}

// checkAlertOrReason wants an alert for a node seen often enough to set a
// threshold, and for one seen less often no alert and the reason.
func checkAlertOrReason(t *testing.T, n topology.Node, sym, body string) {
	t.Helper()
	hasRule := strings.Contains(body, "runbook_url:")
	tooLittle := strings.Contains(body, fmt.Sprintf("too little traffic to set a threshold** (%d calls observed;", n.Calls))
	switch {
	case n.Calls >= config.DefaultMinObservedCalls && !hasRule:
		t.Errorf("%s/%s: %d calls, but no alert rule", n.Name, sym, n.Calls)
	case n.Calls < config.DefaultMinObservedCalls && (hasRule || !tooLittle):
		t.Errorf("%s/%s: only %d calls, yet an alert (%v) or no reason why not (%v)", n.Name, sym, n.Calls, hasRule, tooLittle)
	}
}

var mdEscape = regexp.MustCompile(`\\([!-/:-@\[-` + "`" + `{-~])`)

func unescape(s string) string { return mdEscape.ReplaceAllString(s, "$1") }

// listedDependencies reads the names in the "Walk down the dependencies" step.
func listedDependencies(body string) []string {
	i := strings.Index(body, ". Walk down the dependencies\n")
	if i < 0 {
		return nil
	}
	step := body[i:]
	if j := strings.Index(step[1:], "\n### "); j > 0 {
		step = step[:j+1]
	}
	var names []string
	for _, line := range strings.Split(step, "\n") {
		switch {
		case strings.HasPrefix(line, "- Added less: "):
			for _, part := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "- Added less: "), "."), ", ") {
				names = append(names, linkText(part))
			}
		case strings.HasPrefix(line, "- "):
			item := strings.TrimPrefix(line, "- ")
			if strings.HasPrefix(item, "[") {
				names = append(names, linkText(item))
			} else {
				names = append(names, unescape(item[:strings.Index(item, " (")]))
			}
		}
	}
	return names
}

func linkText(s string) string {
	if strings.HasPrefix(s, "[") {
		return unescape(s[1:strings.Index(s, "](")])
	}
	return unescape(s)
}

func checkDependencyOrder(t *testing.T, g *topology.Graph, n topology.Node, body string) int {
	t.Helper()
	var want []string
	cost := map[string]float64{}
	async := map[string]bool{}
	for _, e := range g.Downstream(n.Name) {
		if e.To == n.Name {
			continue
		}
		want = append(want, e.To)
		async[e.To] = e.Kind == topology.EdgeMessaging
		cost[e.To] = float64(e.Calls) / float64(n.Calls) * e.P50MS
	}
	got := listedDependencies(body)
	if len(want) == 0 {
		if len(got) != 0 {
			t.Errorf("%s: lists dependencies %v it does not have", n.Name, got)
		}
		return 0
	}
	if strings.Contains(strings.Join(got, ","), "more") {
		t.Fatalf("%s: could not read the list: %v", n.Name, got)
	}
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	sort.Strings(want)
	if strings.Join(sorted, "\x00") != strings.Join(want, "\x00") {
		t.Errorf("%s: lists %v, its real dependencies are %v", n.Name, got, want)
		return 0
	}
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if async[a] && !async[b] || async[a] == async[b] && cost[a] < cost[b]*0.999 {
			t.Errorf("%s: %s (%.3gms/request) is listed before %s (%.3gms/request)", n.Name, a, cost[a], b, cost[b])
		}
	}
	return len(got)
}

// checkIdentity reads the runbooks' nodes back: no runbook is named after
// a bare address (Robot Shop's pods), no two after names that differ only
// by letter case (Zipkin's stLogin and stlogin), and HotROD's redis
// runbook says what its failures say.
func checkIdentity(t *testing.T, dataset string, byKey map[string]string) {
	t.Helper()
	lower := map[string]string{}
	for key, body := range byKey {
		node := frontMatterOf(t, body).Service
		host := node
		if h, _, err := net.SplitHostPort(node); err == nil {
			host = h
		}
		if _, err := netip.ParseAddr(host); err == nil {
			t.Errorf("%s: runbook %s is named after an address", dataset, key)
		}
		if other, ok := lower[strings.ToLower(node)]; ok && other != node {
			t.Errorf("%s: runbooks for %s and %s", dataset, other, node)
		}
		lower[strings.ToLower(node)] = node
	}
	if dataset == "hotrod.otlp.jsonl" {
		body := byKey[generator.RunbookKey("redis", generator.SymptomDegraded)]
		if !strings.Contains(body, "`redis timeout`: ") {
			t.Errorf("the redis runbook does not say its failures were redis timeouts:\n%s", body)
		}
	}
}
