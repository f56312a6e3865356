package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/app"
)

func TestGenerateFlagErrors(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badConfig, []byte("thresholds:\n  error_flor: 0.02\n"), 0o644)
	badTemplates := filepath.Join(dir, "tmpl")
	os.Mkdir(badTemplates, 0o755)
	os.WriteFile(filepath.Join(badTemplates, "runbook.md.tmpl"), []byte("{{ if }}"), 0o644)
	badDialect := filepath.Join(dir, "dialect.yaml")
	os.WriteFile(badDialect, []byte("alerts:\n  metrics: zipkin\n"), 0o644)
	badObjective := filepath.Join(dir, "slo.yaml")
	os.WriteFile(badObjective, []byte("objectives:\n  checkout:\n    availability: 100\n"), 0o644)
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"a config typo names the key and line", []string{"generate", "--demo", "--config", badConfig}, "bad.yaml:2: thresholds.error_flor: unknown key"},
		{"a missing named config is an error", []string{"generate", "--demo", "--config", filepath.Join(dir, "nope.yaml")}, "nope.yaml"},
		{"a broken template names file and line", []string{"generate", "--demo", "--templates", badTemplates}, "runbook.md.tmpl:1"},
		{"an unknown metrics dialect names the key and line", []string{"generate", "--demo", "--config", badDialect}, "dialect.yaml:2: alerts.metrics: unknown metrics dialect"},
		{"an objective of 100% names the key and line", []string{"generate", "--demo", "--config", badObjective}, "slo.yaml:3: objectives.checkout.availability"},
		{"an unknown rules format is refused", []string{"generate", "--demo", "--alerts-format", "json"}, "--alerts-format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", append(c.args, "--out", filepath.Join(dir, "rb"))...)
			if code != exitUsage || !strings.Contains(stderr, c.wantErr) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", code, stderr, c.wantErr)
			}
			if _, err := os.Stat(filepath.Join(dir, "rb")); err == nil {
				t.Error("files were written despite the error")
			}
		})
	}
}

func TestGenerateCheckAndEdits(t *testing.T) {
	out := filepath.Join(t.TempDir(), "runbooks")
	gen := func(extra ...string) (int, string, string) {
		return runCmd(t, "", append([]string{"generate", "--demo", "--config", "../../rbgen.yaml", "--out", out}, extra...)...)
	}
	if code, _, stderr := gen(); code != exitOK || !strings.Contains(stderr, "new") {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := gen("--check"); code != exitOK || stdout != "" {
		t.Errorf("--check after generating: exit %d, %q", code, stdout)
	}
	path := filepath.Join(out, "RB-009-checkout-high-error-rate.md")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "## Verification", "## Verification\n\nHand edit.", 1)), 0o644)
	code, stdout, _ := gen("--check")
	if code != exitFail || !strings.Contains(stdout, path) {
		t.Errorf("--check with a hand edit: exit %d, %q", code, stdout)
	}
	code, _, stderr := gen()
	if code != exitEdited || !strings.Contains(stderr, path) || !strings.Contains(stderr, "--force") {
		t.Errorf("generate over a hand edit: exit %d, %q", code, stderr)
	}
	if code, _, _ := gen("--force"); code != exitOK {
		t.Errorf("--force: exit %d", code)
	}
	os.Remove(filepath.Join(out, "RB-001-ad-high-error-rate.md"))
	code, _, stderr = runCmd(t, "", "--update-toc", "--out", out)
	index, _ := os.ReadFile(filepath.Join(out, "README.md"))
	if code != exitOK || strings.Contains(string(index), "RB-001") {
		t.Errorf("--update-toc: exit %d (%s); index still lists the deleted runbook", code, stderr)
	}
}

// The repository's runbooks/ are the worked example: they must be exactly
// what rbgen generates from the bundled demo week today.
func TestWorkedExampleIsCurrent(t *testing.T) {
	code, stdout, stderr := runCmd(t, "", "generate", "--demo", "--config", "../../rbgen.yaml", "--out", "../../runbooks", "--check")
	if code != exitOK {
		t.Errorf("runbooks/ is stale (run: go run ./cmd/rbgen generate --demo --out runbooks/):\n%s%s", stdout, stderr)
	}
}

// Two generate runs on one folder at once, reading the same week for the
// same time but keeping different nodes: without the lock both number
// their first runbook RB-001 and one registry loses the other's files.
func TestTwoGenerateRunsOnOneFolderTakeTurns(t *testing.T) {
	// A loaded CI machine may take longer than the default wait for one run.
	wait := app.LockWait
	app.LockWait = time.Minute
	defer func() { app.LockWait = wait }()
	noAd := filepath.Join(t.TempDir(), "no-ad.yaml")
	os.WriteFile(noAd, []byte("ignore: [ad]\n"), 0o644)
	for trial := 0; trial < 3; trial++ {
		out := t.TempDir()
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for i, args := range [][]string{{"generate", "--demo", "--out", out, "--config", "/dev/null"},
			{"generate", "--demo", "--out", out, "--config", noAd}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = runCmd(t, "", args...)
			}()
		}
		wg.Wait()
		if codes[0] != exitOK || codes[1] != exitOK {
			t.Fatalf("trial %d: exit codes %v", trial, codes)
		}
		reg, err := os.ReadFile(filepath.Join(out, generator.RegistryFile))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(out, "RB-*.md"))
		nums := map[string]string{}
		for _, f := range files {
			num := filepath.Base(f)[:6]
			if prev, dup := nums[num]; dup {
				t.Errorf("trial %d: %s and %s share %s", trial, prev, filepath.Base(f), num)
			}
			nums[num] = filepath.Base(f)
			if !strings.Contains(string(reg), `"`+filepath.Base(f)+`"`) {
				t.Errorf("trial %d: %s is not in the registry", trial, filepath.Base(f))
			}
		}
	}
}

