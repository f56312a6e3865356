package tracefile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

// Each reader must either decode or return an InputError; never panic,
// never hang, never emit a batch the builder chokes on; and the lean
// decoders must give the graph (or the error) that pdata gives.
func fuzzStream(t *testing.T, data []byte) {
	lean, leanErr := fuzzGraph(t, data, false)
	ref, refErr := fuzzGraph(t, data, true)
	if fmt.Sprint(leanErr) != fmt.Sprint(refErr) {
		t.Fatalf("the lean decoders say %v, pdata says %v", leanErr, refErr)
	}
	if !bytes.Equal(lean, ref) {
		t.Fatalf("the lean decoders give the graph\n%s\npdata gives\n%s", lean, ref)
	}
}

func fuzzGraph(t *testing.T, data []byte, reference bool) ([]byte, error) {
	r := &tracefile.Reader{Paths: []string{"-"}, Stdin: bytes.NewReader(data), Reference: reference}
	b := topology.NewBuilder(topology.Options{})
	err := r.Stream(context.Background(), func(batch topology.Batch) error {
		b.Add(batch)
		return nil
	})
	var ie *tracefile.InputError
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("error %v is not an InputError", err)
	}
	g, jerr := json.Marshal(b.Finish())
	if jerr != nil {
		t.Fatal(jerr)
	}
	return g, err
}

func seedJSON(f *testing.F) {
	line := otlpJSONF(f)
	f.Add(line)
	f.Add(append(append(append([]byte{}, line...), '\n'), line...))
	f.Add([]byte(`{"batches":[]}`))
	f.Add([]byte(`{"trace":{"resourceSpans":[]}}`))
	f.Add([]byte("{\n\"resourceSpans\": []\n}"))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AAECAwQFBgcICQoLDA0ODw==","spanId":"AQIDBAUGBwg="}]}]}]}`))
}

func FuzzDecodeJSON(f *testing.F) {
	seedJSON(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = tracefile.DecodeJSON(data)
	})
}

func FuzzJSONStream(f *testing.F) {
	seedJSON(f)
	f.Fuzz(fuzzStream)
}

func FuzzProtoStream(f *testing.F) {
	m := otlpProtoF(f)
	f.Add(m)
	f.Add(prefixed(m, m))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(fuzzStream)
}

func FuzzGzipStream(f *testing.F) {
	f.Add(gzF(f, otlpJSONF(f)))
	f.Add(gzF(f, prefixed(otlpProtoF(f))))
	f.Fuzz(fuzzStream)
}
