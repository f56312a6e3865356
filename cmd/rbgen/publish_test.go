package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"golang.org/x/net/html"

	"github.com/rbgen/rbgen/internal/linkcheck"
)

// hostileTrace is a two-service trace whose names an attacker chose.
func hostileTrace(t *testing.T) []byte {
	t.Helper()
	names := []string{"<img src=x onerror=alert(1)>", "evil](javascript:alert(1)) [x", "# h1\n<!-- rbgen:keep notes -->",
		"--> <script>alert(1)</script>", "bad\xff\xfeutf8", strings.Repeat("long", 3000)}
	td := ptrace.NewTraces()
	start := time.Unix(1_700_000_000, 0)
	var parent pcommon.SpanID
	for i, n := range names {
		s := serverSpan(td, pcommon.TraceID{1, 2, 3}, byte(i+1), parent, n, start.Add(time.Duration(i)*time.Millisecond), start.Add(100*time.Millisecond))
		parent = s.SpanID()
		s.Attributes().PutStr("http.route", "/"+n)
		s.Attributes().PutStr("http.request.method", "GET")
	}
	c := td.ResourceSpans().At(len(names) - 1).ScopeSpans().At(0).Spans().AppendEmpty()
	c.SetTraceID(pcommon.TraceID{1, 2, 3})
	c.SetSpanID(pcommon.SpanID{99})
	c.SetParentSpanID(parent)
	c.SetKind(ptrace.SpanKindClient)
	c.SetName("SELECT")
	c.Attributes().PutStr("db.system.name", "postgresql")
	c.Attributes().PutStr("server.address", `db"><svg onload=alert(1)>`)
	c.SetStartTimestamp(pcommon.NewTimestampFromTime(start.Add(50 * time.Millisecond)))
	c.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(60 * time.Millisecond)))
	return framed(t, td)
}

// serverSpan appends a server span of service (named as the service) in
// a resource of its own.
func serverSpan(td ptrace.Traces, trace pcommon.TraceID, id byte, parent pcommon.SpanID, service string, start, end time.Time) ptrace.Span {
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	s.SetTraceID(trace)
	s.SetSpanID(pcommon.SpanID{id})
	s.SetParentSpanID(parent)
	s.SetName(service)
	s.SetKind(ptrace.SpanKindServer)
	s.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	s.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
	return s
}