func TestAFolderHeldByAnotherRunIsExitOneAndNothingWritten(t *testing.T) {
	out := t.TempDir()
	unlock, err := app.Lock(out, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	wait := app.LockWait
	app.LockWait = 100 * time.Millisecond
	defer func() { app.LockWait = wait }()
	code, _, stderr := runCmd(t, "", "generate", "--demo", "--out", out)
	if code != exitFail || !strings.Contains(stderr, "another rbgen run is writing to this folder") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(out, "RB-*")); len(files) > 0 {
		t.Errorf("wrote %v", files)
	}
}

// TestGenerateWritesOneRulesFile checks where the rules go and in which
// shape: in --out by default, at --alerts when given, as a PrometheusRule
// on request, and warns when alerts can only carry relative links.
func TestGenerateWritesOneRulesFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rb")
	code, _, stderr := runCmd(t, "", "generate", "--demo", "--config", "../../rbgen.yaml", "--out", out)
	if code != exitOK || strings.Contains(stderr, "relative runbook links") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, generator.AlertsFile))
	if err != nil || !strings.HasPrefix(string(b), "groups:\n  - name: rbgen-ad\n") ||
		!strings.Contains(string(b), "runbook_url: https://ops.example.com/runbooks/RB-009-checkout-high-error-rate.html") {
		t.Fatalf("rules file: %v\n%.300s", err, b)
	}
	if strings.Count(string(b), "- alert: CheckoutHighErrorRate\n") != 1 {
		t.Error("checkout's error alert is not in the file exactly once")
	}

	elsewhere := filepath.Join(dir, "k8s", "rules.yaml")
	os.Mkdir(filepath.Dir(elsewhere), 0o755)
	noConfig := filepath.Join(dir, "empty.yaml")
	os.WriteFile(noConfig, nil, 0o644)
	code, _, stderr = runCmd(t, "", "generate", "--demo", "--config", noConfig, "--out", filepath.Join(dir, "rb2"),
		"--alerts", elsewhere, "--alerts-format", "prometheusrule")
	if code != exitOK || !strings.Contains(stderr, "warning: neither base_url nor alerts.runbook_url") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(elsewhere)
	if !strings.HasPrefix(string(b), "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: rbgen\nspec:\n  groups:\n") {
		t.Errorf("PrometheusRule:\n%.300s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "rb2", generator.AlertsFile)); err == nil {
		t.Error("--alerts elsewhere still wrote the default file")
	}
	wiki := filepath.Join(dir, "wiki.yaml")
	os.WriteFile(wiki, []byte("alerts:\n  runbook_url: \"https://wiki.example/ops/{{ .ID }}\"\n"), 0o644)
	if code, _, stderr := runCmd(t, "", "generate", "--demo", "--config", wiki, "--out", filepath.Join(dir, "rb3")); code != exitOK ||
		strings.Contains(stderr, "relative runbook links") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(filepath.Join(dir, "rb3", generator.AlertsFile))
	if !strings.Contains(string(b), "runbook_url: https://wiki.example/ops/RB-009\n") {
		t.Error("the runbook_url template was not used")
	}
	rb, _ := os.ReadFile(filepath.Join(dir, "rb2", "RB-009-checkout-high-error-rate.md"))
	if !strings.Contains(string(rb), "of `../k8s/rules.yaml`") {
		t.Error("the runbook does not name the rules file where it went")
	}
}

// TestTheSummarySaysWhatChanged runs generate twice on the same traces:
// the first run says it is the first, the second that nothing changed, on
// stderr and in --summary; rbgen diff compares two snapshots the same way.
func TestTheSummarySaysWhatChanged(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rb")
	gen := func(extra ...string) (int, string, string) {
		return runCmd(t, "", append([]string{"generate", "--demo", "--config", "../../rbgen.yaml", "--out", out}, extra...)...)
	}
	if code, _, stderr := gen(); code != exitOK || !strings.Contains(stderr, "rbgen: first run: no earlier snapshot") {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	sum := filepath.Join(dir, "summary.md")
	if code, _, stderr := gen("--summary", sum); code != exitOK || !strings.Contains(stderr, "rbgen: nothing changed since the last run") {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(sum); string(b) != "## What changed in the system\n\nNothing changed since the last run.\n" {
		t.Errorf("summary:\n%s", b)
	}
	snap := filepath.Join(out, generator.GraphFile)
	code, stdout, _ := runCmd(t, "", "diff", snap, snap)
	if code != exitOK || !strings.Contains(stdout, "Nothing changed") {
		t.Errorf("diff of a snapshot with itself: exit %d: %s", code, stdout)
	}
	code, _, stderr := runCmd(t, "", "diff", snap, filepath.Join(dir, "nope.json"))
	if code != exitUsage || !strings.Contains(stderr, "nope.json") {
		t.Errorf("diff with a missing file: exit %d: %s", code, stderr)
	}
}
