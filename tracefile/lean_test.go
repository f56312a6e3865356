package tracefile

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/internal/spantest"
	"github.com/rbgen/rbgen/topology"
)

// corpusLines returns every record of every corpus file, by file name.
func corpusLines(t *testing.T) map[string][][]byte {
	t.Helper()
	out := map[string][][]byte{}
	for _, f := range spantest.CorpusFiles(t) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				out[filepath.Base(f)] = append(out[filepath.Base(f)], append([]byte(nil), line...))
			}
		}
	}
	return out
}

// TestLeanDecodersAgreeWithPdataOnTheCorpus decodes every record of every
// corpus file with pdata and with the lean decoders, as JSON and as the
// protobuf pdata writes of it: the records must be the same, and the lean
// decoders must read nearly all of them (else the speed is not theirs).
func TestLeanDecodersAgreeWithPdataOnTheCorpus(t *testing.T) {
	for name, lines := range corpusLines(t) {
		t.Run(name, func(t *testing.T) {
			var leanJSON, leanProto int
			for i, line := range lines {
				td, err := DecodeJSON(line)
				if err != nil {
					t.Fatalf("line %d: pdata: %v", i+1, err)
				}
				want := topology.RecordsOf(td)
				if got, ok := decodeLeanJSON(line, nil); ok {
					leanJSON++
					if !sameRecords(got, want) {
						t.Fatalf("line %d: the lean JSON decoder reads\n%+v\npdata reads\n%+v", i+1, got, want)
					}
				}
				pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
				if err != nil {
					t.Fatal(err)
				}
				if got, ok := decodeLeanProto(pb, nil); ok {
					leanProto++
					if !sameRecords(got, want) {
						t.Fatalf("line %d: the lean protobuf decoder reads\n%+v\npdata reads\n%+v", i+1, got, want)
					}
				}
			}
			t.Logf("%d records: %d read by the lean JSON decoder, %d by the lean protobuf one", len(lines), leanJSON, leanProto)
			if min := len(lines) * 99 / 100; leanJSON < min || leanProto < min {
				t.Errorf("the lean decoders read %d (JSON) and %d (protobuf) of %d records, want 99%%", leanJSON, leanProto, len(lines))
			}
		})
	}
}

// sameRecords compares records with empty and nil slices alike.
func sameRecords(a, b []topology.ResourceRecords) bool {
	return reflect.DeepEqual(normal(a), normal(b))
}

func normal(rrs []topology.ResourceRecords) []topology.ResourceRecords {
	if len(rrs) == 0 {
		return nil
	}
	out := make([]topology.ResourceRecords, len(rrs))
	for i, rr := range rrs {
		out[i].Resource = attrsOrNil(rr.Resource)
		for _, r := range rr.Spans {
			r.Attrs = attrsOrNil(r.Attrs)
			if len(r.Links) == 0 {
				r.Links = nil
			}
			out[i].Spans = append(out[i].Spans, r)
		}
	}
	return out
}

func attrsOrNil(a topology.Attributes) topology.Attributes {
	if len(a) == 0 {
		return nil
	}
	return a
}

// FuzzLeanJSON holds the lean JSON decoder to pdata: what it reads, pdata
// reads the same; what pdata refuses, it refuses.
func FuzzLeanJSON(f *testing.F) {
	seedLean(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeLeanJSON(data, nil)
		if !ok {
			return
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(data)
		if err != nil {
			t.Fatalf("the lean decoder reads what pdata refuses (%v)", err)
		}
		if want := topology.RecordsOf(td); !sameRecords(got, want) {
			t.Fatalf("the lean decoder reads\n%+v\npdata reads\n%+v", got, want)
		}
	})
}

// FuzzLeanProto is FuzzLeanJSON for protobuf.
func FuzzLeanProto(f *testing.F) {
	for _, s := range leanSeeds {
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(s))
		if err != nil {
			continue
		}
		pb, _ := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
		f.Add(pb)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeLeanProto(data, nil)
		if !ok {
			return
		}
		td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
		if err != nil {
			t.Fatalf("the lean decoder reads what pdata refuses (%v)", err)
		}
		if want := topology.RecordsOf(td); !sameRecords(got, want) {
			t.Fatalf("the lean decoder reads\n%+v\npdata reads\n%+v", got, want)
		}
	})
}

var leanSeeds = []string{
	`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}},{"key":"k8s.pod.ip","value":{"stringValue":"10.0.0.1"}}]},"scopeSpans":[{"scope":{"name":"s","version":"1"},"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","parentSpanId":"","name":"GET /a","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000","attributes":[{"key":"http.route","value":{"stringValue":"/a"}},{"key":"http.response.status_code","value":{"intValue":"503"}},{"key":"ratio","value":{"doubleValue":0.5}},{"key":"ok","value":{"boolValue":false}},{"key":"none","value":{}}],"events":[{"timeUnixNano":"1700000000050000000","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"Timeout\u00e9"}},{"key":"exception.message","value":{"stringValue":"a \"quoted\"\nline"}}]}],"status":{"code":2,"message":"boom"}}]}]}]}`,
	`{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060709","name":"recv","kind":5,"startTimeUnixNano":1,"endTimeUnixNano":2,"links":[{"traceId":"1102030405060708090a0b0c0d0e0f10","spanId":"1102030405060708"}],"flags":256,"droppedAttributesCount":1}]}],"schemaUrl":"x"}]}`,
	`{"resourceSpans":[]}`,
	`{}`,
}

func seedLean(f *testing.F) {
	for _, s := range leanSeeds {
		f.Add([]byte(s))
	}
}
