package generator_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/generator/site"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/internal/linkcheck"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// chromium finds the browser, or skips with the reason: CI installs it
// (apt-get install chromium); a laptop may not have it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on PATH: install the Debian package chromium to run the browser test")
	return ""
}

// TestSiteInABrowser opens the published demo site from file:// in
// headless Chromium: no console errors, the filters work, every page the
// index links to loads, and screenshots are kept for people to look at.
func TestSiteInABrowser(t *testing.T) {
	exe := chromium(t)
	out := publishWithPostmortem(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, fmt.Sprintf("console %s", e.Type))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("RBGEN_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "rbgen-screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	shoot := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index := "file://" + filepath.Join(out, "index.html")
	if err := chromedp.Do(ctx, chromedp.Navigate(index), chromedp.WaitVisible(chromedp.CSS("table.runbooks"))); err != nil {
		t.Fatal(err)
	}
	shoot("index.jpg")
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[data-filter="severity"]`), "critical")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('select[data-filter="severity"]').dispatchEvent(new Event('change'))`)); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("shown")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(shown, "of 28 runbooks") || strings.HasPrefix(shown, "28 of") || strings.HasPrefix(shown, "0 of") {
		t.Errorf("the severity filter shows %q", shown)
	}
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a')).map(a => a.href)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hrefs {
		if err := chromedp.Do(ctx, chromedp.Navigate(h)); err != nil {
			t.Errorf("%s did not load: %v", h, err)
			continue
		}
		if title, err := chromedp.Run(ctx, chromedp.Title()); err != nil || title == "" {
			t.Errorf("%s has no title (%v)", h, err)
		}
	}
	pms, _ := filepath.Glob(filepath.Join(out, "postmortems", "PM-*.html"))
	if len(pms) != 1 {
		t.Fatalf("postmortem pages: %v", pms)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+pms[0]), chromedp.WaitVisible(chromedp.CSS("svg.chart"))); err != nil {
		t.Fatal(err)
	}
	shoot("postmortem.jpg")
	runbook := "file://" + filepath.Join(out, "runbooks", "RB-009-checkout-high-error-rate.html")
	if err := chromedp.Do(ctx, chromedp.Navigate(runbook), chromedp.WaitVisible(chromedp.CSS("svg.graph"))); err != nil {
		t.Fatal(err)
	}
	shoot("runbook.jpg")
	checkGraphPage(t, ctx, out)
	shoot("graph.jpg")
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("the browser reported: %v", problems)
	}
}

// publishWithPostmortem publishes the demo day's runbooks and the draft of
// an incident on the demo shop (checkout failing for half an hour).
func publishWithPostmortem(t *testing.T) string {
	t.Helper()
	out, _ := publish(t, smallDemo(t))
	root := filepath.Dir(out)
	start := time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	if _, err := demo.Write(&buf, demo.Config{Days: 2, PeakPerHour: 600,
		Faults: []demo.Fault{{Node: "checkout", Start: start, End: start.Add(30 * time.Minute), ErrorRate: 1}}}); err != nil {
		t.Fatal(err)
	}
	ib := incident.NewBuilder(topology.Options{}, &[2]time.Time{start.Add(-48 * time.Hour), start},
		&[2]time.Time{start.Add(-15 * time.Minute), start.Add(45 * time.Minute)})
	(&tracefile.Reader{Paths: []string{"-"}, Stdin: &buf}).Stream(context.Background(), func(b topology.Batch) error { ib.Add(b); return nil })
	ib.Finish()
	a, err := incident.Analyze(ib.Baseline, ib.Window, start, start.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := generator.LoadTemplates("")
	cfg := &config.Config{}
	cfg.FillDefaults()
	pmDir := filepath.Join(root, "postmortems")
	plan, err := generator.PlanPostmortem(a, generator.PostmortemOptions{Dir: pmDir, RunbookDir: filepath.Join(root, "runbooks"),
		Config: cfg, Templates: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&generator.Plan{Changes: plan.Changes}).Apply(false); err != nil {
		t.Fatal(err)
	}
	changes, err := site.Publish(site.Options{RunbookDir: filepath.Join(root, "runbooks"), PostmortemDir: pmDir, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if err := (&generator.Plan{Changes: changes}).Apply(false); err != nil {
		t.Fatal(err)
	}
	if broken, _ := linkcheck.Broken(out); len(broken) > 0 {
		t.Errorf("broken links: %v", broken)
	}
	return out
}

// checkGraphPage opens the dependency graph: every node but the user links
// to its page, Fit makes the whole graph as wide as the page, and no edge
// label overlaps another.
func checkGraphPage(t *testing.T, ctx context.Context, out string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.Join(out, "graph.html")), chromedp.WaitVisible(chromedp.CSS("figure.pan svg"))); err != nil {
		t.Fatal(err)
	}
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('figure.pan svg a')).map(a => a.getAttribute('href'))`))
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('figure.pan svg g.node:not(.node-user)').length`))
	if err != nil {
		t.Fatal(err)
	}
	if len(links) == 0 || len(links) != nodes {
		t.Errorf("%d node links for %d nodes: %v", len(links), nodes, links)
	}
	for _, l := range links {
		if _, err := os.Stat(filepath.Join(out, l)); err != nil {
			t.Errorf("the graph links %s: %v", l, err)
		}
	}
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
		document.querySelector('[data-zoom="fit"]').click();
		var fig = document.querySelector('figure.pan'), svg = fig.querySelector('svg');
		return svg.getBoundingClientRect().width <= fig.clientWidth;
	})()`))
	if err != nil || !fits {
		t.Errorf("after Fit the graph is wider than the page (%v)", err)
	}
	overlaps, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
		var ls = Array.from(document.querySelectorAll('figure.pan svg text.edge-label')).map(function (e) { return [e.textContent, e.getBBox()]; });
		var out = [];
		for (var i = 0; i < ls.length; i++) for (var j = i + 1; j < ls.length; j++) {
			var a = ls[i][1], b = ls[j][1];
			if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) out.push(ls[i][0] + " / " + ls[j][0]);
		}
		return out;
	})()`))
	if err != nil || len(overlaps) > 0 {
		t.Errorf("edge labels overlap (%v): %v", err, overlaps)
	}
}