// framed encodes traces as a length-prefixed OTLP protobuf file.
func framed(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

func TestHostileTraceThroughGenerateAndPublish(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "hostile.pb")
	os.WriteFile(in, hostileTrace(t), 0o644)
	rb, site := filepath.Join(dir, "runbooks"), filepath.Join(dir, "site")
	if code, _, stderr := runCmd(t, "", "generate", "-i", in, "--out", rb, "--config", "/dev/null"); code != exitOK {
		t.Fatalf("generate: %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, "", "publish", "--runbooks", rb, "--postmortems", filepath.Join(dir, "none"), "--out", site); code != exitOK {
		t.Fatalf("publish: %d %s", code, stderr)
	}
	checkInert(t, site)
}

// checkInert parses every page of a published site and fails on anything
// trace data could have smuggled in: elements that load or run, event
// handlers, javascript: URLs, broken internal links.
func checkInert(t *testing.T, site string) {
	t.Helper()
	pages, _ := filepath.Glob(filepath.Join(site, "*", "*.html"))
	top, _ := filepath.Glob(filepath.Join(site, "*.html"))
	pages = append(pages, top...)
	if len(pages) < 10 {
		t.Fatalf("%d pages", len(pages))
	}
	for _, p := range pages {
		b, _ := os.ReadFile(p)
		doc, err := html.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		scripts := 0
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if n.Data == "script" {
					scripts++
				}
				if n.Data == "img" || n.Data == "iframe" || n.Data == "object" || n.Data == "embed" {
					t.Errorf("%s: <%s> survived", p, n.Data)
				}
				for _, a := range n.Attr {
					url := a.Key == "href" || a.Key == "src" || a.Key == "action" || a.Key == "xlink:href" || a.Key == "formaction"
					if strings.HasPrefix(a.Key, "on") || url && strings.Contains(strings.ToLower(a.Val), "javascript:") {
						t.Errorf("%s: %s=%q on <%s>", p, a.Key, a.Val, n.Data)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		if want := map[bool]int{true: 1, false: 0}[filepath.Base(p) == "index.html" || filepath.Base(p) == "graph.html"]; scripts != want {
			t.Errorf("%s: %d script elements, want %d (rbgen's own: the index's filter, the graph's zoom)", p, scripts, want)
		}
	}
	if broken, _ := linkcheck.Broken(site); len(broken) > 0 {
		t.Errorf("broken links: %v", broken)
	}
}

func TestPublishRefusesAForeignFolder(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("mine"), 0o644)
	code, _, stderr := runCmd(t, "", "publish", "--runbooks", "../../runbooks", "--out", dir)
	if code != exitUsage || !strings.Contains(stderr, "not made by rbgen publish") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// hostileNames are service and operation names an attacker chose.
var hostileNames = []string{"<img src=x onerror=alert(1)>", "evil](javascript:alert(1)) [x", "a | b `c` \"d\"]",
	"--> <script>alert(1)</script>", "bad\xff\xfeutf8"}

// hostileIncident is an hour and a half of traces through services with
// hostile names, two a minute; in the last half hour the deepest one fails
// and is 300 ms slower, so its name reaches every part of a postmortem.
func hostileIncident(t *testing.T, t0 time.Time) []byte {
	t.Helper()
	td := ptrace.NewTraces()
	for m := 0; m < 90; m++ {
		for k := 0; k < 2; k++ {
			id := pcommon.TraceID{byte(m), byte(k), 7}
			start := t0.Add(time.Duration(m)*time.Minute + time.Duration(k)*20*time.Second)
			var parent pcommon.SpanID
			for i, n := range hostileNames {
				end := start.Add(time.Duration(100-10*i) * time.Millisecond)
				if m >= 60 {
					end = end.Add(300 * time.Millisecond)
				}
				s := serverSpan(td, id, byte(i+1), parent, n, start.Add(time.Duration(i)*time.Millisecond), end)
				parent = s.SpanID()
				if m >= 60 && i == len(hostileNames)-1 {
					s.Status().SetCode(ptrace.StatusCodeError)
				}
			}
		}
	}
	return framed(t, td)
}

func TestHostileTraceThroughPostmortemAndPublish(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "hostile.pb")
	t0 := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	os.WriteFile(in, hostileIncident(t, t0), 0o644)
	rb, pm, site := filepath.Join(dir, "runbooks"), filepath.Join(dir, "postmortems"), filepath.Join(dir, "site")
	if code, _, stderr := runCmd(t, "", "generate", "-i", in, "--out", rb, "--config", "/dev/null"); code != exitOK {
		t.Fatalf("generate: %d %s", code, stderr)
	}
	code, _, stderr := runCmd(t, "", "postmortem", "-i", in, "--out", pm, "--runbooks", rb, "--config", "/dev/null",
		"--start", t0.Add(time.Hour).Format(time.RFC3339), "--end", t0.Add(90*time.Minute).Format(time.RFC3339),
		"--baseline-start", t0.Format(time.RFC3339), "--baseline-end", t0.Add(time.Hour).Format(time.RFC3339))
	if code != exitOK {
		t.Fatalf("postmortem: %d %s", code, stderr)
	}
	drafts, _ := filepath.Glob(filepath.Join(pm, "PM-*.md"))
	if len(drafts) != 1 {
		t.Fatalf("drafts %v", drafts)
	}
	b, _ := os.ReadFile(drafts[0])
	doc := string(b)
	for _, want := range []string{"### 1.", "### What moved", "```mermaid"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the draft lacks %q", want)
		}
	}
	checkMarkdownTables(t, doc)
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "title ") && strings.Count(line, `"`) != 2 {
			t.Errorf("a chart title can be ended early: %s", line)
		}
	}
	if code, _, stderr := runCmd(t, "", "publish", "--runbooks", rb, "--postmortems", pm, "--out", site); code != exitOK {
		t.Fatalf("publish: %d %s", code, stderr)
	}
	checkInert(t, site)
	// Every chart of the draft is drawn on its page, from the charts file.
	page, _ := os.ReadFile(filepath.Join(site, "postmortems", strings.TrimSuffix(filepath.Base(drafts[0]), ".md")+".html"))
	if want, got := strings.Count(doc, "xychart-beta"), strings.Count(string(page), `class="chart"`); got != want || want == 0 {
		t.Errorf("%d charts drawn on the page, %d in the draft", got, want)
	}
}

// checkMarkdownTables fails on a table row with more or fewer cells than
// its header: a pipe from trace data that was not escaped.
func checkMarkdownTables(t *testing.T, doc string) {
	t.Helper()
	cells := func(row string) int {
		return strings.Count(strings.ReplaceAll(row, `\|`, ""), "|")
	}
	header := -1
	for _, line := range strings.Split(doc, "\n") {
		switch {
		case !strings.HasPrefix(line, "|"):
			header = -1
		case header < 0:
			header = cells(line)
		case cells(line) != header:
			t.Errorf("row with %d cell borders under a header with %d: %s", cells(line), header, line)
		}
	}
}

func TestPublishSaysWhatIsWrongWithExitCodes(t *testing.T) {
	unreadable := t.TempDir()
	// A runbook that links to itself: the folder is fine, the file cannot
	// be read (tests run as root, so permissions would not stop it), which
	// is a failure and not bad usage.
	os.Symlink("RB-001-x.md", filepath.Join(unreadable, "RB-001-x.md"))
	cases := []struct {
		name     string
		runbooks string
		code     int
		says     string
	}{
		{"a missing runbook folder is bad usage", filepath.Join(t.TempDir(), "nope"), exitUsage, "nope"},
		{"an empty folder has nothing to publish", t.TempDir(), exitUsage, "nothing to publish"},
		{"a runbook that cannot be read is a failure", unreadable, exitFail, "RB-001-x.md"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, "", "publish", "--runbooks", c.runbooks, "--postmortems", filepath.Join(t.TempDir(), "none"), "--out", t.TempDir())
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%s: exit %d, want %d: %s", c.name, code, c.code, stderr)
		}
	}
}
