package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"golang.org/x/net/html"

	"github.com/rbgen/rbgen/generator"
)

// hostileTrace is a two-service trace whose names an attacker chose.
func hostileTrace(t *testing.T) []byte {
	t.Helper()
	names := []string{"<img src=x onerror=alert(1)>", "evil](javascript:alert(1)) [x", "# h1\n<!-- rbgen:keep notes -->",
		"--> <script>alert(1)</script>", "bad\xff\xfeutf8", strings.Repeat("long", 3000)}
	td := ptrace.NewTraces()
	var parent pcommon.SpanID
	for i, n := range names {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", n)
		s := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID{1, 2, 3})
		id := pcommon.SpanID{byte(i + 1)}
		s.SetSpanID(id)
		s.SetParentSpanID(parent)
		parent = id
		s.SetName(n)
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000 + uint64(i)*1_000_000))
		s.SetEndTimestamp(pcommon.Timestamp(1_700_000_000_100_000_000))
		s.Attributes().PutStr("http.route", "/"+n)
		s.Attributes().PutStr("http.request.method", "GET")
		if i == len(names)-1 {
			c := rs.ScopeSpans().At(0).Spans().AppendEmpty()
			c.SetTraceID(pcommon.TraceID{1, 2, 3})
			c.SetSpanID(pcommon.SpanID{99})
			c.SetParentSpanID(id)
			c.SetKind(ptrace.SpanKindClient)
			c.SetName("SELECT")
			c.Attributes().PutStr("db.system.name", "postgresql")
			c.Attributes().PutStr("server.address", `db"><svg onload=alert(1)>`)
			c.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_050_000_000))
			c.SetEndTimestamp(pcommon.Timestamp(1_700_000_000_060_000_000))
		}
	}
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
		if want := map[bool]int{true: 1, false: 0}[filepath.Base(p) == "index.html"]; scripts != want {
			t.Errorf("%s: %d script elements, want %d (rbgen's own filter on the index only)", p, scripts, want)
		}
	}
	if broken, _ := generator.CheckLinks(site); len(broken) > 0 {
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
