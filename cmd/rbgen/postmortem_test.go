package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/document"
	"github.com/rbgen/rbgen/generator"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var incidentStart = time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)

// incidentFile writes two days of the demo shop with checkout failing on
// the second afternoon.
func incidentFile(t *testing.T) string {
	return faultFile(t, demo.Fault{ErrorRate: 1})
}

// faultFile writes two days of the demo shop with f on checkout from
// 14:00 to 14:30 on the second afternoon.
func faultFile(t *testing.T, f demo.Fault) string {
	t.Helper()
	f.Node, f.Start, f.End = "checkout", incidentStart, incidentStart.Add(30*time.Minute)
	var buf bytes.Buffer
	_, err := demo.Write(&buf, demo.Config{Days: 2, PeakPerHour: 600, Faults: []demo.Fault{f}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "incident.jsonl")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func TestPostmortem(t *testing.T) {
	in := incidentFile(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "postmortems")
	// The runbooks' registry sits next to the drafts, as in a docs repo, so
	// the links in the golden file do not depend on where the test runs.
	reg, err := os.ReadFile(filepath.Join("../../runbooks", generator.RegistryFile))
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "runbooks"), 0o755)
	os.WriteFile(filepath.Join(dir, "runbooks", generator.RegistryFile), reg, 0o644)
	args := []string{"postmortem", "-i", in, "--start", "2026-11-10T14:00:00Z", "--end", "2026-11-10T14:30:00Z",
		"--out", out, "--runbooks", filepath.Join(dir, "runbooks"), "--config", "../../rbgen.yaml"}
	code, _, stderr := runCmd(t, "", args...)
	if code != exitOK || !strings.Contains(stderr, "first suspect checkout") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join(out, "PM-20261110-checkout-errors.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	golden(t, "testdata/PM-20261110-checkout-errors.md.golden", doc)
	if fm, _, err := document.Read(doc); err != nil || fm.Status != "draft" || len(fm.Suspects) == 0 || fm.Suspects[0] != "checkout" {
		t.Errorf("front matter: %+v (%v), want a draft with checkout first", fm, err)
	}
	for _, want := range []string{"## Summary", "## Impact", "## Root cause",
		"## Trigger", "## Detection", "## Resolution", "## Timeline", "```mermaid", "## Related runbooks",
		"RB-009-checkout-high-error-rate.md", "## Action items", "## Lessons learned", "payments-oncall"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the draft lacks %q", want)
		}
	}
	index, _ := os.ReadFile(filepath.Join(out, "README.md"))
	if !strings.Contains(string(index), "(PM-20261110-checkout-errors.md)") {
		t.Errorf("the index does not list the draft:\n%s", index)
	}

	// People's words survive regeneration; the rest is checked.
	edited := strings.Replace(doc, "<!-- rbgen:keep resolution -->\n", "<!-- rbgen:keep resolution -->\nRolled back checkout v1.4.3 at 14:29.\n", 1)
	os.WriteFile(path, []byte(edited), 0o644)
	if code, _, stderr := runCmd(t, "", args...); code != exitOK {
		t.Fatalf("regenerate: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "Rolled back checkout v1.4.3") {
		t.Error("the resolution written by a person was lost")
	}
	if code, stdout, _ := runCmd(t, "", append(args, "--check")...); code != exitOK || stdout != "" {
		t.Errorf("--check after regenerating: exit %d, %q", code, stdout)
	}
}

func TestPostmortemBadWindows(t *testing.T) {
	in := incidentFile(t)
	out := filepath.Join(t.TempDir(), "pm")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"end before start", []string{"--start", "2026-11-10T15:00:00Z", "--end", "2026-11-10T14:00:00Z"}, "is not after --start"},
		{"a window with no traces", []string{"--start", "2026-12-01T14:00:00Z", "--end", "2026-12-01T15:00:00Z"}, "window 2026-12-01 14:00–2026-12-01 15:00: no traces"},
		{"an empty baseline", []string{"--start", "2026-11-09T00:30:00Z", "--end", "2026-11-09T01:00:00Z",
			"--baseline-start", "2026-10-01T00:00:00Z", "--baseline-end", "2026-10-02T00:00:00Z"}, "baseline 2026-10-01 00:00–2026-10-02 00:00: no traces"},
		{"a time that is not a time", []string{"--start", "yesterday", "--end", "-1h"}, "want RFC 3339"},
		{"no window at all", nil, "--start and --end"},
		{"a window of centuries that would overflow every minute into one",
			[]string{"--start", "1700-01-01T00:00:00Z", "--end", "2300-01-01T00:00:00Z"}, "outside 1970 to 2200"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "", append([]string{"postmortem", "-i", in, "--out", out, "--config", "/dev/null"}, c.args...)...)
			if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") > 2 {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a failed run wrote files")
			}
		})
	}
}

