package tracefile_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gogo/protobuf/jsonpb"
	"github.com/grafana/tempo/pkg/tempopb"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// sample is a two-service trace with a leading-zero trace ID.
func sample(service string, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", service)
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := 0; i < n; i++ {
		s := spans.AppendEmpty()
		s.SetTraceID(pcommon.TraceID{0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, byte(i)})
		s.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, byte(i + 1)})
		s.SetName("GET /")
		s.SetKind(ptrace.SpanKindServer)
		s.SetStartTimestamp(1_700_000_000_000_000_000)
		s.SetEndTimestamp(1_700_000_000_010_000_000)
	}
	return td
}

func otlpJSON(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func otlpProto(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tempoJSON marshals the way Tempo's HTTP API does: jsonpb over Tempo's own
// types, so IDs come out base64.
func tempoJSON(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	var tr tempopb.Trace
	if err := tr.Unmarshal(otlpProto(t, td)); err != nil {
		t.Fatal(err)
	}
	s, err := (&jsonpb.Marshaler{}).MarshalToString(&tr)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func prefixed(msgs ...[]byte) []byte {
	var out []byte
	for _, m := range msgs {
		out = binary.BigEndian.AppendUint32(out, uint32(len(m)))
		out = append(out, m...)
	}
	return out
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// read streams paths and returns the spans seen per service. It decodes
// on one worker: batches from several arrive prepared for the builder,
// without their records (the parallel tests compare whole graphs).
func read(t *testing.T, r *tracefile.Reader) (map[string]int, error) {
	t.Helper()
	got := map[string]int{}
	var err error
	withWorkers(1, func() { err = readInto(r, got) })
	return got, err
}

func readInto(r *tracefile.Reader, got map[string]int) error {
	return r.Stream(context.Background(), func(b topology.Batch) error {
		for _, rr := range b.Records {
			svc, _ := rr.Resource.Get("service.name")
			got[svc.Str] += len(rr.Spans)
		}
		rss := b.Traces.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			svc, _ := rss.At(i).Resource().Attributes().Get("service.name")
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				got[svc.Str()] += sss.At(j).Spans().Len()
			}
		}
		return nil
	})
}

func TestFormats(t *testing.T) {
	a, b := sample("a", 2), sample("b", 3)
	pretty := func(raw []byte) []byte {
		var buf bytes.Buffer
		buf.WriteString("{\n  \"resourceSpans\": ")
		buf.Write(bytes.TrimSuffix(bytes.TrimPrefix(raw, []byte(`{"resourceSpans":`)), []byte("}")))
		buf.WriteString("\n}\n")
		return buf.Bytes()
	}
	cases := []struct {
		name string
		file func(t *testing.T) []byte
		want map[string]int
	}{
		{"OTLP JSON lines, one export per line", func(t *testing.T) []byte {
			return bytes.Join([][]byte{otlpJSON(t, a), otlpJSON(t, b), nil}, []byte("\n"))
		}, map[string]int{"a": 2, "b": 3}},
		{"JSON lines with blank lines and CRLF endings", func(t *testing.T) []byte {
			return bytes.Join([][]byte{otlpJSON(t, a), nil, otlpJSON(t, b)}, []byte("\r\n"))
		}, map[string]int{"a": 2, "b": 3}},
		{"a single pretty-printed OTLP JSON document", func(t *testing.T) []byte {
			return pretty(otlpJSON(t, a))
		}, map[string]int{"a": 2}},
		{"Tempo API v1 with base64 IDs", func(t *testing.T) []byte {
			inner := bytes.TrimPrefix(tempoJSON(t, a), []byte(`{"resourceSpans":`))
			return append([]byte(`{"batches":`), inner...)
		}, map[string]int{"a": 2}},
		{"Tempo API v2 with base64 IDs", func(t *testing.T) []byte {
			return []byte(`{"trace":` + string(tempoJSON(t, a)) + `,"status":"COMPLETE"}`)
		}, map[string]int{"a": 2}},
		{"Tempo API v2 with hex IDs and enum names", func(t *testing.T) []byte {
			body := strings.Replace(string(otlpJSON(t, b)), `"kind":2`, `"kind":"SPAN_KIND_SERVER"`, -1)
			return []byte(`{"trace":` + body + `}`)
		}, map[string]int{"b": 3}},
		{"Tempo's answer for a trace it does not have", func(t *testing.T) []byte {
			return []byte(`{"trace":null}`)
		}, map[string]int{}},
		{"OTLP protobuf, length-prefixed like the file exporter", func(t *testing.T) []byte {
			return prefixed(otlpProto(t, a), otlpProto(t, b))
		}, map[string]int{"a": 2, "b": 3}},
		{"a bare OTLP protobuf ExportTraceServiceRequest", func(t *testing.T) []byte {
			return otlpProto(t, b)
		}, map[string]int{"b": 3}},
		{"gzip-compressed JSON lines", func(t *testing.T) []byte {
			return gz(t, append(otlpJSON(t, a), '\n'))
		}, map[string]int{"a": 2}},
		{"gzip-compressed protobuf", func(t *testing.T) []byte {
			return gz(t, prefixed(otlpProto(t, b)))
		}, map[string]int{"b": 3}},
		{"an empty file", func(t *testing.T) []byte { return nil }, map[string]int{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "in.data", c.file(t))
			got, err := read(t, &tracefile.Reader{Paths: []string{p}})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestTempoBase64IDsDecodeToTheSameIDs(t *testing.T) {
	want := sample("a", 1)
	got, err := tracefile.DecodeJSON([]byte(`{"trace":` + string(tempoJSON(t, want)) + `}`))
	if err != nil {
		t.Fatal(err)
	}
	w := want.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	g := got.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	if g.TraceID() != w.TraceID() || g.SpanID() != w.SpanID() || g.Kind() != w.Kind() {
		t.Errorf("got %v/%v/%v, want %v/%v/%v", g.TraceID(), g.SpanID(), g.Kind(), w.TraceID(), w.SpanID(), w.Kind())
	}
}

func TestBadInput(t *testing.T) {
	good := func(t *testing.T) []byte { return otlpJSON(t, sample("a", 1)) }
	cases := []struct {
		name    string
		file    func(t *testing.T) []byte
		wantErr string // substring; the file name is always checked
		line    int
	}{
		{"a malformed line is named by number", func(t *testing.T) []byte {
			return bytes.Join([][]byte{good(t), good(t), []byte(`{"resourceSpans":[{`), good(t)}, []byte("\n"))
		}, "invalid", 3},
		{"JSON that is not traces says what it expected", func(t *testing.T) []byte {
			return bytes.Join([][]byte{good(t), []byte(`{"metrics":[]}`)}, []byte("\n"))
		}, "expected a resourceSpans, batches or trace key", 2},
		{"bad IDs are reported", func(t *testing.T) []byte {
			return []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`)
		}, "invalid OTLP JSON", 1},
		{"a truncated JSON document names its last line", func(t *testing.T) []byte {
			return []byte("{\n  \"resourceSpans\": [\n")
		}, "invalid JSON", 3},
		{"a truncated gzip file says so", func(t *testing.T) []byte {
			z := gz(t, bytes.Repeat(append(good(t), '\n'), 50))
			return z[:len(z)/2]
		}, "truncated", 0},
		{"garbage is recognised as neither JSON nor protobuf", func(t *testing.T) []byte {
			return []byte("hello, this is not a trace file\n")
		}, "not OTLP JSON or protobuf", 0},
		{"a truncated protobuf stream names the offset", func(t *testing.T) []byte {
			m := otlpProto(t, sample("a", 2))
			p := prefixed(m, m)
			return p[:len(p)-3]
		}, "truncated", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "bad.jsonl", c.file(t))
			_, err := read(t, &tracefile.Reader{Paths: []string{p}})
			var ie *tracefile.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if ie.File != p || !strings.Contains(err.Error(), c.wantErr) || (c.line > 0 && ie.Line != c.line) {
				t.Errorf("err = %q (line %d), want %q at line %d of %s", err, ie.Line, c.wantErr, c.line, p)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestSkipBadCountsAndContinues(t *testing.T) {
	good := otlpJSON(t, sample("a", 1))
	p := write(t, t.TempDir(), "mixed.jsonl", bytes.Join([][]byte{good, []byte("{oops"), good, []byte(`{"x":1}`), good}, []byte("\n")))
	r := &tracefile.Reader{Paths: []string{p}, SkipBad: true}
	got, err := read(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] != 3 || r.Skipped != 2 {
		t.Errorf("read %v, skipped %d; want 3 spans and 2 skipped", got, r.Skipped)
	}
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	line := append(otlpJSON(t, sample("a", 1)), '\n')
	write(t, dir, "day1/x.otlp.jsonl", line)
	write(t, dir, "day2/y.json.gz", gz(t, line))
	write(t, dir, "day2/notes.txt", []byte("not traces"))
	t.Run("a directory is read recursively, skipping files of other kinds", func(t *testing.T) {
		got, err := read(t, &tracefile.Reader{Paths: []string{dir}})
		if err != nil || got["a"] != 2 {
			t.Errorf("got %v, %v", got, err)
		}
	})
	t.Run("a glob is expanded", func(t *testing.T) {
		got, err := read(t, &tracefile.Reader{Paths: []string{filepath.Join(dir, "day*", "*.json*")}})
		if err != nil || got["a"] != 2 {
			t.Errorf("got %v, %v", got, err)
		}
	})
	t.Run("- reads standard input", func(t *testing.T) {
		got, err := read(t, &tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(gz(t, line))})
		if err != nil || got["a"] != 1 {
			t.Errorf("got %v, %v", got, err)
		}
	})
	write(t, dir, "docs/README.md", []byte("# not traces"))
	for _, bad := range []string{filepath.Join(dir, "missing.jsonl"), filepath.Join(dir, "nope*.jsonl"), filepath.Join(dir, "docs")} {
		t.Run("a path that names no trace file is an error: "+filepath.Base(bad), func(t *testing.T) {
			_, err := read(t, &tracefile.Reader{Paths: []string{bad}})
			var ie *tracefile.InputError
			if !errors.As(err, &ie) {
				t.Errorf("err = %v, want InputError", err)
			}
		})
	}
}

func TestStreamStopsWhenTheCallbackFails(t *testing.T) {
	line := append(otlpJSON(t, sample("a", 1)), '\n')
	p := write(t, t.TempDir(), "x.jsonl", bytes.Repeat(line, 10))
	stop := errors.New("stop")
	n := 0
	err := (&tracefile.Reader{Paths: []string{p}}).Stream(context.Background(), func(topology.Batch) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d batches", err, n)
	}
}
