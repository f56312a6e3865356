package topology

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Records are spans as a decoder reads them: only what the builder's
// rules and the incident profile use. The lean decoders in tracefile fill
// them straight from the bytes; RecordsOf fills them from pdata, which
// stays the reference the lean decoders are tested against.

// Value is one attribute value.
type Value struct {
	Type pcommon.ValueType
	// Str is a string value, and the JSON (or base64) of a map, slice or
	// bytes value, as pdata's AsString gives it.
	Str string
	// Num holds an int's bits, a double's bits, or 1 for true.
	Num uint64
}

// StrValue, IntValue, DoubleValue and BoolValue make values.
func StrValue(s string) Value     { return Value{Type: pcommon.ValueTypeStr, Str: s} }
func IntValue(n int64) Value      { return Value{Type: pcommon.ValueTypeInt, Num: uint64(n)} }
func DoubleValue(f float64) Value { return Value{Type: pcommon.ValueTypeDouble, Num: float64bits(f)} }
func BoolValue(b bool) Value      { return Value{Type: pcommon.ValueTypeBool, Num: boolBits(b)} }
func boolBits(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Int is an int value's number.
func (v Value) Int() int64 { return int64(v.Num) }

// Double is a double value's number.
func (v Value) Double() float64 { return float64frombits(v.Num) }

// AsString renders the value as pdata's Value.AsString does, so a rule
// reads the same string from either decoder.
func (v Value) AsString() string {
	switch v.Type {
	case pcommon.ValueTypeBool:
		return strconv.FormatBool(v.Num != 0)
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return pcommon.NewValueDouble(v.Double()).AsString()
	case pcommon.ValueTypeEmpty:
		return ""
	}
	return v.Str
}

// KeyValue is one attribute.
type KeyValue struct {
	Key   string
	Value Value
}

// Attributes are a span's, event's or resource's attributes in the order
// they came. Like pdata's Map, a repeated key reads as its first value.
type Attributes []KeyValue

// Get returns the first value under key.
func (a Attributes) Get(key string) (Value, bool) {
	for i := range a {
		if a[i].Key == key {
			return a[i].Value, true
		}
	}
	return Value{}, false
}

// keyed is attributes with a summary of their keys: the rules look up
// some forty keys on every span, most of which it does not have, and a
// bit test answers those.
type keyed struct {
	a    Attributes
	mask uint64
}

func keyBit(k string) uint64 {
	if k == "" {
		return 1
	}
	return 1 << ((uint(len(k)) + uint(k[len(k)-1])) & 63)
}

func index(a Attributes) keyed {
	k := keyed{a: a}
	for i := range a {
		k.mask |= keyBit(a[i].Key)
	}
	return k
}

// Get returns the first value under key.
func (k keyed) Get(key string) (Value, bool) {
	if k.mask&keyBit(key) == 0 {
		return Value{}, false
	}
	return k.a.Get(key)
}

// Link is a span link's target.
type Link struct {
	Trace pcommon.TraceID
	Span  pcommon.SpanID
}

// Record is one span.
type Record struct {
	Trace      pcommon.TraceID
	ID, Parent pcommon.SpanID
	Name       string
	Kind       ptrace.SpanKind
	Start, End uint64
	Status     ptrace.StatusCode
	// StatusMessage is read only for failed spans.
	StatusMessage string
	Attrs         Attributes
	// ExceptionType and ExceptionMessage are the first "exception"
	// event's exception.type and exception.message, as strings.
	ExceptionType, ExceptionMessage string
	Links                           []Link
}

// ResourceRecords are the spans of one resource (one process).
type ResourceRecords struct {
	Resource Attributes
	Spans    []Record
}

// RecordsOf reads pdata traces into records.
func RecordsOf(td ptrace.Traces) []ResourceRecords {
	rss := td.ResourceSpans()
	out := make([]ResourceRecords, 0, rss.Len())
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		rr := ResourceRecords{Resource: attributesOf(rs.Resource().Attributes())}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				rr.Spans = append(rr.Spans, recordOf(spans.At(k)))
			}
		}
		out = append(out, rr)
	}
	return out
}

func recordOf(s ptrace.Span) Record {
	r := Record{
		Trace: s.TraceID(), ID: s.SpanID(), Parent: s.ParentSpanID(),
		Name: s.Name(), Kind: s.Kind(),
		Start: uint64(s.StartTimestamp()), End: uint64(s.EndTimestamp()),
		Status: s.Status().Code(), StatusMessage: s.Status().Message(),
		Attrs: attributesOf(s.Attributes()),
	}
	evs := s.Events()
	for i := 0; i < evs.Len(); i++ {
		if ev := evs.At(i); ev.Name() == "exception" {
			ea := ev.Attributes()
			r.ExceptionType, r.ExceptionMessage = pdataStr(ea, attrExceptionType), pdataStr(ea, attrExceptionMessage)
			break
		}
	}
	links := s.Links()
	for i := 0; i < links.Len(); i++ {
		l := links.At(i)
		r.Links = append(r.Links, Link{Trace: l.TraceID(), Span: l.SpanID()})
	}
	return r
}

func pdataStr(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok {
		return v.AsString()
	}
	return ""
}

func attributesOf(m pcommon.Map) Attributes {
	if m.Len() == 0 {
		return nil
	}
	out := make(Attributes, 0, m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		out = append(out, KeyValue{Key: k, Value: valueOf(v)})
		return true
	})
	return out
}

func valueOf(v pcommon.Value) Value {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return StrValue(v.Str())
	case pcommon.ValueTypeInt:
		return IntValue(v.Int())
	case pcommon.ValueTypeDouble:
		return DoubleValue(v.Double())
	case pcommon.ValueTypeBool:
		return BoolValue(v.Bool())
	case pcommon.ValueTypeEmpty:
		return Value{}
	}
	return Value{Type: v.Type(), Str: v.AsString()}
}

// Interner keeps one copy of each string a span keeps (names, peers,
// versions): decoders hand the builder strings that point into the bytes
// they read, and a kept string must not keep those bytes alive. It is
// bounded, and not safe for concurrent use: each decoding worker has one.
type Interner struct {
	m   map[string]string
	buf []byte // scratch for Join
}

// maxInterned bounds an Interner; past it, it starts afresh.
const maxInterned = 1 << 13

// Own returns an owned copy of s, the same copy for the same string.
func (in *Interner) Own(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := in.m[s]; ok {
		return v
	}
	if in.m == nil || len(in.m) >= maxInterned {
		in.m = make(map[string]string, 256)
	}
	v := strings.Clone(s)
	in.m[v] = v
	return v
}

// Join returns a+sep+b, owned; a nil Interner just joins them. Looking
// the joined bytes up first spares a string per span for names already
// seen.
func (in *Interner) Join(a, sep, b string) string {
	if in == nil {
		return a + sep + b
	}
	in.buf = append(append(append(in.buf[:0], a...), sep...), b...)
	if v, ok := in.m[string(in.buf)]; ok {
		return v
	}
	return in.Own(string(in.buf))
}

func float64bits(f float64) uint64     { return math.Float64bits(f) }
func float64frombits(b uint64) float64 { return math.Float64frombits(b) }