// A service that returns at once, successfully, without its work or calls:
// no status and no delay show it, only what its requests do.
func TestPostmortemOfAnEarlyReturn(t *testing.T) {
	in := faultFile(t, demo.Fault{EarlyReturn: 0.7})
	out := filepath.Join(t.TempDir(), "postmortems")
	code, _, stderr := runCmd(t, "", "postmortem", "-i", in, "--start", "2026-11-10T14:00:00Z", "--end", "2026-11-10T14:30:00Z", "--out", out)
	if code != exitOK || !strings.Contains(stderr, "first suspect checkout") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "PM-20261110-checkout-behaviour.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"checkout requests going wrong", "requests ended at once, having done nothing",
		"**Prevent**: read checkout's logs for the example traces", "None in `runbooks` for these suspects"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the draft lacks %q", want)
		}
	}
}

// golden compares got with the file at path, or rewrites it under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (go test -update rewrites it); got:\n%s", path, got)
	}
}

func TestPostmortemRefusesARegistryThatDoesNotParse(t *testing.T) {
	in := incidentFile(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "runbooks"), 0o755)
	os.WriteFile(filepath.Join(dir, "runbooks", generator.RegistryFile), []byte("{not json"), 0o644)
	out := filepath.Join(dir, "postmortems")
	code, _, stderr := runCmd(t, "", "postmortem", "-i", in, "--start", "2026-11-10T14:00:00Z", "--end", "2026-11-10T14:30:00Z",
		"--out", out, "--runbooks", filepath.Join(dir, "runbooks"))
	if code != exitUsage || !strings.Contains(stderr, generator.RegistryFile) {
		t.Errorf("exit %d, want %d naming the registry: %s", code, exitUsage, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a draft was written: %v", err)
	}
}

// TestPostmortemNamesTheAlertsThatStayedSilent slows checkout by 150ms for
// half an hour, under the worked example's latency threshold: Detection
// runs the worked example's alerts (its graph snapshot is in ../../runbooks),
// says checkout's stayed silent, and the draft gets a detection action.
func TestPostmortemNamesTheAlertsThatStayedSilent(t *testing.T) {
	in := faultFile(t, demo.Fault{Latency: 150 * time.Millisecond})
	b := draftOf(t, in, "2026-11-10T14:00:00Z", "2026-11-10T14:30:00Z", "--runbooks", "../../runbooks", "--config", "../../rbgen.yaml")
	for _, want := range []string{"as generate wrote them", "`checkout`'s `CheckoutHighErrorRate` (RB-009) and `CheckoutHighLatency` (RB-010)",
		"| **Detect**: checkout's alerts (RB-009, RB-010) stayed silent"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the draft lacks %q", want)
		}
	}
}

// TestPostmortemFindsTheTrigger drafts two incidents of the demo shop
// against the worked example's runbooks: a canary of checkout whose
// version throws, and a fault on one of checkout's four pods. Each draft
// names what set it off, in its front matter and its Trigger section, and
// says at which minute the deployed alert fires.
func TestPostmortemFindsTheTrigger(t *testing.T) {
	for _, tc := range []struct {
		name  string
		end   time.Time
		cfg   demo.Config
		want  document.Trigger
		words []string
	}{
		{"a canary release whose version fails", incidentStart.Add(time.Hour),
			demo.Config{Canaries: []demo.Canary{{Service: "checkout", Version: "1.4.3", Start: incidentStart, End: incidentStart.Add(time.Hour), Share: 0.6, ErrorRate: 1,
				Exception: "PaymentDeclinedError", Message: "card declined by issuer 4711"}}},
			document.Trigger{Attribute: "service.version", Value: "1.4.3", Service: "checkout"},
			[]string{"**Probable trigger: a deploy: checkout `1.4.3`, first seen at 14:0", "ran `service.version` `1.4.3` (never seen in the baseline",
				"checkout `1.4.3` first seen: a deploy", "| **Mitigate**: roll checkout back from `1.4.3`", "| **Prevent**: add the test that would have caught checkout `1.4.3`",
				": checkout 1.4.3 first seen.", "CheckoutHighErrorRate` fires |"}},
		{"a fault on one of four pods", incidentStart.Add(90 * time.Minute),
			demo.Config{Faults: []demo.Fault{{Node: "checkout", Start: incidentStart, End: incidentStart.Add(90 * time.Minute), ErrorRate: 1, OnePod: true}}},
			document.Trigger{Attribute: "k8s.pod.name", Value: "checkout-7c9f8d6b5-b4d9s", Service: "checkout"},
			[]string{"**Probable trigger: one instance: `k8s.pod.name` `checkout-7c9f8d6b5-b4d9s` of checkout",
				"| **Mitigate**: take `checkout-7c9f8d6b5-b4d9s` out of rotation", "readiness and health checks"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			end := tc.end
			cfg := tc.cfg
			cfg.Days, cfg.PeakPerHour = 2, 600
			var buf bytes.Buffer
			if _, err := demo.Write(&buf, cfg); err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(t.TempDir(), "incident.jsonl")
			os.WriteFile(in, buf.Bytes(), 0o644)
			b := draftOf(t, in, incidentStart.Format(time.RFC3339), end.Format(time.RFC3339), "--runbooks", "../../runbooks", "--config", "../../rbgen.yaml")
			fm, _, err := document.Read(string(b))
			if err != nil {
				t.Fatal(err)
			}
			if fm.Trigger == nil || *fm.Trigger != tc.want {
				t.Errorf("front matter trigger %+v, want %+v", fm.Trigger, tc.want)
			}
			trig := section(string(b), "## Trigger")
			for _, w := range tc.words {
				if !strings.Contains(string(b), w) {
					t.Errorf("the draft lacks %q", w)
				}
			}
			if !strings.Contains(trig, "Probable trigger") {
				t.Errorf("the Trigger section does not name it:\n%s", trig)
			}
			det := section(string(b), "## Detection")
			m := regexp.MustCompile(`fires at (\d\d:\d\d) UTC`).FindStringSubmatch(det)
			if m == nil || m[1] < incidentStart.Format("15:04") || m[1] >= end.Format("15:04") {
				t.Errorf("Detection gives no firing minute inside the window (%s to %s):\n%s", incidentStart.Format("15:04"), end.Format("15:04"), det)
			}
			if t.Failed() {
				t.Log(string(b))
			}
		})
	}
}

