package tracefile_test

import (
	"bytes"
	"compress/gzip"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

func otlpJSONF(f *testing.F) []byte {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(sample("a", 2))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func otlpProtoF(f *testing.F) []byte {
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(sample("a", 2))
	if err != nil {
		f.Fatal(err)
	}
	return b
}

func gzF(f *testing.F, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}
