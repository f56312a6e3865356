// Package spantest builds OTLP spans from short descriptions, for the
// tests of the packages that read spans.
package spantest

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/demo"
)

// Span describes one span for a test; times are milliseconds from an epoch.
type Span struct {
	Trace, ID, Parent string // short names, hashed into IDs
	Svc, Name         string
	Kind              ptrace.SpanKind
	Start, Dur        float64
	Attrs             map[string]any
	Status            ptrace.StatusCode
	Message           string      // status message
	Links             [][2]string // trace, span
	// Res are resource attributes besides service.name.
	Res    map[string]any
	Events []Event
}

// Event is a span event, at the span's start.
type Event struct {
	Name  string
	Attrs map[string]any
}

// EpochNS is the time tests count from, in Unix nanoseconds.
const EpochNS = 1_700_000_000_000_000_000

// TraceID makes a trace ID from a short name.
func TraceID(s string) pcommon.TraceID {
	var id pcommon.TraceID
	copy(id[:], padID(s, 16))
	return id
}

// SpanID makes a span ID from a short name; "" is the empty ID.
func SpanID(s string) pcommon.SpanID {
	var id pcommon.SpanID
	if s == "" {
		return id
	}
	copy(id[:], padID(s, 8))
	return id
}

func padID(s string, n int) []byte {
	b := make([]byte, n)
	copy(b, s)
	b[n-1] |= 1 // never all zero
	return b
}

// Batch puts the spans into one ptrace.Traces, one ResourceSpans per span
// so services mix freely.
func Batch(spans ...Span) ptrace.Traces { return BatchFrom(EpochNS, spans...) }

// BatchFrom is Batch with times counted from epochNS, for live traffic.
func BatchFrom(epochNS uint64, spans ...Span) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, s := range spans {
		rs := td.ResourceSpans().AppendEmpty()
		if err := rs.Resource().Attributes().FromRaw(s.Res); err != nil {
			panic(err)
		}
		if s.Svc != "" {
			rs.Resource().Attributes().PutStr("service.name", s.Svc)
		}
		out := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		out.SetTraceID(TraceID(s.Trace))
		out.SetSpanID(SpanID(s.ID))
		out.SetParentSpanID(SpanID(s.Parent))
		out.SetName(s.Name)
		out.SetKind(s.Kind)
		start := epochNS + uint64(s.Start*1e6)
		out.SetStartTimestamp(pcommon.Timestamp(start))
		out.SetEndTimestamp(pcommon.Timestamp(start + uint64(s.Dur*1e6)))
		out.Status().SetCode(s.Status)
		out.Status().SetMessage(s.Message)
		for _, e := range s.Events {
			ev := out.Events().AppendEmpty()
			ev.SetName(e.Name)
			ev.SetTimestamp(pcommon.Timestamp(start))
			if err := ev.Attributes().FromRaw(e.Attrs); err != nil {
				panic(err)
			}
		}
		if err := out.Attributes().FromRaw(s.Attrs); err != nil {
			panic(err)
		}
		for _, l := range s.Links {
			link := out.Links().AppendEmpty()
			link.SetTraceID(TraceID(l[0]))
			link.SetSpanID(SpanID(l[1]))
		}
	}
	return td
}

// DemoDay is one day of the demo shop as OTLP JSON lines, for benchmarks.
func DemoDay(tb testing.TB) []byte {
	tb.Helper()
	var day bytes.Buffer
	if _, err := demo.Write(&day, demo.Config{Days: 1}); err != nil {
		tb.Fatal(err)
	}
	return day.Bytes()
}

// Traces reads OTLP JSON lines into one ptrace.Traces, with pdata.
func Traces(tb testing.TB, lines []byte) ptrace.Traces {
	tb.Helper()
	all := ptrace.NewTraces()
	eachLine(tb, lines, func(td ptrace.Traces) { td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans()) })
	return all
}

// Protobuf turns OTLP JSON lines into the file exporter's protobuf form:
// each line one ExportTraceServiceRequest, after its 4-byte length.
func Protobuf(tb testing.TB, lines []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	eachLine(tb, lines, func(td ptrace.Traces) {
		m, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		if err != nil {
			tb.Fatal(err)
		}
		out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(m))))
		out.Write(m)
	})
	return out.Bytes()
}

// eachLine decodes each OTLP JSON line with pdata.
func eachLine(tb testing.TB, lines []byte, fn func(ptrace.Traces)) {
	tb.Helper()
	for _, line := range bytes.Split(lines, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(line)
		if err != nil {
			tb.Fatal(err)
		}
		fn(td)
	}
}

// CorpusDir holds real traces from real systems, outside the repository,
// as seen from a package directory.
const CorpusDir = "../../shared/corpus"

// CorpusFiles returns every OTLP JSON lines file of the corpus, or skips
// the test when the corpus is absent.
func CorpusFiles(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(CorpusDir); err != nil {
		tb.Skipf("corpus not found at %s: the real-trace tests need ../shared next to the repository", CorpusDir)
	}
	files, _ := filepath.Glob(filepath.Join(CorpusDir, "*", "*.otlp.jsonl*"))
	nested, _ := filepath.Glob(filepath.Join(CorpusDir, "*", "*", "*.otlp.jsonl*"))
	return append(files, nested...)
}