// section is a document's text from heading to the next "## ".
func section(doc, heading string) string {
	i := strings.Index(doc, heading+"\n")
	if i < 0 {
		return ""
	}
	rest := doc[i+len(heading)+1:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestALongWindowSummarisesTheIncidentTheTracesDate asks for four hours
// around a half-hour fault: the Summary counts the half hour, and names
// the window asked for.
func TestALongWindowSummarisesTheIncidentTheTracesDate(t *testing.T) {
	in := faultFile(t, demo.Fault{ErrorRate: 1})
	b := draftOf(t, in, "2026-11-10T12:00:00Z", "2026-11-10T16:00:00Z")
	sum := section(string(b), "## Summary")
	if !regexp.MustCompile(`From 14:0\d to 14:3\d UTC on 2026-11-10 \(the traces date the incident inside the requested 12:00–16:00\)`).MatchString(sum) {
		t.Errorf("the Summary:\n%s", sum)
	}
	// Impact counts the same half hour, and gives the window's totals too.
	imp := section(string(b), "## Impact")
	if !regexp.MustCompile(`over 3\d min, 14:0\d–14:3\d UTC, the incident as the traces date it \(the requested window held \d+ requests, \d+ failed\)`).MatchString(imp) {
		t.Errorf("the Impact:\n%s", imp)
	}
	m := regexp.MustCompile("\\| `frontend: POST /checkout` \\| (\\d+) \\| (\\d+) \\(").FindStringSubmatch(imp)
	if m == nil || m[1] == "0" || m[2] == "0" {
		t.Errorf("POST /checkout's row: %v", m)
	} else if reqs, _ := strconv.Atoi(m[1]); reqs > 120 {
		t.Errorf("POST /checkout: %d requests counted, more than half an hour's", reqs)
	}
}

// TestAnEarlierIncidentIsLeftOutOfTheBaseline puts a first checkout
// outage in the baseline, a day before the one drafted: the baseline
// leaves its hour out and says so, and checkout's baseline failures stay
// what they usually are.
func TestAnEarlierIncidentIsLeftOutOfTheBaseline(t *testing.T) {
	earlier := incidentStart.Add(-24 * time.Hour)
	var buf bytes.Buffer
	_, err := demo.Write(&buf, demo.Config{Days: 2, PeakPerHour: 600, Faults: []demo.Fault{
		{Node: "checkout", Start: earlier, End: earlier.Add(30 * time.Minute), ErrorRate: 1},
		{Node: "checkout", Start: incidentStart, End: incidentStart.Add(30 * time.Minute), ErrorRate: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "incident.jsonl")
	os.WriteFile(in, buf.Bytes(), 0o644)
	b := draftOf(t, in, "2026-11-10T14:00:00Z", "2026-11-10T14:30:00Z")
	if !strings.Contains(string(b), "; 1 hour left out, in which the entry points were themselves failing or slow: 2026-11-09 14:00–15:00 (entry points failing") {
		t.Errorf("the draft does not say the earlier incident was left out:\n%s", string(b)[:min(len(b), 1500)])
	}
	m := regexp.MustCompile("\\| `frontend: POST /checkout` \\|[^\\n]*\\| ([0-9.]+)% \\|").FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("no impact row for POST /checkout")
	}
	if v, _ := strconv.ParseFloat(m[1], 64); v > 2 {
		t.Errorf("POST /checkout's baseline failures %s%%: the earlier outage lifted them", m[1])
	}
}

// draftOf drafts the postmortem of in from start to end (extra flags
// after), requires success and exactly one draft, and returns it.
func draftOf(t *testing.T, in, start, end string, extra ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "postmortems")
	args := append([]string{"postmortem", "-i", in, "--start", start, "--end", end, "--out", out}, extra...)
	code, _, stderr := runCmd(t, "", args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "PM-*.md"))
	if len(files) != 1 {
		t.Fatalf("drafts: %v", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}
