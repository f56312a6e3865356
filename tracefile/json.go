package tracefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gogo/protobuf/jsonpb"
	"github.com/grafana/tempo/pkg/tempopb"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// DecodeJSON decodes one JSON value holding traces: an OTLP
// ExportTraceServiceRequest, or a Tempo trace-by-ID response.
func DecodeJSON(b []byte) (ptrace.Traces, error) {
	key, err := firstKey(b)
	if err != nil {
		return ptrace.Traces{}, err
	}
	switch key {
	case "resourceSpans":
		return decodeOTLP(b)
	case "batches", "trace":
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b, &doc); err != nil {
			return ptrace.Traces{}, fmt.Errorf("invalid JSON: %w", err)
		}
		return decodeTempo(doc)
	}
	return ptrace.Traces{}, fmt.Errorf("not trace JSON: expected a resourceSpans, batches or trace key, found %q", key)
}

// firstKey returns the object's first key without decoding the rest: the
// collector always writes resourceSpans first, so most lines take the fast
// path.
func firstKey(b []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return "", fmt.Errorf("invalid JSON: %w", err)
	}
	if tok != json.Delim('{') {
		return "", fmt.Errorf("not trace JSON: expected an object, found %v", tok)
	}
	if !dec.More() {
		return "", errors.New("not trace JSON: empty object")
	}
	tok, err = dec.Token()
	if err != nil {
		return "", fmt.Errorf("invalid JSON: %w", err)
	}
	key, _ := tok.(string)
	return key, nil
}

// decodeTempo unwraps {"trace": {…}} (API v2) and {"batches": […]} (API v1).
func decodeTempo(doc map[string]json.RawMessage) (ptrace.Traces, error) {
	if inner, ok := doc["trace"]; ok {
		if bytes.Equal(bytes.TrimSpace(inner), []byte("null")) {
			return ptrace.NewTraces(), nil // Tempo's answer for a trace it does not have
		}
		var sub map[string]json.RawMessage
		if err := json.Unmarshal(inner, &sub); err != nil {
			return ptrace.Traces{}, fmt.Errorf("tempo trace: %w", err)
		}
		if _, nested := sub["trace"]; nested {
			return ptrace.Traces{}, errors.New("tempo trace: nested trace object")
		}
		return decodeTempo(sub)
	}
	spans, ok := doc["batches"]
	if !ok {
		spans, ok = doc["resourceSpans"]
	}
	if !ok {
		return ptrace.NewTraces(), nil
	}
	otlp, err := json.Marshal(map[string]json.RawMessage{"resourceSpans": spans})
	if err != nil {
		return ptrace.Traces{}, err
	}
	return decodeOTLP(otlp)
}

// decodeOTLP reads OTLP JSON. The OTLP spec writes IDs in hex, but Tempo's
// API marshals them with jsonpb, which writes bytes as base64: when hex
// fails, Tempo's own types read the document.
func decodeOTLP(b []byte) (ptrace.Traces, error) {
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
	if err == nil {
		return td, nil
	}
	if alt, altErr := decodeBase64IDs(b); altErr == nil {
		return alt, nil
	}
	return ptrace.Traces{}, fmt.Errorf("invalid OTLP JSON: %w", err)
}

func decodeBase64IDs(b []byte) (ptrace.Traces, error) {
	var t tempopb.Trace
	u := jsonpb.Unmarshaler{AllowUnknownFields: true}
	if err := u.Unmarshal(bytes.NewReader(b), &t); err != nil {
		return ptrace.Traces{}, err
	}
	raw, err := t.Marshal()
	if err != nil {
		return ptrace.Traces{}, err
	}
	return (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(raw)
}
